// Rebuilds the model's view of a session from its transcript. Only runs that ended are replayed in full; a run
// that was aborted, failed or never ended (crash) contributes just its user turns, so half-finished tool rounds
// never reach the model and a run repeated after a crash does not appear twice.
import type { ModelMessage, TranscriptEntry } from '../types/index.js';

export const RUN_END = 'run-end';
const COMPLETE = new Set(['ok', 'max_rounds']);

export function historyFromTranscript(entries: TranscriptEntry[]): ModelMessage[] {
  const ended = new Map<string, string>();
  let lastCompaction = -1;
  entries.forEach((e, i) => {
    if (e.type === 'event' && e.name === RUN_END && typeof e.runId === 'string') {
      ended.set(e.runId, String((e.data as { status?: unknown } | undefined)?.status ?? 'ok'));
    }
    if (e.type === 'compaction') lastCompaction = i;
  });
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
    if (COMPLETE.has(status) || entry.message.role === 'user') out.push(entry.message);
  }
  return out;
}
