// Everything the adapter sends goes through here, so every answer, notice and approval request lands in the chat
// *and thread* it belongs to (threadTs is the one place that decides thread_ts), and every call shares one retry
// discipline: a 429 / `ratelimited` waits Retry-After, 5xx and unsent network errors back off, and a call whose
// fate is unknown is retried only when repeating it cannot post a second message.
import type { webApi } from '@slack/bolt';
import { ChannelSendError, type ChatRef, type Clock, type Logger, type Outbound, type SendResult } from '../../runtime/types/channel.js';
import { classifySlackError, hintFor } from './errors.js';
import { escapeMrkdwn, markdownToMrkdwn } from './format.js';
import { backoffMs, pause, type RetryPolicy } from '../../runtime/types/retry.js';

export type WebClient = webApi.WebClient;

/**
 * The ONE function that decides thread_ts. DM answers are never threaded; in channels a thread's answers carry
 * its root ts (replyToMode "all" made every top-level message a thread root when it was decoded).
 */
export function threadTs(chat: ChatRef): string | undefined {
  if (chat.kind === 'direct' || chat.threadId === undefined || chat.threadId === '') return undefined;
  return chat.threadId;
}

/**
 * Slack ids are upper case; a ChatRef rebuilt from a session key (which lower-cases) is turned back. Anything that
 * is not a plain id is left alone.
 */
export function slackId(id: string): string {
  return /^[A-Za-z0-9]+$/.test(id) ? id.toUpperCase() : id;
}

export interface SenderDeps {
  client: WebClient;
  accountId: string;
  log: Logger;
  clock: Clock;
  retry: RetryPolicy;
  /** Called when Slack rejects the bot token (the account is stopped by its owner object). */
  onUnauthorized(error: string, err: unknown): void;
  /** Called after a message went out to a chat (the working indicator there is cleared). */
  onSent?(chat: ChatRef): void;
}

const MAX_DIRECT_CACHE = 1000;

export class SlackSender {
  /** userId → DM channel; conversations.open answers the same id every time, so it is asked once. */
  private readonly directs = new Map<string, string>();

  constructor(private readonly deps: SenderDeps) {}

  /** Sends one message (the runtime chunked it to 4,000 characters) as `text`, rendered as mrkdwn unless plain. */
  async send(o: Outbound): Promise<SendResult> {
    if (o.text.trim() === '') throw new ChannelSendError('slack: refusing to send an empty message', 'slack', true);
    const channel = slackId(o.to.id);
    const thread = threadTs(o.to);
    const plain = o.format === 'plain';
    const text = plain ? escapeMrkdwn(o.text) : markdownToMrkdwn(o.text);
    const args = { channel, text, ...(thread ? { thread_ts: thread } : {}), ...(plain ? { mrkdwn: false } : {}) };
    const res = await this.call('chat.postMessage', { channel, threadTs: thread }, false, () => this.deps.client.chat.postMessage(args));
    const ts = typeof res.ts === 'string' ? res.ts : undefined;
    if (!ts) throw new ChannelSendError(`slack chat.postMessage to ${channel} answered without a ts`, 'slack', true);
    this.deps.onSent?.(o.to);
    return { messageId: ts };
  }

  /** Replaces a message's text. Editing is idempotent, so it is retried like any safe call. */
  async edit(chat: ChatRef, messageId: string, text: string): Promise<void> {
    const channel = slackId(chat.id);
    await this.call('chat.update', { channel, ts: messageId }, true, () => this.deps.client.chat.update({ channel, ts: messageId, text: markdownToMrkdwn(text) }));
  }

  /** The DM channel with a user (conversations.open), cached. */
  async openDirect(userId: string): Promise<ChatRef> {
    const user = slackId(userId);
    const known = this.directs.get(user);
    if (known) return { kind: 'direct', id: known };
    const res = await this.call('conversations.open', { user }, true, () => this.deps.client.conversations.open({ users: user }));
    const id = res.channel?.id;
    if (typeof id !== 'string' || id === '') {
      throw new ChannelSendError(`slack conversations.open for ${user} answered without a channel id`, 'slack', true);
    }
    if (this.directs.size >= MAX_DIRECT_CACHE) this.directs.delete(this.directs.keys().next().value as string);
    this.directs.set(user, id);
    return { kind: 'direct', id };
  }

  /** Adds or removes a reaction; cosmetic, so one attempt and failures only logged. */
  async react(action: 'add' | 'remove', channel: string, ts: string, name: string): Promise<void> {
    const args = { channel: slackId(channel), timestamp: ts, name };
    try {
      await (action === 'add' ? this.deps.client.reactions.add(args) : this.deps.client.reactions.remove(args));
    } catch (err) {
      const f = classifySlackError(err);
      // Someone (or an earlier attempt) already did it: the state we wanted is there.
      if (f.kind === 'rejected' && (f.error === 'already_reacted' || f.error === 'no_reaction')) return;
      if (f.kind === 'unauthorized') this.deps.onUnauthorized(f.error, err);
      this.deps.log.warn(`slack: reactions.${action} failed (the working indicator is cosmetic; the answer is not affected)`, {
        accountId: this.deps.accountId,
        channel,
        ts,
        detail: f.detail,
        err,
      });
    }
  }

  /**
   * Runs one Web API call with retries. `idempotent` says whether repeating a call that may already have been
   * executed is harmless — chat.postMessage is not, so it is retried only when Slack certainly did not take it.
   */
  async call<T>(method: string, ctx: Record<string, unknown>, idempotent: boolean, fn: () => Promise<T>): Promise<T> {
    const { retry, clock, log, accountId } = this.deps;
    let failures = 0;
    let rateLimited = 0;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        const f = classifySlackError(err);
        const where = { ...ctx, accountId, method, detail: f.detail, err };
        const fail = (why: string, permanent: boolean) =>
          new ChannelSendError(`slack ${method} to ${String(ctx.channel ?? ctx.user)} failed: ${why}`, 'slack', permanent, err);
        switch (f.kind) {
          case 'rate-limit': {
            if (f.retryAfterMs > retry.maxRetryAfterSeconds * 1000)
              throw fail(`rate limited for ${f.retryAfterMs / 1000}s (more than the ${retry.maxRetryAfterSeconds}s we wait)`, false);
            if (++rateLimited > retry.maxRateLimitRetries) throw fail(`still rate limited after ${rateLimited - 1} waits`, false);
            log.warn('slack: rate limited, waiting Retry-After', { ...where, retryAfterMs: f.retryAfterMs });
            await pause(clock, f.retryAfterMs);
            continue;
          }
          case 'server':
          case 'network-unsent':
          case 'network-unknown': {
            if (f.kind === 'network-unknown' && !idempotent)
              throw fail(`connection lost after sending (${f.detail}); delivery unknown, not retried so the chat never gets it twice`, true);
            if (++failures >= retry.sendAttempts) throw fail(`${f.detail} (gave up after ${failures} attempts)`, false);
            const wait = backoffMs(retry, failures);
            log.warn('slack: call failed, retrying', { ...where, attempt: failures, waitMs: wait });
            await pause(clock, wait);
            continue;
          }
          case 'unauthorized':
            this.deps.onUnauthorized(f.error, err);
            throw fail(`the bot token was rejected (${f.error}): check channels.slack.botToken`, true);
          case 'rejected':
            throw fail(`${f.error}${hintFor(f.error)}`, true);
        }
      }
    }
  }
}
