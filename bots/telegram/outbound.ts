// Everything the adapter sends goes through here, so every reply, error, typing action and notice lands in the
// chat *and topic* it belongs to (threadParams is the one place that decides message_thread_id), and every call
// shares one retry discipline: 429 waits retry_after, 5xx and unsent network errors back off, and a call whose
// fate is unknown is only retried when repeating it cannot create a second visible message.
import type { Api } from 'grammy';
import { ChannelSendError, type ChatRef, type Logger, type Outbound, type SendResult } from '../../runtime/types/channel.js';
import { classifyTelegramError, isEntityParseError, isNotModified } from './errors.js';
import { markdownToTelegramHtml } from './format.js';
import type { Clock } from '../../runtime/types/clock.js';
import { backoffMs, pause, type RetryPolicy } from '../../runtime/types/retry.js';

/** The General topic of a forum: the Bot API rejects message_thread_id=1 ("message thread not found"). */
export const GENERAL_TOPIC_ID = '1';

/**
 * The ONE function that decides message_thread_id. A topic id goes with every call for that topic; the General
 * topic and chats that are not forums get none. (A ChatRef rebuilt from a session key may lack isForum; a
 * threadId is then enough, since the decoder only sets threadId for forum topics.)
 */
export function threadParams(chat: ChatRef): { message_thread_id?: number } {
  if (chat.kind === 'direct' || chat.isForum === false || chat.threadId === undefined) return {};
  if (chat.threadId === GENERAL_TOPIC_ID || !/^\d+$/.test(chat.threadId)) return {};
  return { message_thread_id: Number(chat.threadId) };
}

/** Numeric chat ids go as numbers; `@channelname` style ids as strings. */
export function telegramChatId(id: string): number | string {
  return /^-?\d+$/.test(id) ? Number(id) : id;
}

export interface SenderDeps {
  api: Api;
  accountId: string;
  log: Logger;
  clock: Clock;
  retry: RetryPolicy;
}

export class TelegramSender {
  constructor(private readonly deps: SenderDeps) {}

  /** Sends one message (≤ 4096 characters). Markdown is rendered to HTML, with one plain-text retry if Telegram rejects the markup. */
  async send(o: Outbound): Promise<SendResult> {
    if (o.text.trim() === '') throw new ChannelSendError('telegram: refusing to send an empty message', 'telegram', true);
    const chatId = telegramChatId(o.to.id);
    const base = {
      ...threadParams(o.to),
      ...(o.replyToId && /^\d+$/.test(o.replyToId) ? { reply_parameters: { message_id: Number(o.replyToId), allow_sending_without_reply: true } } : {}),
    };
    const ctx = { chatId: o.to.id, threadId: o.to.threadId };
    const sendPlain = () => this.call('sendMessage', ctx, false, () => this.deps.api.sendMessage(chatId, o.text, base));
    if (o.format === 'plain') return { messageId: String((await sendPlain()).message_id) };

    const html = markdownToTelegramHtml(o.text);
    try {
      const m = await this.call('sendMessage', ctx, false, () => this.deps.api.sendMessage(chatId, html, { ...base, parse_mode: 'HTML' }));
      return { messageId: String(m.message_id) };
    } catch (err) {
      if (!(err instanceof ChannelSendError) || !isEntityParseError(err.cause)) throw err;
      // Telegram rejected the markup, so nothing was shown: sending the text plain cannot duplicate it.
      this.deps.log.warn('telegram: HTML rejected, resending as plain text', { ...ctx, accountId: this.deps.accountId, err });
      return { messageId: String((await sendPlain()).message_id) };
    }
  }

  /** Replaces a message's text (used for streaming previews). Editing to the same text is not an error. */
  async edit(chat: ChatRef, messageId: string, text: string): Promise<void> {
    const chatId = telegramChatId(chat.id);
    const id = Number(messageId);
    const ctx = { chatId: chat.id, threadId: chat.threadId, messageId };
    const run = async (body: string, extra: { parse_mode?: 'HTML' }) => {
      try {
        await this.call('editMessageText', ctx, true, () => this.deps.api.editMessageText(chatId, id, body, extra));
      } catch (err) {
        if (err instanceof ChannelSendError && isNotModified(err.cause)) return;
        throw err;
      }
    };
    try {
      await run(markdownToTelegramHtml(text), { parse_mode: 'HTML' });
    } catch (err) {
      if (!(err instanceof ChannelSendError) || !isEntityParseError(err.cause)) throw err;
      await run(text, {});
    }
  }

  /** One typing action in the chat/topic. Telegram shows it ~5 s; the runtime refreshes it. Failures are logged, not thrown: typing is cosmetic. */
  async typing(chat: ChatRef): Promise<void> {
    try {
      await this.deps.api.sendChatAction(telegramChatId(chat.id), 'typing', threadParams(chat));
    } catch (err) {
      const f = classifyTelegramError(err);
      this.deps.log.warn('telegram: typing action failed', {
        accountId: this.deps.accountId,
        chatId: chat.id,
        threadId: chat.threadId,
        detail: f.detail,
        err,
      });
    }
  }

  /**
   * Runs one Bot API call with retries. `idempotent` says whether repeating a call that may already have been
   * executed is harmless (edits, chat actions) — sendMessage is not, so it is retried only when Telegram
   * certainly did not accept it (429, 5xx, connection never made).
   */
  private async call<T>(method: string, ctx: Record<string, unknown>, idempotent: boolean, fn: () => Promise<T>): Promise<T> {
    const { retry, clock, log, accountId } = this.deps;
    let failures = 0;
    let rateLimited = 0;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        const f = classifyTelegramError(err);
        const where = { ...ctx, accountId, method, detail: f.detail, err };
        const fail = (why: string, permanent: boolean) =>
          new ChannelSendError(`telegram ${method} to chat ${String(ctx.chatId)} failed: ${why}`, 'telegram', permanent, err);
        switch (f.kind) {
          case 'rate-limit': {
            if (f.retryAfterMs > retry.maxRetryAfterSeconds * 1000)
              throw fail(`rate limited for ${f.retryAfterMs / 1000}s (more than the ${retry.maxRetryAfterSeconds}s we wait)`, false);
            if (++rateLimited > retry.maxRateLimitRetries) throw fail(`still rate limited after ${rateLimited - 1} waits`, false);
            log.warn('telegram: rate limited, waiting retry_after', { ...where, retryAfterMs: f.retryAfterMs });
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
            log.warn('telegram: call failed, retrying', { ...where, attempt: failures, waitMs: wait });
            await pause(clock, wait);
            continue;
          }
          case 'unauthorized':
            throw fail('the bot token was rejected (401): check channels.telegram.botToken', true);
          default:
            throw fail(f.detail, true);
        }
      }
    }
  }
}
