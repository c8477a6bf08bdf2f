// Telegram adapter factory: one Channel per configured bot account. grammY is loaded (require, on first use) only
// when at least one account has a token, so an unconfigured Telegram costs nothing.
import { createRequire } from 'node:module';
import type { Api } from 'grammy';
import type { Channel, ChatRef, Inbound, Logger, Outbound, SendResult } from '../../runtime/types/channel.js';
import { TelegramPoller, type OffsetStore, type PollerState } from './connection.js';
import type { BotIdentity } from './inbound.js';
import { TelegramSender } from './outbound.js';
import { systemClock, type Clock } from '../../runtime/types/clock.js';
import { defaultRetryPolicy, type RetryPolicy } from '../../runtime/types/retry.js';

export { decodeUpdate } from './inbound.js';
export { threadParams } from './outbound.js';
export type { OffsetStore } from './connection.js';

/** The part of `channels.telegram` the adapter reads (structurally the config schema's TelegramConfig). */
export interface TelegramAdapterConfig {
  enabled?: boolean;
  botToken?: string;
  apiRoot?: string;
  accounts?: Record<string, { botToken?: string; apiRoot?: string }>;
  pollTimeoutSeconds?: number;
}

export interface TelegramDeps {
  offsets: OffsetStore;
  log: Logger;
  clock?: Clock;
  /** Environment for TELEGRAM_BOT_TOKEN (the default account's token when the config has none). */
  env?: Record<string, string | undefined>;
  retry?: Partial<RetryPolicy>;
}

/** Telegram allows 4096; we keep a margin for the markup the renderer may add around chunk edges. */
export const TELEGRAM_MAX_TEXT = 4000;

export interface TelegramAccount {
  accountId: string;
  botToken: string;
  apiRoot?: string;
}

/** Lists the accounts to run: the plain keys are account `default`; `accounts.<id>` adds (or overrides) more. */
export function resolveAccounts(cfg: TelegramAdapterConfig | undefined, env: Record<string, string | undefined> = {}): TelegramAccount[] {
  if (!cfg || cfg.enabled === false) return [];
  const merged = new Map<string, { botToken?: string; apiRoot?: string }>();
  merged.set('default', { botToken: cfg.botToken ?? env.TELEGRAM_BOT_TOKEN, apiRoot: cfg.apiRoot });
  for (const [id, acc] of Object.entries(cfg.accounts ?? {})) {
    const base = merged.get(id) ?? {};
    merged.set(id, { botToken: acc.botToken ?? base.botToken, apiRoot: acc.apiRoot ?? base.apiRoot ?? cfg.apiRoot });
  }
  const out: TelegramAccount[] = [];
  for (const [accountId, acc] of merged) {
    const botToken = acc.botToken?.trim();
    if (!botToken) continue;
    const account: TelegramAccount = { accountId, botToken };
    // grammY refuses an apiRoot with a trailing slash; accept it from users.
    if (acc.apiRoot) account.apiRoot = acc.apiRoot.replace(/\/+$/, '');
    out.push(account);
  }
  return out;
}

export async function createTelegramChannels(cfg: TelegramAdapterConfig | undefined, deps: TelegramDeps): Promise<Channel[]> {
  const accounts = resolveAccounts(cfg, deps.env ?? {});
  if (accounts.length === 0) return [];
  const seen = new Map<string, string>();
  const unique = accounts.filter((a) => {
    const other = seen.get(a.botToken);
    if (other !== undefined) {
      deps.log.warn('telegram: two accounts use the same bot token; only the first is started (Telegram allows one poller per token)', {
        accountId: a.accountId,
        sameAs: other,
      });
      return false;
    }
    seen.set(a.botToken, a.accountId);
    return true;
  });
  // grammY is CommonJS: require() skips the ESM loader's scan of its re-exported files for named exports, which
  // costs ~0.25 s and a few MB at start on a small board.
  const { Api: GrammyApi } = createRequire(import.meta.url)('grammy') as typeof import('grammy');
  return unique.map(
    (a) =>
      new TelegramChannel({
        accountId: a.accountId,
        api: new GrammyApi(a.botToken, a.apiRoot ? { apiRoot: a.apiRoot } : {}),
        offsets: deps.offsets,
        log: deps.log,
        clock: deps.clock ?? systemClock,
        retry: { ...defaultRetryPolicy, ...deps.retry },
        pollTimeoutSeconds: cfg?.pollTimeoutSeconds ?? 25,
      }),
  );
}

export interface TelegramChannelDeps {
  accountId: string;
  api: Api;
  offsets: OffsetStore;
  log: Logger;
  clock: Clock;
  retry: RetryPolicy;
  pollTimeoutSeconds: number;
}

export class TelegramChannel implements Channel {
  readonly id = 'telegram' as const;
  readonly accountId: string;
  readonly limits = { maxText: TELEGRAM_MAX_TEXT };
  private readonly poller: TelegramPoller;
  private readonly sender: TelegramSender;

  constructor(deps: TelegramChannelDeps) {
    this.accountId = deps.accountId;
    this.poller = new TelegramPoller(deps);
    this.sender = new TelegramSender(deps);
  }

  /** 'unauthorized' after a rejected token: the account is stopped, the error already logged. */
  get state(): PollerState {
    return this.poller.state;
  }

  get botUsername(): string | undefined {
    return this.poller.me?.username;
  }

  /** The bot's own identity (from getMe), once known. */
  get me(): BotIdentity | undefined {
    return this.poller.me;
  }

  start(onInbound: (m: Inbound) => void | Promise<void>): Promise<void> {
    return this.poller.start(onInbound);
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  send(o: Outbound): Promise<SendResult> {
    return this.sender.send(o);
  }

  edit(chat: ChatRef, messageId: string, text: string): Promise<void> {
    return this.sender.edit(chat, messageId, text);
  }

  typing(chat: ChatRef): Promise<void> {
    return this.sender.typing(chat);
  }

  /** A Telegram user's private chat with the bot has the user's id (the bot can write there once they started it). */
  async openDirect(userId: string): Promise<ChatRef> {
    return { kind: 'direct', id: userId };
  }
}
