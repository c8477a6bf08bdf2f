// journal/inbound.jsonl: the crash-safety record. An accepted message is on disk (fdatasync) before the
// gateway acts on it; 'reply' and 'sent' record delivery progress; 'done' closes the ids. After a crash,
// pending() is exactly what the restart must finish. Inbound.raw (the SDK payload) is never written.
import type { Inbound } from '../runtime/types/channel.js';
import type { InboundJournal, JournalEntry } from '../runtime/types/storage.js';
import { appendLinesNow, defaultLog, isRecord, readJsonl, removeStaleTemps, serialised, writeFileAtomicNow, type Log } from './jsonl.js';
import { statePaths } from './paths.js';

function withoutRaw(e: JournalEntry): JournalEntry {
  if (e.type !== 'accepted') return e;
  const { raw: _raw, ...inbound }: Inbound = e.inbound;
  return { ...e, inbound };
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The entry if the line is a well-formed journal entry of a type this version knows, else undefined. */
export function decodeJournalEntry(v: unknown): JournalEntry | undefined {
  if (!isRecord(v) || typeof v.ts !== 'number') return undefined;
  switch (v.type) {
    case 'accepted':
      return typeof v.id === 'string' && typeof v.agentId === 'string' && typeof v.sessionKey === 'string' && isRecord(v.inbound)
        ? (v as unknown as JournalEntry)
        : undefined;
    case 'reply':
      return isStrings(v.ids) && typeof v.runId === 'string' && isStrings(v.chunks) ? (v as unknown as JournalEntry) : undefined;
    case 'sent':
      return isStrings(v.ids) && typeof v.chunk === 'number' && typeof v.messageId === 'string' ? (v as unknown as JournalEntry) : undefined;
    case 'done':
      return isStrings(v.ids) ? (v as unknown as JournalEntry) : undefined;
    default:
      return undefined;
  }
}

/** Entries of ids not closed by a 'done' entry, in file order ('done' entries themselves are not pending). */
export function pendingEntries(entries: JournalEntry[]): JournalEntry[] {
  const done = new Set<string>();
  for (const e of entries) if (e.type === 'done') for (const id of e.ids) done.add(id);
  return entries.filter((e) => {
    if (e.type === 'done') return false;
    if (e.type === 'accepted') return !done.has(e.id);
    return e.ids.some((id) => !done.has(id));
  });
}

export interface JournalOptions {
  /**
   * Compact after this many appends. Without it a gateway that runs for months keeps every message it handled
   * (replies included) in the file, and the next start has to read all of it. Default 2,000: appends wait while
   * a compaction reads and rewrites the file, so it is kept short (a few tens of ms) rather than rare.
   */
  compactEvery?: number;
}

export function createInboundJournal(home: string, log: Log = defaultLog, opts: JournalOptions = {}): InboundJournal {
  const file = statePaths(home).journal;
  const compactEvery = Math.max(1, opts.compactEvery ?? 2_000);
  let appendedSinceCompaction = 0;
  let tempsChecked = false;

  /** Decoded entries; null when there is no journal yet. Call inside serialised(). */
  const readNow = async (): Promise<JournalEntry[] | null> => {
    const lines = await readJsonl(file, log);
    if (!lines) return null;
    const out: JournalEntry[] = [];
    for (const { line, value } of lines) {
      const e = decodeJournalEntry(value);
      if (e) out.push(e);
      else log(`storage: ${file}:${line} is not a journal entry this version knows; ignored: ${JSON.stringify(value)}`);
    }
    return out;
  };

  // Group commit: appends made while an earlier write is queued or in flight join one batch, written with one
  // fdatasync when its turn comes. Under load that is one fsync per batch instead of one per entry; each append
  // still resolves only once its own line is on disk, and lines keep their call order.
  let batch: { lines: string[]; written: Promise<void> } | null = null;

  /** `keepTail`: the newest entries are kept as they are, finished or not (see the periodic call below). */
  const compact = (keepTail = 0): Promise<{ finished: string[] }> => {
    batch = null;
    appendedSinceCompaction = 0;
    return serialised(file, async () => {
      // The first compaction (at start) removes the temp file a kill during an earlier compaction left behind;
      // serialised on the file, so no temp of this process is being written now.
      if (!tempsChecked) {
        await removeStaleTemps(file, log);
        tempsChecked = true;
      }
      const entries = await readNow();
      if (!entries) return { finished: [] }; // no journal yet
      const cut = Math.max(0, entries.length - keepTail);
      const keep = [...pendingEntries(entries.slice(0, cut)), ...entries.slice(cut)];
      // Atomic (temp + fsync + rename): a crash leaves the old journal, which holds the same pending work.
      await writeFileAtomicNow(file, keep.map((e) => JSON.stringify(e) + '\n').join(''));
      const kept = new Set(keep.flatMap((e) => (e.type === 'accepted' ? [e.id] : e.ids)));
      return { finished: entries.flatMap((e) => (e.type === 'accepted' && !kept.has(e.id) ? [e.id] : [])) };
    });
  };

  return {
    append(e) {
      const line = JSON.stringify(withoutRaw(e));
      if (!batch) {
        const b: { lines: string[]; written: Promise<void> } = { lines: [], written: Promise.resolve() };
        b.written = serialised(file, () => {
          if (batch === b) batch = null; // later appends start the next batch
          return appendLinesNow(file, b.lines, { create: true, sync: true, log });
        });
        batch = b;
      }
      batch.lines.push(line);
      const written = batch.written;
      if (++appendedSinceCompaction >= compactEvery) {
        // Queued behind this batch on the file, so it sees every line appended so far; later appends wait for it.
        // The newest entries stay: the start-up compaction reports recently finished ids, which a platform whose
        // offset was saved a moment too late may deliver again after a crash.
        void compact(Math.floor(compactEvery / 4)).catch((err: unknown) => log(`storage: compacting ${file} failed (tried again later)`, { err }));
      }
      return written;
    },

    pending: () => {
      batch = null; // an append made after this call must not be written before this read
      return serialised(file, async () => pendingEntries((await readNow()) ?? []));
    },

    compact,
  };
}
