// Pruning of stale tool results, table-driven: soft trim, hard clear, the per-result cap and the protected spans.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../runtime/config/schema.js';
import type { ModelMessage } from '../../runtime/types/index.js';
import { pruneMessages, type PruningSettings } from '../../runtime/context/pruning.js';

const defaults: PruningSettings = configSchema.parse({}).agents.defaults.contextPruning;
const PLACEHOLDER = '[Old tool result content cleared]';

const u = (text = 'q'): ModelMessage => ({ role: 'user', text });
const a = (text = 'ok'): ModelMessage => ({ role: 'assistant', text });
const call = (id: string): ModelMessage => ({ role: 'assistant', text: '', toolCalls: [{ id, name: 'read', args: {} }] });
const res = (id: string, chars: number): ModelMessage => ({ role: 'tool', results: [{ callId: id, name: 'read', content: `${id}:`.padEnd(chars, 'r') }] });

/** What became of each tool result: 'kept', 'soft' (head + tail) or 'hard' (placeholder). */
function fate(before: ModelMessage[], after: ModelMessage[], settings: PruningSettings): string[] {
  const out: string[] = [];
  before.forEach((m, i) => {
    if (m.role !== 'tool') return;
    const now = (after[i] as typeof m).results[0]!.content;
    out.push(now === m.results[0]!.content ? 'kept' : now === settings.hardClear.placeholder ? 'hard' : now.includes('[Tool result trimmed') ? 'soft' : '?');
  });
  return out;
}

const run = (sizes: number[], o: { window: number; system?: number; minPrunable?: number; off?: boolean }) => {
  const settings: PruningSettings = { ...defaults, mode: o.off ? 'off' : 'auto', minPrunableToolChars: o.minPrunable ?? defaults.minPrunableToolChars };
  const before = session(sizes);
  const out = pruneMessages(before, { settings, windowTokens: o.window, systemChars: o.system ?? 0 });
  expect(before).toEqual(session(sizes)); // the transcript's messages are untouched: pruning copies
  return { fates: fate(before, out.messages, settings), ratio: ((o.system ?? 0) + out.stats.charsAfter) / (o.window * 4) };
};
const twenty = Array.from({ length: 20 }, () => 5_000);

// A session: first a bootstrap exchange with a tool result before any user message, then turns with results.
const session = (sizes: number[]): ModelMessage[] => [
  call('boot'),
  res('boot', 10_000),
  u('first'),
  ...sizes.flatMap((n, i) => [call(`t${i}`), res(`t${i}`, n), a(`answer ${i}`), u(`next ${i}`)]),
  a('last'),
];

describe('pruning', () => {
  // Windows in tokens (×4 = characters); ratios are of system + message characters to window characters. The
  // results are [bootstrap (before the first user message), t0, t1, …]; the last turn's is within the last three
  // assistant messages.
  it.each([
    ['under the soft ratio: nothing changes', [10_000, 10_000, 10_000, 10_000, 10_000], { window: 1_000_000 }, ['kept', 'kept', 'kept', 'kept', 'kept', 'kept']],
    [
      'past the soft ratio: old results over 4,000 chars keep head + tail; protected spans untouched',
      [10_000, 3_000, 10_000, 10_000, 10_000],
      { window: 50_000, system: 10_000 },
      ['kept', 'soft', 'kept', 'soft', 'soft', 'kept'],
    ],
    [
      'past the hard ratio but under minPrunableToolChars: soft trim only',
      twenty,
      { window: 20_000, minPrunable: 1_000_000 },
      ['kept', ...Array(19).fill('soft'), 'kept'],
    ],
    ['mode off: nothing, not even the cap', [80_000, 10_000, 10_000, 10_000], { window: 10_000, off: true }, ['kept', 'kept', 'kept', 'kept', 'kept']],
  ])('%s', (_label, sizes, o, want) => {
    expect(run(sizes, o).fates).toEqual(want);
  });

  it('past the hard ratio with enough prunable chars: the oldest are cleared, just until under the ratio', () => {
    const { fates, ratio } = run(twenty, { window: 20_000 });
    const hard = fates.filter((f) => f === 'hard').length;
    expect(hard).toBeGreaterThan(0);
    expect(fates).toEqual(['kept', ...Array(hard).fill('hard'), ...Array(19 - hard).fill('soft'), 'kept']);
    expect(ratio).toBeLessThan(0.5);
    // One fewer cleared result would have left it at or above the ratio.
    expect(ratio + (3_100 - PLACEHOLDER.length) / (20_000 * 4)).toBeGreaterThanOrEqual(0.5);
  });

  it('every result over maxToolResultChars is capped, protected ones too, keeping head and tail and the size', () => {
    const before: ModelMessage[] = [u(), call('x'), res('x', 120_000), a()];
    const { messages, stats } = pruneMessages(before, { settings: defaults, windowTokens: 10_000_000, systemChars: 0 });
    const content = (messages[2] as Extract<ModelMessage, { role: 'tool' }>).results[0]!.content;
    expect(content.length).toBeLessThanOrEqual(50_200);
    expect(content.startsWith('x:rrr')).toBe(true);
    expect(content).toContain('of 120000 characters');
    expect(stats.capped).toBe(1);
  });

  it('soft trim keeps the first 1500 and last 1500 characters and says how big it was', () => {
    const before = session([9_000, 1, 1, 1]);
    const { messages, stats } = pruneMessages(before, { settings: defaults, windowTokens: 5_000, systemChars: 0 });
    const trimmed = (messages[4] as Extract<ModelMessage, { role: 'tool' }>).results[0]!.content;
    expect(trimmed.startsWith('t0:'.padEnd(1500, 'r'))).toBe(true);
    expect(trimmed).toContain('[Tool result trimmed: kept the first 1500 and last 1500 of 9000 characters]');
    expect(stats.softTrimmed).toBe(1);
  });

  it('fewer assistant turns than keepLastAssistants: everything is protected', () => {
    const before: ModelMessage[] = [u(), call('x'), res('x', 40_000), a()];
    const { messages } = pruneMessages(before, { settings: defaults, windowTokens: 1_000, systemChars: 0 });
    expect(messages).toBe(before);
  });

  it('the default placeholder is the one in the README', () => {
    expect(defaults.hardClear.placeholder).toBe(PLACEHOLDER);
    expect(defaults).toMatchObject({
      mode: 'auto',
      keepLastAssistants: 3,
      softTrimRatio: 0.3,
      hardClearRatio: 0.5,
      minPrunableToolChars: 50_000,
      softTrim: { maxChars: 4000, headChars: 1500, tailChars: 1500 },
      maxToolResultChars: 50_000,
    });
  });
});
