// The summarisation call of a compaction: a separate model call with a fixed prompt, over the messages to be
// replaced (as plain text, so tool calls need no pairing) and the previous summary. A history too large for one
// call is summarised in parts, each folding the next part into the summary so far.
import type { Clock } from '../../clock.js';
import type { ModelCaller } from '../../agent/model-caller.js';
import type { ModelMessage, ModelRef } from '../../types/provider.js';
import { headOf, tailOf } from '../../text-cut.js';

export const SUMMARY_SYSTEM_PROMPT = [
  'You summarise the earlier part of a chat between people and an AI agent, so that the agent can go on without',
  'the full text. Write a concise summary in Markdown under these headings: Context and goals; Decisions;',
  'Open tasks and questions; Details to keep. Copy verbatim, never paraphrased: every identifier (names, ids,',
  'numbers, dates, URLs, commands, error messages) and every file path. Keep what was decided and what is still',
  'open; leave out small talk. When a previous summary is given, merge it with the new part into one summary.',
  'Answer with the summary only.',
].join(' ');

/** Per message, what goes into the summariser's input (head and tail of anything longer). */
const MAX_MESSAGE_CHARS = 8_000;
const MAX_TOOL_RESULT_CHARS = 2_000;
/** Calls one compaction may make (a history larger than this many windows is dropped from view instead). */
export const MAX_SUMMARY_CALLS = 8;
const SUMMARY_MAX_TOKENS = 4_096;

export type SummaryResult = { ok: true; summary: string; calls: number } | { ok: false; reason: string; calls: number };

export interface SummariseInput {
  modelCaller: ModelCaller;
  candidates: ModelRef[];
  runId: string;
  sessionKey: string;
  agentId: string;
  previousSummary?: string;
  messages: ModelMessage[];
  focus?: string;
  /** Characters of conversation per call (from the model's window). */
  maxInputChars: number;
  timeoutMs: number;
  clock: Clock;
  /** Aborts the call (a /stop or a shutdown during the compaction). */
  signal?: AbortSignal;
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const half = Math.floor(max / 2);
  return `${headOf(text, half)}\n[… ${text.length - 2 * half} characters left out …]\n${tailOf(text, half)}`;
}

/** The conversation as plain text, one block per message. */
export function transcriptText(messages: readonly ModelMessage[]): string[] {
  const out: string[] = [];
  for (const m of messages) {
    if (m.role === 'user') out.push(`[user]\n${cut(m.text, MAX_MESSAGE_CHARS)}`);
    else if (m.role === 'assistant') {
      const calls = (m.toolCalls ?? []).map((c) => `[assistant calls ${c.name} ${cut(JSON.stringify(c.args), MAX_TOOL_RESULT_CHARS)}]`);
      out.push([m.text ? `[assistant]\n${cut(m.text, MAX_MESSAGE_CHARS)}` : '', ...calls].filter(Boolean).join('\n'));
    } else {
      for (const r of m.results) out.push(`[result of ${r.name}${r.isError ? ' (error)' : ''}]\n${cut(r.content, MAX_TOOL_RESULT_CHARS)}`);
    }
  }
  return out;
}

/** Blocks packed into parts of at most maxChars each (a single larger block is its own part). */
export function packParts(blocks: readonly string[], maxChars: number): string[] {
  const parts: string[] = [];
  let cur = '';
  for (const b of blocks) {
    if (cur !== '' && cur.length + b.length + 2 > maxChars) {
      parts.push(cur);
      cur = '';
    }
    cur = cur === '' ? b : `${cur}\n\n${b}`;
  }
  if (cur !== '') parts.push(cur);
  return parts;
}

export async function summarise(input: SummariseInput): Promise<SummaryResult> {
  const parts = packParts(transcriptText(input.messages), input.maxInputChars);
  if (parts.length > MAX_SUMMARY_CALLS) {
    return { ok: false, reason: `the history needs ${parts.length} summarisation calls; the limit is ${MAX_SUMMARY_CALLS}`, calls: 0 };
  }
  let summary = input.previousSummary;
  let calls = 0;
  for (const part of parts) {
    const text = [summary ? `Previous summary:\n${summary}` : '', `Conversation to summarise:\n${part}`, input.focus ? `Pay particular attention to: ${input.focus}` : '']
      .filter(Boolean)
      .join('\n\n');
    calls++;
    const res = await callOnce(input, text);
    if (!res.ok) return { ...res, calls };
    summary = res.summary;
  }
  return summary ? { ok: true, summary, calls } : { ok: false, reason: 'nothing to summarise', calls };
}

async function callOnce(input: SummariseInput, text: string): Promise<{ ok: true; summary: string } | { ok: false; reason: string }> {
  const ac = new AbortController();
  const timer = input.clock.setTimeout(() => ac.abort(new Error(`summarisation timed out after ${input.timeoutMs} ms`)), input.timeoutMs);
  const onAbort = () => ac.abort(input.signal?.reason);
  if (input.signal?.aborted) onAbort();
  else input.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const e of input.modelCaller.stream({
      runId: input.runId,
      sessionKey: input.sessionKey,
      agentId: input.agentId,
      candidates: input.candidates,
      system: SUMMARY_SYSTEM_PROMPT,
      messages: [{ role: 'user', text }],
      tools: [],
      signal: ac.signal,
      maxTokens: SUMMARY_MAX_TOKENS,
    })) {
      if (e.type === 'done') {
        const summary = e.text.trim();
        return summary ? { ok: true, summary } : { ok: false, reason: 'the model returned an empty summary' };
      }
      if (e.type === 'error') return { ok: false, reason: `${e.error.kind}: ${e.error.message}` };
      if (e.type === 'unavailable') return { ok: false, reason: `no model available (${e.error.kind})` };
    }
    return { ok: false, reason: ac.signal.aborted ? 'timed out' : 'the model stream ended without a result' };
  } finally {
    input.clock.clearTimeout(timer);
    input.signal?.removeEventListener('abort', onAbort);
  }
}
