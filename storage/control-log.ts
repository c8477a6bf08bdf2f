// control/events.jsonl and control/idempotency.jsonl: the control plane's replayable events (with their seq) and
// the first answers to side-effecting requests. Both are rewritten whole (atomically) when the runtime drops what
// fell out of their windows, so they stay bounded.
import type { ControlEventRecord, ControlEventStore, IdempotencyRecord, IdempotencyStore } from '../runtime/types/control.js';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
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
  const file = statePaths(home).controlEvents;
  const s = jsonlStore(file, isEvent, false, log);
  // Events are appended many times a second while runs stream: one handle stays open (O_APPEND) instead of an
  // open/stat/read/append/close per batch. The first append goes through appendLinesNow, which also mends a torn
  // last line; a rewrite replaces the file, so the handle is closed before it and reopened after.
  let fh: FileHandle | undefined;
  const close = async () => {
    const h = fh;
    fh = undefined;
    await h?.close();
  };
  return {
    load: s.load,
    append(events) {
      if (events.length === 0) return Promise.resolve();
      const text = events.map((e) => JSON.stringify(e) + '\n').join('');
      return serialised(file, async () => {
        if (!fh) {
          await appendLinesNow(file, text.slice(0, -1).split('\n'), { create: true, sync: false, log });
          fh = await open(file, constants.O_WRONLY | constants.O_APPEND);
          return;
        }
        try {
          await fh.appendFile(text, 'utf8');
        } catch (err) {
          await close().catch(() => undefined);
          throw err;
        }
      });
    },
    rewrite(events) {
      // One job: no append can reopen the handle on the old file between the close and the rename.
      return serialised(file, async () => {
        await close();
        await writeFileAtomicNow(file, events.map((e) => JSON.stringify(e) + '\n').join(''));
      });
    },
    close: () => serialised(file, close),
  };
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
