// Slack adapter factory: one Channel per configured account (a bot token + an app-level token). bolt is loaded
// (require, on first use) only when at least one account has both, so an unconfigured Slack costs nothing.
import { createRequire } from 'node:module';
import type { Channel, ChannelFactoryDeps, ChatRef, Clock, Inbound, Logger, Outbound, SendResult } from '../../runtime/types/channel.js';
import { DEFAULT_SLACK_API_URL, type ReplyToMode, type SlackConfig } from './config.js';
import { SlackConnection, type BoltModule, type ConnectionState } from './connection.js';
import type { SlackIdentity } from './inbound.js';
import { SenderNames } from './names.js';
import { sdkLogger } from './sdk-logger.js';
import { SlackSender, type WebClient } from './outbound.js';
import { systemClock } from '../../runtime/types/clock.js';
import { defaultRetryPolicy, type RetryPolicy } from '../../runtime/types/retry.js';
import { WorkingIndicator } from './working.js';

export { decodeEvent, dedupeKeys, slackToPlain } from './inbound.js';
export { markdownToMrkdwn } from './format.js';
export { threadTs } from './outbound.js';

/** Slack accepts far longer texts, but recommends at most 4,000 characters per message; chunks are cut there. */
export const SLACK_MAX_TEXT = 4000;

export interface SlackAccount {
  accountId: string;
  botToken: string;
  appToken: string;
  apiUrl: string;
  replyToMode: ReplyToMode;
}

/** The part of `channels.slack` the adapter reads (accepts the block before or after schema defaults). */
export type SlackAdapterConfig = Partial<Pick<SlackConfig, 'enabled' | 'botToken' | 'appToken' | 'apiUrl' | 'replyToMode' | 'accounts'>>;

/**
 * The accounts to run: the top-level keys are account `default`; `accounts.<id>` adds (or overrides) more. An
 * account with one token but not the other is reported and skipped: Socket Mode needs both.
 */
export function resolveAccounts(cfg: SlackAdapterConfig | undefined, env: Record<string, string | undefined>, log?: Logger): SlackAccount[] {
  if (cfg?.enabled === false) return [];
  const fromEnv = cfg === undefined || cfg.accounts === undefined;
  const top = {
    botToken: cfg?.botToken ?? (fromEnv ? env.SLACK_BOT_TOKEN : undefined),
    appToken: cfg?.appToken ?? (fromEnv ? env.SLACK_APP_TOKEN : undefined),
  };
  const merged = new Map<string, { botToken?: string; appToken?: string; apiUrl?: string; replyToMode?: ReplyToMode }>();
  merged.set('default', top);
  for (const [id, acc] of Object.entries(cfg?.accounts ?? {})) {
    const base = merged.get(id) ?? {};
    merged.set(id, { ...base, ...definedOnly(acc) });
  }
  const out: SlackAccount[] = [];
  for (const [accountId, acc] of merged) {
    const botToken = acc.botToken?.trim();
    const appToken = acc.appToken?.trim();
    if (!botToken && !appToken) continue;
    const where = accountId === 'default' ? 'channels.slack' : `channels.slack.accounts.${accountId}`;
    if (!botToken || !appToken) {
      const missing = botToken ? `${where}.appToken (xapp-…, or SLACK_APP_TOKEN)` : `${where}.botToken (xoxb-…, or SLACK_BOT_TOKEN)`;
      log?.error(`${missing} is missing: Socket Mode needs both the bot token and the app-level token. This Slack account is not started.`, {
        accountId,
      });
      continue;
    }
    out.push({
      accountId,
      botToken,
      appToken,
      apiUrl: acc.apiUrl ?? cfg?.apiUrl ?? DEFAULT_SLACK_API_URL,
      replyToMode: acc.replyToMode ?? cfg?.replyToMode ?? 'off',
    });
  }
  return out;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Test and bench knobs beyond the config (never read from switchyard.json). */
export interface SlackTuning {
  retry?: Partial<RetryPolicy>;
  /** How long start() waits for the first connection before resolving anyway (default 10 s). */
  connectWaitMs?: number;
  /** bolt's clientPingTimeout, which is also its wait before reconnecting (default 5 s). */
  clientPingTimeoutMs?: number;
}

export type SlackFactoryDeps = Pick<ChannelFactoryDeps, 'log' | 'env'> & { clock?: Clock; tuning?: SlackTuning };

export async function createSlackChannels(cfg: SlackAdapterConfig | undefined, deps: SlackFactoryDeps): Promise<SlackChannel[]> {
  const accounts = resolveAccounts(cfg, deps.env, deps.log);
  if (accounts.length === 0) return [];
  const seen = new Map<string, string>();
  const unique = accounts.filter((a) => {
    const other = seen.get(a.appToken);
    if (other !== undefined) {
      deps.log.warn('slack: two accounts use the same app-level token; only the first is started (one app, one socket)', {
        accountId: a.accountId,
        sameAs: other,
      });
      return false;
    }
    seen.set(a.appToken, a.accountId);
    return true;
  });
  // @slack/bolt is CommonJS: require() skips the ESM loader's scan of it for named exports (start-up time).
  const bolt = createRequire(import.meta.url)('@slack/bolt') as BoltModule;
  return unique.map((account) => new SlackChannel({ bolt, account, log: deps.log, clock: deps.clock ?? systemClock, tuning: deps.tuning ?? {} }));
}

export interface SlackChannelDeps {
  bolt: BoltModule;
  account: SlackAccount;
  log: Logger;
  clock: Clock;
  tuning: SlackTuning;
}

export class SlackChannel implements Channel {
  readonly id = 'slack' as const;
  readonly accountId: string;
  readonly limits = { maxText: SLACK_MAX_TEXT };
  /** The bot's Web API client (chat.postMessage, reactions, conversations.open, users.info). */
  readonly client: WebClient;
  private readonly connection: SlackConnection;
  private readonly sender: SlackSender;
  private readonly working: WorkingIndicator;

  constructor(deps: SlackChannelDeps) {
    const { bolt, account, log, clock, tuning } = deps;
    this.accountId = account.accountId;
    const retry = { ...defaultRetryPolicy, ...tuning.retry };
    this.client = new bolt.webApi.WebClient(account.botToken, {
      slackApiUrl: account.apiUrl,
      // Our sender owns retries and 429 waits (bounded, on the injected clock); the SDK's would wait unbounded.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 30_000,
      logger: sdkLogger(log, account.accountId, bolt.LogLevel.INFO),
    });
    this.sender = new SlackSender({
      client: this.client,
      accountId: account.accountId,
      log,
      clock,
      retry,
      onUnauthorized: (error, err) => this.connection.unauthorized('botToken', error, err),
      onSent: (chat) => void this.working.done(chat),
    });
    this.working = new WorkingIndicator({ clock, react: (action, channel, ts, name) => this.sender.react(action, channel, ts, name) });
    const names = new SenderNames({ client: this.client, clock, log, accountId: account.accountId });
    this.connection = new SlackConnection({
      bolt,
      accountId: account.accountId,
      botToken: account.botToken,
      appToken: account.appToken,
      apiUrl: account.apiUrl,
      replyToMode: account.replyToMode,
      client: this.client,
      log,
      clock,
      retry,
      connectWaitMs: tuning.connectWaitMs ?? 10_000,
      clientPingTimeoutMs: tuning.clientPingTimeoutMs,
      onDecoded: (m) => this.working.noteInbound(m.chat, m.messageId),
      senderName: (userId) => names.lookup(userId),
    });
  }

  /** 'unauthorized' after a rejected token: the account is stopped, the error already logged. */
  get state(): ConnectionState {
    return this.connection.state;
  }

  get botUsername(): string | undefined {
    return this.connection.botName;
  }

  /** Who the bot is (from auth.test), once known. */
  get me(): SlackIdentity | undefined {
    return this.connection.me;
  }

  start(onInbound: (m: Inbound) => void | Promise<void>): Promise<void> {
    return this.connection.start(onInbound);
  }

  async stop(): Promise<void> {
    await this.connection.stop();
    this.working.dispose();
  }

  send(o: Outbound): Promise<SendResult> {
    return this.sender.send(o);
  }

  edit(chat: ChatRef, messageId: string, text: string): Promise<void> {
    return this.sender.edit(chat, messageId, text);
  }

  /** The working indicator: a reaction on the message being answered, removed when the answer is posted. */
  typing(chat: ChatRef): Promise<void> {
    return this.working.touch(chat);
  }

  openDirect(userId: string): Promise<ChatRef> {
    return this.sender.openDirect(userId);
  }
}
