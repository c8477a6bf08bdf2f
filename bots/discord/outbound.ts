// Everything the adapter asks of Discord's REST API goes through here, with one retry discipline. Rate limits are
// @discordjs/rest's job (it tracks buckets and the global limit, and waits them out); it hands back only a wait
// longer than we accept, which fails the call instead of blocking the chat. 5xx and connections that never
// reached Discord back off and retry on the injected clock, a call whose fate is unknown is retried only when
// repeating it cannot post a second message, and every call has a deadline. Replies go to the channel or thread they belong to (a thread is a channel:
// its own id), as a Discord reply in servers; Markdown is sent as written because Discord renders it.
import { ChannelSendError, type ChatRef, type Clock, type Logger, type Outbound, type SendResult } from '../../runtime/types/channel.js';
import { classifyDiscordError } from './errors.js';
import type { ChannelInfo } from './inbound.js';
import { backoffMs, pause, type RetryPolicy } from './retry.js';

/** Discord's limit for a message's content. */
export const DISCORD_MAX_TEXT = 2000;
/** Discord shows "typing…" for about 10 s; the runtime refreshes every few seconds, so fewer calls suffice. */
const TYPING_EVERY_MS = 8000;
/** Bounds for the small per-adapter caches (DM channels by user, typing times by channel). */
const CACHE_LIMIT = 1000;

type Route = `/${string}`;

/** The part of @discordjs/rest's REST the sender uses (structural, so tests and benches can pass their own). */
export interface RestLike {
  get(route: Route, options?: { signal?: AbortSignal }): Promise<unknown>;
  post(route: Route, options?: { body?: unknown; signal?: AbortSignal }): Promise<unknown>;
}

export interface SenderDeps {
  rest: RestLike;
  accountId: string;
  log: Logger;
  clock: Clock;
  retry: RetryPolicy;
}

/** The Discord channel a message for `chat` is posted in: a thread's own id, a DM's channel id, else the channel. */
export function targetChannelId(chat: ChatRef): string {
  return chat.kind !== 'direct' && chat.threadId ? chat.threadId : chat.id;
}

/**
 * `format: 'plain'` text shown as written: Markdown characters are escaped so a command like `rm *.log` or a code
 * like `AB_12_CD` is not turned into italics. Returns the text unchanged when escaping would not fit the limit.
 */
export function escapeMarkdown(text: string): string {
  const escaped = text.replace(/[\\*_~`|>[\]]/g, '\\$&').replace(/^(\s*)([#-])/gm, '$1\\$2');
  return escaped.length <= DISCORD_MAX_TEXT ? escaped : text;
}

export class DiscordSender {
  private readonly dmChannels = new Map<string, string>();
  private readonly typedAt = new Map<string, number>();

  constructor(private readonly deps: SenderDeps) {}

  async send(o: Outbound): Promise<SendResult> {
    if (o.text.trim() === '') throw new ChannelSendError('discord: refusing to send an empty message', 'discord', true);
    const channelId = targetChannelId(o.to);
    const body: Record<string, unknown> = {
      content: o.format === 'plain' ? escapeMarkdown(o.text) : o.text,
      // Text from a model or a user must never ping @everyone, roles or arbitrary people; a reply still
      // notifies the person it answers.
      allowed_mentions: { parse: [], replied_user: true },
    };
    if (o.replyToId) body.message_reference = { message_id: o.replyToId, fail_if_not_exists: false };
    const res = await this.call('create message', { channelId }, false, (signal) => this.deps.rest.post(`/channels/${channelId}/messages`, { body, signal }));
    const id = isRec(res) && typeof res.id === 'string' ? res.id : undefined;
    if (!id) throw new ChannelSendError(`discord: message to channel ${channelId} was accepted without an id`, 'discord', true);
    return { messageId: id };
  }

  /** One "typing…" in the chat or thread. Cosmetic: failures are logged, never thrown, never retried. */
  async typing(chat: ChatRef): Promise<void> {
    const channelId = targetChannelId(chat);
    const now = this.deps.clock.now();
    const last = this.typedAt.get(channelId);
    if (last !== undefined && now - last < TYPING_EVERY_MS) return;
    remember(this.typedAt, channelId, now);
    try {
      await this.deps.rest.post(`/channels/${channelId}/typing`);
    } catch (err) {
      this.typedAt.delete(channelId);
      this.deps.log.warn('discord: typing indicator failed', { accountId: this.deps.accountId, channelId, reason: classifyDiscordError(err).detail, err });
    }
  }

  /** The DM channel with a user (POST /users/@me/channels; Discord returns the same channel every time). */
  async openDirect(userId: string): Promise<ChatRef> {
    const known = this.dmChannels.get(userId);
    if (known) return { kind: 'direct', id: known };
    const res = await this.call('open DM', { userId }, true, (signal) => this.deps.rest.post('/users/@me/channels', { body: { recipient_id: userId }, signal }));
    const id = isRec(res) && typeof res.id === 'string' ? res.id : undefined;
    if (!id) throw new ChannelSendError(`discord: opening a DM with user ${userId} returned no channel id`, 'discord', true);
    remember(this.dmChannels, userId, id);
    return { kind: 'direct', id };
  }

  /** A channel's type, parent and name (GET /channels/{id}): how a thread's parent is found. */
  async fetchChannel(channelId: string): Promise<ChannelInfo> {
    const res = await this.call('get channel', { channelId }, true, (signal) => this.deps.rest.get(`/channels/${channelId}`, { signal }));
    if (!isRec(res)) return {};
    const info: ChannelInfo = {};
    if (typeof res.type === 'number') info.type = res.type;
    if (typeof res.parent_id === 'string') info.parentId = res.parent_id;
    if (typeof res.name === 'string') info.name = res.name;
    return info;
  }

  /**
   * Runs one REST call with retries. `idempotent`: repeating a call that may already have been executed is
   * harmless (lookups, opening a DM); creating a message is not, so it is retried only when Discord certainly
   * did not process it (5xx, connection never made). The deadline bounds the whole call, waits included, so a
   * server answering 429 forever cannot hold a chat's replies for good.
   */
  private async call<T>(what: string, ctx: Record<string, unknown>, idempotent: boolean, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { retry, clock, log, accountId } = this.deps;
    const deadline = new AbortController();
    const timer = clock.setTimeout(() => deadline.abort(), retry.callDeadlineMs);
    const target = Object.values(ctx).join(' ');
    const fail = (why: string, permanent: boolean, err?: unknown) => new ChannelSendError(`discord ${what} (${target}) failed: ${why}`, 'discord', permanent, err);
    let failures = 0;
    let rateLimited = 0;
    try {
      for (;;) {
        try {
          return await fn(deadline.signal);
        } catch (err) {
          if (deadline.signal.aborted)
            throw fail(`no answer from Discord within ${Math.round(retry.callDeadlineMs / 1000)}s (rate limits or a stalled connection)`, false, err);
          const f = classifyDiscordError(err);
          const where = { ...ctx, accountId, call: what, reason: f.detail };
          switch (f.kind) {
            case 'rate-limit': {
              // The REST client waits out what it can; what reaches us is too long, or a RestLike that rejects all.
              if (f.retryAfterMs > retry.maxRetryAfterSeconds * 1000)
                throw fail(`rate limited for ${Math.round(f.retryAfterMs / 1000)}s (more than the ${retry.maxRetryAfterSeconds}s we wait)`, false, err);
              if (++rateLimited > retry.maxRateLimitRetries) throw fail(`still rate limited after ${rateLimited - 1} waits`, false, err);
              log.warn('discord: rate limited, waiting retry_after', { ...where, retryAfterMs: f.retryAfterMs });
              await pause(clock, f.retryAfterMs, deadline.signal);
              continue;
            }
            case 'server':
            case 'network-unsent':
            case 'network-unknown': {
              if (f.kind === 'network-unknown' && !idempotent)
                throw fail(`connection lost after sending (${f.detail}); delivery unknown, not retried so the chat never gets it twice`, true, err);
              if (++failures >= retry.sendAttempts) throw fail(`${f.detail} (gave up after ${failures} attempts)`, false, err);
              const wait = backoffMs(retry, failures);
              log.warn('discord: call failed, retrying', { ...where, attempt: failures, waitMs: wait, err });
              await pause(clock, wait, deadline.signal);
              continue;
            }
            case 'unauthorized':
              throw fail('the bot token was rejected (401): check channels.discord.token', true, err);
            case 'rejected':
              throw fail(f.detail, true, err);
          }
        }
      }
    } finally {
      clock.clearTimeout(timer);
    }
  }
}

function isRec(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Map.set with a size bound: the oldest entry goes first. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > CACHE_LIMIT) map.delete(map.keys().next().value as string);
}
