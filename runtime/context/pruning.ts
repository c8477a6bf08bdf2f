// Pruning of stale tool results, in memory, before every model call (the transcript is untouched). Old tool
// output is what grows a context fastest and matters least once the model has acted on it:
// - every result is capped at maxToolResultChars (head and tail kept), every call;
// - past softTrimRatio of the window, results older than the last keepLastAssistants assistant turns that are
//   longer than softTrim.maxChars keep only their head and tail, with a note of the original size;
// - past hardClearRatio, and when at least minPrunableToolChars of such results exist, the oldest are replaced by
//   hardClear.placeholder until the context is under the ratio.
// Nothing before the first user message and nothing in the last keepLastAssistants turns is trimmed or cleared.
import type { ModelMessage, ToolResultMessage } from '../types/provider.js';
import { headOf, tailOf } from '../text-cut.js';
import { messagesChars } from './budget.js';

export interface PruningSettings {
  mode: 'auto' | 'off';
  keepLastAssistants: number;
  softTrimRatio: number;
  hardClearRatio: number;
  minPrunableToolChars: number;
  softTrim: { maxChars: number; headChars: number; tailChars: number };
  hardClear: { placeholder: string };
  maxToolResultChars: number;
}

export interface PruneStats {
  capped: number;
  softTrimmed: number;
  hardCleared: number;
  charsBefore: number;
  charsAfter: number;
}

function headTail(content: string, head: number, tail: number): string {
  const h = headOf(content, head);
  const t = tailOf(content, tail);
  return `${h}\n…\n${t}\n[Tool result trimmed: kept the first ${h.length} and last ${t.length} of ${content.length} characters]`;
}

/**
 * The messages to send. `windowTokens` is the model's window (≈ 4 characters a token); `systemChars` the system
 * prompt and tool schemas, which count towards the ratios. Returns the input array itself when nothing changed.
 */
export function pruneMessages(
  messages: ModelMessage[],
  opts: { settings: PruningSettings; windowTokens: number; systemChars: number },
): { messages: ModelMessage[]; stats: PruneStats } {
  const s = opts.settings;
  const charsBefore = messagesChars(messages);
  const stats: PruneStats = { capped: 0, softTrimmed: 0, hardCleared: 0, charsBefore, charsAfter: charsBefore };
  if (s.mode === 'off') return { messages, stats };

  let out = messages;
  const copyOnWrite = () => {
    if (out === messages) out = messages.slice();
  };
  const replace = (i: number, fn: (r: ToolResultMessage, j: number) => string | undefined) => {
    const m = out[i] as Extract<ModelMessage, { role: 'tool' }>;
    let results: ToolResultMessage[] | undefined;
    m.results.forEach((r, j) => {
      const next = fn(r, j);
      if (next === undefined || next === r.content) return;
      results ??= m.results.slice();
      results[j] = { ...r, content: next };
    });
    if (results) {
      copyOnWrite();
      out[i] = { role: 'tool', results };
    }
  };

  let total = opts.systemChars + charsBefore;
  // Every result, every call: no single result may take more than maxToolResultChars.
  out.forEach((m, i) => {
    if (m.role !== 'tool') return;
    replace(i, (r) => {
      if (r.content.length <= s.maxToolResultChars) return undefined;
      stats.capped++;
      const half = Math.floor(s.maxToolResultChars / 2);
      const cut = headTail(r.content, half, half);
      total -= r.content.length - cut.length;
      return cut;
    });
  });

  // The protected spans: before the first user message, and from the keepLastAssistants-th last assistant on.
  const firstUser = out.findIndex((m) => m.role === 'user');
  let cutoff = -1;
  let seen = 0;
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]!.role === 'assistant' && ++seen === s.keepLastAssistants) {
      cutoff = i;
      break;
    }
  }
  const windowChars = opts.windowTokens * 4;
  if (firstUser < 0 || cutoff <= firstUser || windowChars <= 0) return finish();
  const prunable: number[] = [];
  for (let i = firstUser + 1; i < cutoff; i++) if (out[i]!.role === 'tool') prunable.push(i);
  if (prunable.length === 0 || total / windowChars < s.softTrimRatio) return finish();

  for (const i of prunable) {
    replace(i, (r) => {
      if (r.content.length <= s.softTrim.maxChars) return undefined;
      const cut = headTail(r.content, s.softTrim.headChars, s.softTrim.tailChars);
      if (cut.length >= r.content.length) return undefined;
      stats.softTrimmed++;
      total -= r.content.length - cut.length;
      return cut;
    });
  }

  if (total / windowChars >= s.hardClearRatio) {
    const prunableChars = prunable.reduce((n, i) => n + messagesChars([out[i]!]), 0);
    if (prunableChars >= s.minPrunableToolChars) {
      for (const i of prunable) {
        if (total / windowChars < s.hardClearRatio) break;
        replace(i, (r) => {
          if (total / windowChars < s.hardClearRatio || r.content === s.hardClear.placeholder) return undefined;
          stats.hardCleared++;
          total -= r.content.length - s.hardClear.placeholder.length;
          return s.hardClear.placeholder;
        });
      }
    }
  }
  return finish();

  function finish() {
    stats.charsAfter = messagesChars(out);
    return { messages: out, stats };
  }
}

/** The prepareMessages of a run: pruning with the session's settings and its model's window. */
export function prunerFor(settings: PruningSettings, windowTokens: number, systemChars: number): (m: ModelMessage[]) => ModelMessage[] {
  return (m) => pruneMessages(m, { settings, windowTokens, systemChars }).messages;
}
