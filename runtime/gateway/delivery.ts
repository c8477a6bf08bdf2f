// Sends a run's reply: chunked to the channel's limit, journaled before the first send and after each chunk, so a
// restart sends only what was not sent yet and never repeats a delivered chunk.
import { chunkText } from '../chunk.js';
import type { AuditLog, Channel, ChatRef, InboundJournal, Logger } from '../types/index.js';

export interface DeliveryTarget {
  channel: Channel;
  chat: ChatRef;
  replyToId?: string;
}

export interface Delivery {
  /** Chunks, journals and sends a reply; marks `ids` done at the end. Returns false when sending failed for good. */
  reply(ids: string[], runId: string, target: DeliveryTarget, text: string): Promise<boolean>;
  /** Resumes a reply recorded before a restart: sends the chunks not yet sent. */
  resume(ids: string[], runId: string, target: DeliveryTarget, chunks: string[], sent: Set<number>): Promise<boolean>;
  /** Marks ids done without a reply (NO_REPLY, aborted runs). */
  finish(ids: string[]): Promise<void>;
  /** A one-off notice (errors, queue notes) outside the journal; failures are logged, never thrown. */
  notice(target: DeliveryTarget, text: string): Promise<void>;
}

export function createDelivery(deps: {
  journal: InboundJournal;
  audit: AuditLog;
  log: Logger;
  now: () => number;
  /** A reply was given up on (after the adapter's retries): tell someone who can act on it. */
  onFailed?: (target: DeliveryTarget, error: string) => Promise<void>;
}): Delivery {
  const { journal, audit, log, now } = deps;

  async function sendChunks(ids: string[], runId: string, t: DeliveryTarget, chunks: string[], sent: Set<number>) {
    for (let i = 0; i < chunks.length; i++) {
      if (sent.has(i)) continue;
      try {
        const res = await t.channel.send({ to: t.chat, text: chunks[i], replyToId: i === 0 ? t.replyToId : undefined });
        await journal.append({ type: 'sent', ids, ts: now(), chunk: i, messageId: res.messageId });
      } catch (err) {
        // The adapter already retried what can be retried: record it and give up on this reply.
        log.error('reply could not be delivered', {
          runId,
          channel: t.channel.id,
          accountId: t.channel.accountId,
          chatId: t.chat.id,
          chunk: i,
          err: String(err),
        });
        await audit.append({
          kind: 'delivery',
          runId,
          channel: t.channel.id,
          chatId: t.chat.id,
          threadId: t.chat.threadId,
          chunk: i,
          of: chunks.length,
          error: String(err),
        });
        await journal.append({ type: 'done', ids, ts: now() });
        await deps.onFailed?.(t, String(err)).catch((e) => log.warn('could not report a failed delivery', { err: String(e) }));
        return false;
      }
    }
    await journal.append({ type: 'done', ids, ts: now() });
    return true;
  }

  return {
    async reply(ids, runId, target, text) {
      const chunks = chunkText(text, target.channel.limits.maxText);
      await journal.append({ type: 'reply', ids, ts: now(), runId, chunks });
      return sendChunks(ids, runId, target, chunks, new Set());
    },
    resume(ids, runId, target, chunks, sent) {
      return sendChunks(ids, runId, target, chunks, sent);
    },
    async finish(ids) {
      await journal.append({ type: 'done', ids, ts: now() });
    },
    async notice(target, text) {
      for (const chunk of chunkText(text, target.channel.limits.maxText)) {
        try {
          await target.channel.send({ to: target.chat, text: chunk, format: 'plain' });
        } catch (err) {
          log.warn('notice could not be delivered', { channel: target.channel.id, chatId: target.chat.id, err: String(err) });
          return;
        }
      }
    },
  };
}
