// control/events.jsonl and control/idempotency.jsonl: the control plane's replayable events (with their seq) and
// the first answers to side-effecting requests. Both are rewritten whole (atomically) when the runtime drops what
// fell out of their windows, so they stay bounded.
import type {
  ControlEventRecord,
  ControlEventStore,
  IdempotencyRecord,
  IdempotencyStore,
} from '../runtime/types/control.js';
import { appendLinesNow, defaultLog, isRecord, readJsonl, serialised, writeFileAtomicNow, type Log } from './jsonl.js';
import { statePaths } from './paths.js';

const isEvent = (v: unknown): v is ControlEventRecord =>
  isRecord(v) && Number.isSafeInteger(v.seq) && typeof v.ts === 'number' && typeof v.event === 'string' && isRecord(v.payload);

const isIdempotency = (v: unknown): v is IdempotencyRecord =>
  isRecord(v) && typeof v.key === 'string' && typeof v.ts === 'number' && typeof v.method === 'string' && typeof v.ok === 'boolean';

function jsonlStore<T>(file: string, valid: (v: unknown) => v is T, sync: boolean, log: Log) {
  const toText = (items: T[]) => items.map((i) => JSON.stringify(i) + '\n').join('');
  return {
    async load(): Promise<T[]> {
      const lines = (await serialised(file, () => readJsonl(file, log))) ?? [];
      const out: T[] = [];
      for (const { line, value } of lines) {
        if (valid(value)) out.push(value);
        else log(`storage: ${file}:${line} is not a record this version knows; skipped it`);
      }
      return out;
    },
    append(items: T[]): Promise<void> {
      if (items.length === 0) return Promise.resolve();
      const lines = items.map((i) => JSON.stringify(i));
      return serialised(file, () => appendLinesNow(file, lines, { create: true, sync, log }));
    },
    rewrite(items: T[]): Promise<void> {
      return serialised(file, () => writeFileAtomicNow(file, toText(items)));
    },
  };
}

export function createControlEventStore(home: string, log: Log = defaultLog): ControlEventStore {
  return jsonlStore(statePaths(home).controlEvents, isEvent, false, log);
}

export function createIdempotencyStore(home: string, log: Log = defaultLog): IdempotencyStore {
  const s = jsonlStore(statePaths(home).idempotency, isIdempotency, true, log);
  // Group commit: records that arrive while a write (and its fsync) is under way go together in the next one, so
  // a burst of side-effecting requests costs a few fsyncs, not one each. Each append resolves once its line is synced.
  let pending: { rec: IdempotencyRecord; done: (err?: unknown) => void }[] = [];
  let writing = false;
  const drain = async () => {
    writing = true;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        await s.append(batch.map((b) => b.rec));
        for (const b of batch) b.done();
      } catch (err) {
        for (const b of batch) b.done(err);
      }
    }
    writing = false;
  };
  return {
    load: s.load,
    append: (rec) =>
      new Promise<void>((resolve, reject) => {
        pending.push({ rec, done: (err) => (err === undefined ? resolve() : reject(err)) });
        if (!writing) void drain();
      }),
    rewrite: s.rewrite,
  };
}
