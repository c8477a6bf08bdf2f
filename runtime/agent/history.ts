// Rebuilds the model's view of a session from its transcript. Only runs that ended are replayed in full; a run
// that was aborted, failed or never ended (crash) contributes just its user turns, so half-finished tool rounds
// never reach the model and a run repeated after a crash does not appear twice. A run whose messages a later run
// took again (see viewFromTranscript) is left out entirely. After a compaction the view is its summary plus the
// entries from its firstKeptEntryId on: the transcript itself is never rewritten.
import type { CompactionEntry, ModelMessage, TranscriptEntry } from '../types/index.js';

export const RUN_END = 'run-end';
const COMPLETE = new Set(['ok', 'max_rounds']);
export const SUMMARY_PREFIX = 'Summary of the earlier conversation:\n';

/** A message of the view with the transcript entry it came from (what a compaction's firstKeptEntryId names). */
export interface ViewItem {
  entryId: string;
  message: ModelMessage;
}

export interface HistoryView {
  /** The latest compaction, whose summary opens the view. */
  compaction?: CompactionEntry;
  items: ViewItem[];
}

/** An entry's id; entries written before ids existed are named by their position in the file. */
export function entryIdOf(e: TranscriptEntry, index: number): string {
  return typeof e.id === 'string' && e.id !== '' ? e.id : `@${index}`;
}

/**
 * `upcoming`: the inbound ids of the turn about to run. A run that handled any of them, or any id a later run
 * handled again, was repeated (after a crash between its run-end and the journal's record of its reply, whose
 * answer was therefore never sent): only the latest run of an inbound message counts.
 */
export function viewFromTranscript(entries: TranscriptEntry[], upcoming: string[] = []): HistoryView {
  const ended = new Map<string, string>();
  let lastCompaction = -1;
  const lastRunOf = new Map<string, string>(); // inbound id → the latest run that took it
  entries.forEach((e, i) => {
    if (e.type === 'event' && e.name === RUN_END && typeof e.runId === 'string') {
      ended.set(e.runId, String((e.data as { status?: unknown } | undefined)?.status ?? 'ok'));
    }
    if (e.type === 'compaction') lastCompaction = i;
    const took = inboundIdsOf(e);
    if (took) for (const id of took.ids) lastRunOf.set(id, took.runId);
  });
  for (const id of upcoming) lastRunOf.set(id, '');
  const superseded = new Set<string>();
  for (const e of entries) {
    const took = inboundIdsOf(e);
    if (took?.ids.some((id) => lastRunOf.get(id) !== took.runId)) superseded.add(took.runId);
  }
  let start = 0;
  let compaction: CompactionEntry | undefined;
  if (lastCompaction >= 0) {
    compaction = entries[lastCompaction] as CompactionEntry;
    const kept = typeof compaction.firstKeptEntryId === 'string' ? findEntry(entries, compaction.firstKeptEntryId, lastCompaction) : -1;
    // A compaction whose kept entry cannot be found (an older format, a hand-edited file) keeps what follows it.
    start = kept >= 0 ? kept : lastCompaction + 1;
  }
  const items: ViewItem[] = [];
  for (let i = start; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.type !== 'message') continue;
    const entry = e as Extract<TranscriptEntry, { type: 'message' }>;
    const runId = entry.runId;
    const status = runId ? ended.get(runId) : 'ok';
    if (status === undefined) continue; // run never ended: it was (or will be) repeated
    if (runId && superseded.has(runId)) continue;
    if (COMPLETE.has(status) || entry.message.role === 'user') items.push({ entryId: entryIdOf(e, i), message: entry.message });
  }
  return { compaction, items };
}

/** The messages of a view: the compaction summary (as a user turn) first, then the kept messages. */
export function viewMessages(view: HistoryView): ModelMessage[] {
  const out: ModelMessage[] = [];
  if (view.compaction) out.push(summaryMessage(String(view.compaction.summary ?? '')));
  for (const it of view.items) out.push(it.message);
  return out;
}

export function summaryMessage(summary: string): ModelMessage {
  return { role: 'user', text: `${SUMMARY_PREFIX}${summary}` };
}

export function historyFromTranscript(entries: TranscriptEntry[], upcoming: string[] = []): ModelMessage[] {
  return viewMessages(viewFromTranscript(entries, upcoming));
}

/** Index of the entry with this id, searched backwards from `before` (kept entries precede their compaction). */
function findEntry(entries: TranscriptEntry[], id: string, before: number): number {
  for (let i = Math.min(before, entries.length - 1); i >= 0; i--) if (entryIdOf(entries[i]!, i) === id) return i;
  return -1;
}

/** The run and inbound ids of a user message of a run, if the entry is one. */
function inboundIdsOf(e: TranscriptEntry): { runId: string; ids: string[] } | undefined {
  if (e.type !== 'message') return undefined;
  const m = e as Extract<TranscriptEntry, { type: 'message' }>;
  if (typeof m.runId !== 'string' || m.message.role !== 'user' || !Array.isArray(m.inboundIds)) return undefined;
  return { runId: m.runId, ids: m.inboundIds };
}
