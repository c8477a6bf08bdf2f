// Rebuilds the model's view of a session from its transcript. Only runs that ended are replayed in full; a run
// that was aborted, failed or never ended (crash) contributes just its user turns, so half-finished tool rounds
// never reach the model and a run repeated after a crash does not appear twice. A run whose messages a later run
// took again (see historyFromTranscript) is left out entirely.
import type { ModelMessage, TranscriptEntry } from '../types/index.js';

export const RUN_END = 'run-end';
const COMPLETE = new Set(['ok', 'max_rounds']);

/**
 * `upcoming`: the inbound ids of the turn about to run. A run that handled any of them, or any id a later run
 * handled again, was repeated (after a crash between its run-end and the journal's record of its reply, whose
 * answer was therefore never sent): only the latest run of an inbound message counts.
 */
export function historyFromTranscript(entries: TranscriptEntry[], upcoming: string[] = []): ModelMessage[] {
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
  const out: ModelMessage[] = [];
  if (lastCompaction >= 0) {
    const c = entries[lastCompaction] as { summary?: unknown };
    out.push({ role: 'user', text: `Summary of the earlier conversation:\n${String(c.summary ?? '')}` });
  }
  for (let i = lastCompaction + 1; i < entries.length; i++) {
    const e = entries[i];
    if (e.type !== 'message') continue;
    const entry = e as Extract<TranscriptEntry, { type: 'message' }>;
    const runId = entry.runId;
    const status = runId ? ended.get(runId) : 'ok';
    if (status === undefined) continue; // run never ended: it was (or will be) repeated
    if (runId && superseded.has(runId)) continue;
    if (COMPLETE.has(status) || entry.message.role === 'user') out.push(entry.message);
  }
  return out;
}

/** The run and inbound ids of a user message of a run, if the entry is one. */
function inboundIdsOf(e: TranscriptEntry): { runId: string; ids: string[] } | undefined {
  if (e.type !== 'message') return undefined;
  const m = e as Extract<TranscriptEntry, { type: 'message' }>;
  if (typeof m.runId !== 'string' || m.message.role !== 'user' || !Array.isArray(m.inboundIds)) return undefined;
  return { runId: m.runId, ids: m.inboundIds };
}
