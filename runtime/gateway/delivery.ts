// THE outbound path: every message the gateway sends (replies, errors, command answers, approval prompts, owner
// notices, pairing answers) is chunked to the channel's limit here (code fences closed and reopened, never
// broken), journaled before the first send and after each chunk, and retried when the failure may pass. A restart
// sends only what was not sent yet and never repeats a delivered chunk. No other module calls Channel.send
// (test/unit/architecture.test.ts checks it).
import { randomUUID } from 'node:crypto';
import { chunkText } from '../chunk.js';
import type { Clock } from '../clock.js';
import { ChannelSendError, type AuditLog, type Channel, type ChatRef, type InboundJournal, type JournalTarget, type Logger } from '../types/index.js';

export interface DeliveryTarget {
  channel: Channel;
  chat: ChatRef;
  replyToId?: string;
}

/** 'markdown' (default) for the agent's replies; 'plain' for the gateway's own words (notices, prompts). */
export type DeliveryFormat = 'markdown' | 'plain';

export interface Delivered {
  ok: boolean;
  /** Platform message ids of the chunks sent now, in order. */
  messageIds: string[];
}

export interface Delivery {
  /** A run's reply to inbound `ids`: chunked, journaled under them, sent; marks them done. False when it failed for good. */
  reply(ids: string[], runId: string, target: DeliveryTarget, text: string): Promise<boolean>;
  /** Resumes a message recorded before a restart: sends the chunks not yet sent. */
  resume(ids: string[], runId: string, target: DeliveryTarget, chunks: string[], sent: Set<number>, format?: DeliveryFormat): Promise<boolean>;
  /** Marks ids done without a reply (NO_REPLY, aborted runs). */
  finish(ids: string[]): Promise<void>;
  /**
   * Any message that answers no run (notices, command answers, approval prompts): journaled under an id of its
   * own, so a crash mid-way still completes it. Never throws; a failure is logged and audited.
   */
  send(target: DeliveryTarget, text: string, format?: DeliveryFormat): Promise<Delivered>;
  /** Whether this process is sending these ids right now (start-up recovery must not send them a second time). */
  active(ids: readonly string[]): boolean;
  /**
   * Shutdown: nothing more is sent, retried or journaled (what is unsent stays pending in the journal, for the next
   * start, exactly as after a crash); resolves once the journal writes already started are on disk.
   */
  close(): Promise<void>;
}

export interface DeliveryRetry {
  /** Attempts per chunk when the channel says the failure may pass (ChannelSendError.permanent false). */
  attempts: number;
  /** Waits between attempts, on the injected clock (the last one repeats). */
  backoffMs: number[];
}

/** The adapters retry what their platform asks them to (429s, 5xx); this is for a failure that outlived that. */
export const DEFAULT_DELIVERY_RETRY: DeliveryRetry = { attempts: 3, backoffMs: [5_000, 30_000] };

export function createDelivery(deps: {
  journal: InboundJournal;
  audit: AuditLog;
  log: Logger;
  clock: Pick<Clock, 'now' | 'setTimeout'>;
  retry?: DeliveryRetry;
  /** A reply was given up on (after the retries): tell someone who can act on it. */
  onFailed?: (target: DeliveryTarget, error: string) => Promise<void>;
}): Delivery {
  const { journal, audit, log, clock } = deps;
  const retry = deps.retry ?? DEFAULT_DELIVERY_RETRY;
  const inFlight = new Set<string>();
  let closed = false;
  const writes = new Set<Promise<void>>();
  /** A journal append, unless shut down; tracked so close() can wait for it. */
  const write = (e: Parameters<InboundJournal['append']>[0]): Promise<void> => {
    if (closed) return Promise.resolve();
    const p = journal.append(e).finally(() => writes.delete(p));
    writes.add(p);
    return p;
  };
  const now = () => clock.now();
  const wait = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

  async function sendOne(t: DeliveryTarget, text: string, replyToId: string | undefined, format: DeliveryFormat): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await t.channel.send({ to: t.chat, text, replyToId, ...(format === 'plain' ? { format } : {}) })).messageId;
      } catch (err) {
        const permanent = err instanceof ChannelSendError && err.permanent;
        if (permanent || closed || attempt >= retry.attempts) throw err;
        const ms = retry.backoffMs[Math.min(attempt - 1, retry.backoffMs.length - 1)] ?? 0;
        log.warn('send failed; retrying', { channel: t.channel.id, accountId: t.channel.accountId, chatId: t.chat.id, attempt, waitMs: ms, err });
        await wait(ms);
      }
    }
  }

  async function sendChunks(
    ids: string[],
    runId: string,
    t: DeliveryTarget,
    chunks: string[],
    sent: Set<number>,
    format: DeliveryFormat,
    reportFailure: boolean,
  ): Promise<Delivered> {
    const messageIds: string[] = [];
    for (let i = 0; i < chunks.length; i++) {
      if (sent.has(i)) continue;
      if (closed) return { ok: false, messageIds };
      try {
        const messageId = await sendOne(t, chunks[i], i === 0 ? t.replyToId : undefined, format);
        messageIds.push(messageId);
        await write({ type: 'sent', ids, ts: now(), chunk: i, messageId });
      } catch (err) {
        if (closed) return { ok: false, messageIds };
        const error = err instanceof Error ? err.message : String(err);
        const where = { runId, channel: t.channel.id, accountId: t.channel.accountId, chatId: t.chat.id, chunk: i };
        log.error('message could not be delivered', { ...where, err });
        await audit.append({ kind: 'delivery', ...where, threadId: t.chat.threadId, of: chunks.length, error });
        await write({ type: 'done', ids, ts: now() });
        if (reportFailure) await deps.onFailed?.(t, error).catch((e: unknown) => log.warn('could not report a failed delivery', { err: e }));
        return { ok: false, messageIds };
      }
    }
    await write({ type: 'done', ids, ts: now() });
    return { ok: true, messageIds };
  }

  const targetOf = (t: DeliveryTarget): JournalTarget => ({
    channel: t.channel.id,
    accountId: t.channel.accountId,
    chat: t.chat,
    ...(t.replyToId !== undefined ? { replyToId: t.replyToId } : {}),
  });

  async function record(ids: string[], runId: string, t: DeliveryTarget, text: string, format: DeliveryFormat): Promise<string[]> {
    const chunks = chunkText(text, t.channel.limits.maxText);
    await write({ type: 'reply', ids, ts: now(), runId, chunks, to: targetOf(t), ...(format === 'plain' ? { format } : {}) });
    return chunks;
  }

  return {
    async reply(ids, runId, target, text) {
      const chunks = await record(ids, runId, target, text, 'markdown');
      return (await sendChunks(ids, runId, target, chunks, new Set(), 'markdown', true)).ok;
    },
    async resume(ids, runId, target, chunks, sent, format = 'markdown') {
      return (await sendChunks(ids, runId, target, chunks, sent, format, true)).ok;
    },
    async finish(ids) {
      await write({ type: 'done', ids, ts: now() });
    },
    async send(target, text, format = 'plain') {
      if (closed) {
        log.warn('message not sent: the gateway is stopping', { channel: target.channel.id, chatId: target.chat.id });
        return { ok: false, messageIds: [] };
      }
      const id = `out:${randomUUID()}`;
      inFlight.add(id);
      try {
        const chunks = await record([id], id, target, text, format);
        // Failures of these are logged and audited, not reported onwards: an owner notice about a failed owner
        // notice would only fail the same way.
        return await sendChunks([id], id, target, chunks, new Set(), format, false);
      } catch (err) {
        log.error('message could not be journaled or sent', { channel: target.channel.id, chatId: target.chat.id, err });
        return { ok: false, messageIds: [] };
      } finally {
        inFlight.delete(id);
      }
    },
    active: (ids) => ids.some((id) => inFlight.has(id)),
    async close() {
      closed = true;
      while (writes.size > 0) await Promise.all([...writes]);
    },
  };
}
