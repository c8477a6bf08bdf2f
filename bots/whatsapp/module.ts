// WhatsApp's entry in the adapter registry. Importing this loads zod and nothing of Baileys: the channel code (and
// with it Baileys) is imported only when `channels.whatsapp` is configured AND at least one account is linked.
//
// Test seam: createWhatsAppModule({ makeSocket }) replaces Baileys' makeWASocket with a socket the test drives
// (see socket.ts); everything else — credentials on disk, the connection loop, decoding, sending — is the real code.
import type { Channel, ChannelFactoryDeps, ChannelModule, ChatRef, ChatSettings, DirectSettings } from '../../runtime/types/channel.js';
import { resolveAccounts, whatsappConfigSchema, type WhatsAppConfig } from './config.js';
import { credentialsDir, loginCommand, readLinkState } from './credentials.js';
import type { BackoffPolicy } from './connection.js';
import type { AuthOpener, SocketFactory } from './socket.js';

/** `login whatsapp`, listed by the registry for the CLI (Baileys and qrcode are imported only when it runs). */
export { whatsappLogin } from './login.js';

export interface WhatsAppModuleOptions {
  /** Replaces makeWASocket (tests). */
  makeSocket?: SocketFactory;
  /** Replaces the multi-file credential store (tests that need no files). */
  openAuth?: AuthOpener;
  /** Jitter source for the reconnect backoff (tests fix it). */
  random?: () => number;
  backoff?: BackoffPolicy;
}

export function createWhatsAppModule(opts: WhatsAppModuleOptions = {}): ChannelModule<WhatsAppConfig> {
  return {
    id: 'whatsapp',
    configSchema: whatsappConfigSchema,

    directSettings(cfg): DirectSettings {
      return { dmPolicy: cfg?.dmPolicy ?? 'pairing', allowFrom: cfg?.allowFrom ?? [] };
    },

    // A group's own entry, else "*"; a listed group without requireMention takes "*"'s.
    chatSettings(cfg, chat: ChatRef): ChatSettings | undefined {
      const groups = cfg?.groups ?? {};
      const own = Object.hasOwn(groups, chat.id) ? groups[chat.id] : undefined;
      const wildcard = Object.hasOwn(groups, '*') ? groups['*'] : undefined;
      if (!own && !wildcard) return undefined;
      return { requireMention: own?.requireMention ?? wildcard?.requireMention ?? true };
    },

    accountIds: (cfg) => resolveAccounts(cfg).map((a) => a.accountId),

    async create(cfg, deps: ChannelFactoryDeps): Promise<Channel[]> {
      if (!cfg) return [];
      const linked: { accountId: string; sendReadReceipts: boolean; dir: string }[] = [];
      for (const account of resolveAccounts(cfg)) {
        const dir = credentialsDir(deps.home, account.accountId);
        const state = await readLinkState(dir);
        if (state.linked) {
          linked.push({ ...account, dir });
          continue;
        }
        const why = state.why === 'unreadable' ? `its credentials in ${dir} cannot be read (${state.detail}); move them aside and link again` : `it is not linked`;
        deps.log.warn(`WhatsApp account "${account.accountId}" is not connected: ${why}. Run ${loginCommand(account.accountId)}, then restart the gateway.`, {
          accountId: account.accountId,
        });
      }
      if (linked.length === 0) return [];
      const [{ WhatsAppChannel }, real] = await Promise.all([import('./index.js'), opts.makeSocket && opts.openAuth ? undefined : import('./real-socket.js')]);
      const makeSocket = opts.makeSocket ?? real!.makeBaileysSocket;
      const openAuth = opts.openAuth ?? real!.openMultiFileAuth;
      return linked.map(
        (a) =>
          new WhatsAppChannel({
            accountId: a.accountId,
            credsDir: a.dir,
            sendReadReceipts: a.sendReadReceipts,
            openAuth,
            makeSocket: (req) => makeSocket(req),
            clock: deps.clock,
            log: deps.log,
            random: opts.random,
            backoff: opts.backoff,
          }),
      );
    },
  };
}

export const whatsappModule = createWhatsAppModule();
