// A whole gateway talking WhatsApp: the registry's modules with WhatsApp's socket factory replaced by the fake
// socket (Baileys' own event emitter and message encoding; see fake-whatsapp.ts), a linked account's credentials
// on disk, and the real Anthropic SDK against the fake model server on 127.0.0.1.
import type { Clock } from '../../runtime/clock.js';
import { CHANNEL_MODULES } from '../../bots/registry.js';
import { credentialsDir } from '../../bots/whatsapp/credentials.js';
import { createWhatsAppModule } from '../../bots/whatsapp/module.js';
import type { WAMessage } from '@whiskeysockets/baileys';
import { startFakeAnthropic, type FakeModelServer } from './fake-anthropic.js';
import { BOT_PN, fakeSocketFactory, textFrom, writeLinkedCreds, type FakeWaSocket } from './fake-whatsapp.js';
import { startHarness, tempHome, type Harness } from './gateway-harness.js';
import { merge, until, type Json } from './telegram-gateway.js';

export const OWNER = { jid: '15551234567@s.whatsapp.net', lid: '201234567890123@lid', e164: '+15551234567', name: 'Owner' };
export const MEMBER = { jid: '447700900123@s.whatsapp.net', lid: '301112223334445@lid', e164: '+447700900123', name: 'Member' };
export const STRANGER = { jid: '4915112345678@s.whatsapp.net', lid: '401234509876543@lid', e164: '+4915112345678', name: 'Stranger' };
export const GROUP = '120363012345678901@g.us';
export const MODEL_KEY = 'key-wa';

export interface Person {
  jid: string;
  lid: string;
  name: string;
}

export interface SentWa {
  jid: string;
  text: string;
  message: WAMessage;
  socket: number;
}

export interface WhatsAppGateway {
  h: Harness;
  model: FakeModelServer;
  sockets: FakeWaSocket[];
  /** The current socket. */
  sock(): FakeWaSocket;
  /** A DM from a person, addressed by phone number (`by: 'lid'`: by LID with the number in remoteJidAlt). */
  dm(from: Person, text: string, opts?: { by?: 'pn' | 'lid' | 'lid-only'; replyTo?: string; ephemeral?: number }): WAMessage;
  /** A group message; `mention` @mentions the bot by LID, `replyTo` quotes one of the bot's messages. */
  inGroup(from: Person, text: string, opts?: { mention?: boolean; replyTo?: string }): WAMessage;
  /** Everything the bot sent, over all sockets, in order. */
  sent(): SentWa[];
  waitSent(pred: (m: SentWa) => boolean, what: string): Promise<SentWa>;
  stop(): Promise<void>;
}

export async function startWhatsAppGateway(opts: { config?: Json; clock?: Clock; random?: number } = {}): Promise<WhatsAppGateway> {
  const model = await startFakeAnthropic();
  const home = await tempHome('sy-e2e-wa-');
  await writeLinkedCreds(credentialsDir(home, 'default'));
  const factory = fakeSocketFactory((s) => setImmediate(() => s.open()));
  const modules = CHANNEL_MODULES.map((m) => (m.id === 'whatsapp' ? createWhatsAppModule({ makeSocket: factory, random: () => opts.random ?? 0.5 }) : m));
  const base: Json = {
    models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: model.url } } },
    agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
    commands: { ownerAllowFrom: [`whatsapp:${OWNER.e164}`] },
    channels: {
      webchat: { enabled: false },
      whatsapp: { dmPolicy: 'allowlist', allowFrom: [MEMBER.e164], groups: { [GROUP]: { requireMention: true } } },
    },
  };
  let h: Harness;
  try {
    h = await startHarness({ home, config: merge(base, opts.config ?? {}), env: { ANTHROPIC_API_KEY: MODEL_KEY }, clock: opts.clock, modules });
  } catch (err) {
    await model.close();
    throw err;
  }
  const sock = () => factory.sockets[factory.sockets.length - 1];
  const sent = () =>
    factory.sockets.flatMap((s, socket) =>
      s.sent.map((m) => ({
        jid: m.jid,
        text: m.message.message?.extendedTextMessage?.text ?? m.message.message?.conversation ?? '',
        message: m.message,
        socket,
      })),
    );
  const quoting = (id: string) => ({ stanzaId: id, participant: BOT_PN, quotedMessage: { conversation: '…' } });
  return {
    h,
    model,
    sockets: factory.sockets,
    sock,
    dm(from, text, o = {}) {
      const by = o.by ?? 'pn';
      const addr = by === 'pn' ? { jid: from.jid, alt: from.lid } : by === 'lid' ? { jid: from.lid, alt: from.jid } : { jid: from.lid };
      const m = textFrom({ ...addr, name: from.name }, text, {
        ...(o.replyTo ? { contextInfo: quoting(o.replyTo) } : {}),
        ...(o.ephemeral ? { ephemeral: o.ephemeral } : {}),
      });
      sock().upsert([m]);
      return m;
    },
    inGroup(from, text, o = {}) {
      const contextInfo: Record<string, unknown> = {
        ...(o.mention ? { mentionedJid: ['99000111@lid'] } : {}),
        ...(o.replyTo ? quoting(o.replyTo) : {}),
      };
      const m = textFrom({ jid: from.lid, alt: from.jid, group: GROUP, name: from.name }, text, Object.keys(contextInfo).length ? { contextInfo } : {});
      sock().upsert([m]);
      return m;
    },
    sent,
    async waitSent(pred, what) {
      let found: SentWa | undefined;
      await until(() => (found = sent().find(pred)) !== undefined, what);
      return found!;
    },
    async stop() {
      try {
        await h.stop();
      } finally {
        await model.close();
      }
    },
  };
}
