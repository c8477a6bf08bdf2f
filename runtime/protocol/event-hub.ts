// The gateway-wide event stream: every replayable event gets the next `seq` (monotonic across restarts), is
// written to control/events.jsonl, and only then goes to the connected clients, so a seq a client has seen is
// never handed out again after a crash. The newest events are kept in memory for replay (`resumeFrom`) within the
// retention window. Ephemeral events (tick, typing, log lines, shutdown) carry no seq and are not kept.
import type { Clock, ControlEventRecord, ControlEventStore, Logger } from '../types/index.js';

export interface Retention {
  maxEvents: number;
  maxAgeMs: number;
  /** Serialised size of the kept events (memory bound on a small machine). */
  maxBytes: number;
}

export const DEFAULT_RETENTION: Retention = { maxEvents: 10_000, maxAgeMs: 24 * 3600_000, maxBytes: 8 * 1024 * 1024 };

/** An event as clients get it: `seq` is absent on ephemeral ones. */
export interface OutEvent {
  event: string;
  payload: Record<string, unknown>;
  seq?: number;
}

export type EventListener = (e: OutEvent) => void;

/** Written alone when every event has left the window, so the next start still continues after its seq. */
const SEQ_MARK = 'seq.mark';

export interface EventHub {
  /** Loads the persisted events (and the newest seq); drops what is outside the window. */
  init(): Promise<void>;
  /**
   * Queues a replayable event; listeners get it once it is on disk, in seq order. `stored`, when given, is what is
   * written and replayed instead of `payload` (a personal link is shown live once, never kept).
   */
  publish(event: string, payload: Record<string, unknown>, stored?: Record<string, unknown>): void;
  /** Delivers at once to listeners; not persisted, no seq. */
  publishEphemeral(event: string, payload: Record<string, unknown>): void;
  /** The newest seq handed to listeners (0 before any event). */
  seq(): number;
  /**
   * Kept events after `from` (exclusive), oldest first. `complete` is false when events after `from` have already
   * left the window (or `from` is newer than anything this gateway wrote), so the client must reload its state.
   */
  since(from: number): { events: ControlEventRecord[]; complete: boolean };
  subscribe(fn: EventListener): () => void;
  /** Resolves once every queued event is written and delivered. */
  flush(): Promise<void>;
}

export function createEventHub(deps: { store: ControlEventStore; clock: Clock; log: Logger; retention?: Retention }): EventHub {
  const { store, clock, log } = deps;
  const retention = deps.retention ?? DEFAULT_RETENTION;
  const kept: { rec: ControlEventRecord; bytes: number }[] = [];
  let keptBytes = 0;
  let lastSeq = 0;
  let deliveredSeq = 0;
  /** seq of the oldest event ever dropped from the window + 1 … i.e. replay from below this is incomplete. */
  let oldestComplete = 1;
  let queue: { rec: ControlEventRecord; live: Record<string, unknown> }[] = [];
  let writing: Promise<void> | null = null;
  let writtenSinceRewrite = 0;
  const listeners = new Set<EventListener>();

  const emit = (e: OutEvent) => {
    for (const fn of listeners) {
      try {
        fn(e);
      } catch (err) {
        log.error('control event listener failed', { event: e.event, err });
      }
    }
  };

  const keep = (rec: ControlEventRecord) => {
    const bytes = JSON.stringify(rec).length + 1;
    kept.push({ rec, bytes });
    keptBytes += bytes;
  };

  /** Drops events that fell out of the window; true when any did. */
  const trim = (): boolean => {
    const cutoff = clock.now() - retention.maxAgeMs;
    let dropped = false;
    while (kept.length > 0 && (kept.length > retention.maxEvents || keptBytes > retention.maxBytes || kept[0].rec.ts < cutoff)) {
      const first = kept.shift()!;
      keptBytes -= first.bytes;
      oldestComplete = first.rec.seq + 1;
      dropped = true;
    }
    return dropped;
  };

  const snapshot = (): ControlEventRecord[] =>
    kept.length > 0 ? kept.map((k) => k.rec) : lastSeq > 0 ? [{ seq: deliveredSeq, ts: clock.now(), event: SEQ_MARK, payload: {} }] : [];

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await store.append(batch.map((b) => b.rec));
      } catch (err) {
        // Delivered anyway (clients still see it live); replay after a restart will miss it, and the log says so.
        log.error('control events could not be written; they stay live-only', { firstSeq: batch[0].rec.seq, count: batch.length, err });
      }
      for (const { rec, live } of batch) {
        keep(rec);
        deliveredSeq = rec.seq;
        emit({ event: rec.event, payload: live, seq: rec.seq });
      }
      writtenSinceRewrite += batch.length;
      trim();
      // The file is rewritten from the window once it holds about twice what the window keeps: bounded on disk.
      if (writtenSinceRewrite > Math.max(kept.length, 1000)) {
        writtenSinceRewrite = 0;
        await store.rewrite(snapshot()).catch((err: unknown) => log.error('control event log could not be compacted', { err }));
      }
    }
  }

  return {
    async init() {
      const loaded = await store.load();
      let prev = 0;
      for (const rec of loaded) {
        // Out-of-order lines would break replay order; keep only a strictly increasing run.
        if (rec.seq <= prev) continue;
        if (rec.event !== SEQ_MARK) keep(rec);
        prev = rec.seq;
      }
      lastSeq = deliveredSeq = prev;
      oldestComplete = kept.length > 0 ? kept[0].rec.seq : lastSeq + 1;
      if (trim() || kept.length !== loaded.length) await store.rewrite(snapshot());
    },

    publish(event, payload, stored) {
      const rec: ControlEventRecord = { seq: ++lastSeq, ts: clock.now(), event, payload: stored ?? payload };
      queue.push({ rec, live: payload });
      if (!writing) {
        writing = drain().finally(() => {
          writing = null;
        });
      }
    },

    publishEphemeral(event, payload) {
      emit({ event, payload });
    },

    seq: () => deliveredSeq,

    since(from) {
      trim();
      if (from > deliveredSeq) return { events: [], complete: false };
      const events = kept.filter((k) => k.rec.seq > from).map((k) => k.rec);
      return { events, complete: from + 1 >= oldestComplete };
    },

    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },

    async flush() {
      while (writing) await writing;
    },
  };
}
