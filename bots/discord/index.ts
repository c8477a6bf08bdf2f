// Discord adapter: one Channel per configured bot account. discord.js is loaded with a dynamic import only when at
// least one account has a token, so an unconfigured Discord costs no memory.
import type * as DiscordJs from 'discord.js';
import type { Channel, ChatRef, Clock, Inbound, Logger, Outbound, SendResult } from '../../runtime/types/channel.js';
import { resolveAccounts, type DiscordAccount, type DiscordConfig } from './config.js';
import { DiscordConnection, type ConnectionState } from './connection.js';
import { DISCORD_MAX_TEXT, DiscordSender, type RestLike } from './outbound.js';
import { defaultRetryPolicy, type RetryPolicy } from './retry.js';

export { decodeMessage } from './inbound.js';
export { discordConfigSchema, type DiscordConfig } from './config.js';

export interface DiscordDeps {
  log: Logger;
  clock: Clock;
  retry?: Partial<RetryPolicy>;
}

type DiscordModule = typeof DiscordJs;

export async function createDiscordChannels(cfg: DiscordConfig | undefined, deps: DiscordDeps): Promise<DiscordChannel[]> {
  const accounts = uniqueTokens(resolveAccounts(cfg), deps.log);
  if (accounts.length === 0) return [];
  const djs = await import('discord.js');
  const retry = { ...defaultRetryPolicy, ...deps.retry };
  return accounts.map((account) => new DiscordChannel({ djs, account, log: deps.log, clock: deps.clock, retry }));
}

/** One gateway session per token: two accounts with the same token would receive (and answer) everything twice. */
function uniqueTokens(accounts: DiscordAccount[], log: Logger): DiscordAccount[] {
  const seen = new Map<string, string>();
  return accounts.filter((a) => {
    const other = seen.get(a.token);
    if (other !== undefined) {
      log.warn('discord: two accounts use the same bot token; only the first is started', { accountId: a.accountId, sameAs: other });
      return false;
    }
    seen.set(a.token, a.accountId);
    return true;
  });
}

export interface DiscordChannelDeps {
  djs: DiscordModule;
  account: DiscordAccount;
  log: Logger;
  clock: Clock;
  retry: RetryPolicy;
}

export class DiscordChannel implements Channel {
  readonly id = 'discord' as const;
  readonly accountId: string;
  readonly limits = { maxText: DISCORD_MAX_TEXT };
  private readonly rest: DiscordJs.REST;
  private readonly sender: DiscordSender;
  private readonly connection: DiscordConnection;

  constructor(deps: DiscordChannelDeps) {
    this.accountId = deps.account.accountId;
    // Its own REST for everything we send. It waits out rate limits (buckets, the global 50/s, 429s) itself,
    // except a wait longer than we accept, which it hands back so the send fails instead of blocking the chat.
    // Retries are ours (a library retry of a timed-out POST could post the message twice).
    const maxWaitMs = deps.retry.maxRetryAfterSeconds * 1000;
    this.rest = new deps.djs.REST({
      api: deps.account.apiRoot,
      retries: 0,
      rejectOnRateLimit: (r) => Math.max(r.timeToReset, r.retryAfter) > maxWaitMs,
    }).setToken(deps.account.token);
    this.rest.on('rateLimited', logRateLimits(deps.log, this.accountId, deps.clock));
    this.sender = new DiscordSender({ rest: this.rest as RestLike, accountId: this.accountId, log: deps.log, clock: deps.clock, retry: deps.retry });
    this.connection = new DiscordConnection({ ...deps, sender: this.sender });
  }

  get botUsername(): string | undefined {
    return this.connection.me?.username;
  }

  /** The bot's own user id once logged in. */
  get botId(): string | undefined {
    return this.connection.me?.id;
  }

  /** 'unauthorized' / 'intents-refused' after a refused login: this account is stopped, the reason logged. */
  get state(): ConnectionState {
    return this.connection.state;
  }

  start(onInbound: (m: Inbound) => void | Promise<void>): Promise<void> {
    return this.connection.start(onInbound);
  }

  async stop(): Promise<void> {
    await this.connection.stop();
    this.rest.clearHashSweeper();
    this.rest.clearHandlerSweeper();
  }

  send(o: Outbound): Promise<SendResult> {
    return this.sender.send(o);
  }

  typing(chat: ChatRef): Promise<void> {
    return this.sender.typing(chat);
  }

  openDirect(userId: string): Promise<ChatRef> {
    return this.sender.openDirect(userId);
  }
}

/** Rate-limit waits in the log: one line per route per 10 s (a burst queues many requests behind one limit). */
function logRateLimits(log: Logger, accountId: string, clock: Clock): (r: DiscordJs.RateLimitData) => void {
  const last = new Map<string, number>();
  return (r) => {
    const now = clock.now();
    if (now - (last.get(r.route) ?? -Infinity) < 10_000) return;
    last.set(r.route, now);
    if (last.size > 100) last.delete(last.keys().next().value as string);
    log.warn('discord: rate limited, waiting it out', { accountId, route: r.route, global: r.global, waitMs: Math.max(r.timeToReset, r.retryAfter) });
  };
}
