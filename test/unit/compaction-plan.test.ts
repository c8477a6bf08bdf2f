import { describe, expect, it } from 'vitest';
import type { ModelMessage, TranscriptEntry } from '../../runtime/types/index.js';
import { historyFromTranscript, RUN_END, viewFromTranscript, type ViewItem } from '../../runtime/agent/history.js';
import { planCompaction } from '../../runtime/context/compaction/plan.js';
import { compactionThreshold, keepBudget } from '../../runtime/context/compaction/compactor.js';
import { packParts, transcriptText } from '../../runtime/context/compaction/summarize.js';

// Sizes in tokens (4 characters each).
const t = (tokens: number) => 'x'.repeat(tokens * 4);
const user = (tokens: number): ModelMessage => ({ role: 'user', text: t(tokens) });
const said = (tokens: number): ModelMessage => ({ role: 'assistant', text: t(tokens) });
const calls = (tokens: number): ModelMessage => ({ role: 'assistant', text: '', toolCalls: [{ id: 'c', name: 'w', args: { s: t(tokens) } }] });
const result = (tokens: number): ModelMessage => ({ role: 'tool', results: [{ callId: 'c', name: 'w', content: t(tokens) }] });
const items = (...ms: ModelMessage[]): ViewItem[] => ms.map((message, i) => ({ entryId: `e${i}`, message }));

describe('where a compaction cuts', () => {
  it.each([
    ['keeps the newest messages that fit', items(user(100), said(100), user(100), said(100)), 250, 'e2', 2],
    ['keeps at least the newest message, even when it is larger than the budget', items(user(100), said(900)), 250, 'e1', 1],
    ['a tool result that fits is not kept without its call', items(user(10), calls(200), result(100), said(10)), 150, 'e3', 3],
    ['a call and its result are kept together when both fit', items(user(300), calls(50), result(50), said(10)), 150, 'e1', 1],
    ['two results after one call stay with it', items(user(300), calls(10), result(10), result(10), said(10)), 100, 'e1', 1],
  ])('%s', (_label, view, keep, firstKept, summarised) => {
    const plan = planCompaction(view, keep)!;
    expect(plan.firstKeptEntryId).toBe(firstKept);
    expect(plan.summarise).toHaveLength(summarised);
    // Never a tool message at the start of what is kept, never an assistant call at the end of what is summarised.
    const keptFirst = view.find((i) => i.entryId === firstKept)!.message;
    expect(keptFirst.role).not.toBe('tool');
    expect(plan.summarise.at(-1)).not.toMatchObject({ toolCalls: expect.anything() });
  });

  it('nothing to summarise: null', () => {
    expect(planCompaction(items(user(10), said(10)), 1000)).toBeNull();
    expect(planCompaction([], 1000)).toBeNull();
  });

  it('with a turn in progress, everything may be summarised and the kept part starts at the turn', () => {
    const plan = planCompaction(items(user(100), said(100)), 50, 'run-start');
    expect(plan).toMatchObject({ firstKeptEntryId: 'run-start', keptTokens: 0 });
    expect(plan!.summarise).toHaveLength(2);
  });
});

describe('thresholds', () => {
  it.each([
    [200_000, 20_000, 20_000, 180_000, 20_000],
    [32_000, 20_000, 20_000, 16_000, 8_000],
    [8_000, 20_000, 20_000, 4_000, 2_000],
  ])('window %i, reserve %i, keep %i → compact above %i, keep %i', (window, reserveTokens, keepRecentTokens, threshold, keep) => {
    expect(compactionThreshold(window, { reserveTokens, keepRecentTokens })).toBe(threshold);
    expect(keepBudget(window, { reserveTokens, keepRecentTokens })).toBe(keep);
  });
});

describe('history after a compaction', () => {
  const msg = (id: string, runId: string, m: ModelMessage): TranscriptEntry => ({ type: 'message', id, ts: 1, runId, message: m });
  const end = (runId: string): TranscriptEntry => ({ type: 'event', ts: 1, runId, name: RUN_END, data: { status: 'ok' } });
  const entries: TranscriptEntry[] = [
    msg('a', 'r1', { role: 'user', text: 'OLD question' }),
    msg('b', 'r1', { role: 'assistant', text: 'OLD answer' }),
    end('r1'),
    msg('c', 'r2', { role: 'user', text: 'kept question' }),
    msg('d', 'r2', { role: 'assistant', text: 'kept answer' }),
    end('r2'),
    { type: 'compaction', id: 'k1', summary: 'they asked an OLD question', firstKeptEntryId: 'c', tokensBefore: 100, tokensAfter: 20, ts: 2 },
    msg('e', 'r3', { role: 'user', text: 'new' }),
    msg('f', 'r3', { role: 'assistant', text: 'newer' }),
    end('r3'),
  ];

  it('is the summary, then the entries from firstKeptEntryId on (also those before the compaction entry)', () => {
    expect(historyFromTranscript(entries)).toEqual([
      { role: 'user', text: 'Summary of the earlier conversation:\nthey asked an OLD question' },
      { role: 'user', text: 'kept question' },
      { role: 'assistant', text: 'kept answer' },
      { role: 'user', text: 'new' },
      { role: 'assistant', text: 'newer' },
    ]);
  });

  it('a later compaction wins; entries without ids are named by position', () => {
    const noIds = entries.map((e) => ({ ...e, id: undefined }) as TranscriptEntry);
    const later: TranscriptEntry[] = [
      ...noIds.slice(0, 6),
      { type: 'compaction', id: 'k2', summary: 'S2', firstKeptEntryId: '@4', tokensBefore: 1, tokensAfter: 1, ts: 3 },
    ];
    expect(viewFromTranscript(later).items.map((i) => i.entryId)).toEqual(['@4']);
  });
});

describe('the summariser input', () => {
  it('renders calls and results as text, cutting huge results, and packs parts under the limit', () => {
    const blocks = transcriptText([user(1), calls(1), { role: 'tool', results: [{ callId: 'c', name: 'read', content: 'y'.repeat(50_000) }] }]);
    expect(blocks[1]).toMatch(/^\[assistant calls w /);
    expect(blocks[2]!.length).toBeLessThan(2_200);
    expect(blocks[2]).toContain('characters left out');
    expect(packParts(['a'.repeat(60), 'b'.repeat(60), 'c'.repeat(10)], 100)).toEqual(['a'.repeat(60), `${'b'.repeat(60)}\n\n${'c'.repeat(10)}`]);
  });
});
