import { describe, expect, it } from 'vitest';
import { chunkText, findFences } from '../../runtime/chunk.js';

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})[^`\n]*$/;

/** Every chunk must render on its own: an even number of fence lines. */
function fenceLines(chunk: string): string[] {
  return chunk.split('\n').filter((l) => FENCE_LINE.test(l));
}

/** The content without fence lines and whitespace: what the reader must still get, in order. */
function essence(s: string): string {
  return s
    .split('\n')
    .filter((l) => !FENCE_LINE.test(l))
    .join('')
    .replace(/\s+/g, '');
}

function prose(sentences: number, seed: string): string {
  const out: string[] = [];
  for (let i = 0; i < sentences; i++) out.push(`${seed} sentence number ${i} says something moderately long here.`);
  return out.join(' ');
}

function codeBlock(lines: number, lang = 'ts'): string {
  const body: string[] = [];
  for (let i = 0; i < lines; i++) body.push(`  const value${i} = compute(${i}, "item-${i}"); // line ${i}`);
  return '```' + lang + '\n' + body.join('\n') + '\n```';
}

describe('chunkText', () => {
  it('returns short text untouched as one chunk, and nothing for blank text', () => {
    expect(chunkText('hello **world**', 4000)).toEqual(['hello **world**']);
    expect(chunkText('', 4000)).toEqual([]);
    expect(chunkText('   \n ', 4000)).toEqual([]);
    expect(() => chunkText('x', 0)).toThrow(RangeError);
  });

  it('splits a 9,000-character reply with a code block into ordered chunks ≤ 4000 with balanced fences', () => {
    const text = ['# Report', prose(40, 'Intro'), prose(30, 'Middle'), 'Here is the code:', codeBlock(40), prose(40, 'Closing')].join('\n\n');
    expect(text.length).toBeGreaterThan(9000);

    const chunks = chunkText(text, 4000);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(4000);
      expect(fenceLines(c).length % 2).toBe(0);
    }
    expect(essence(chunks.join('\n'))).toBe(essence(text));
    // The code block fits in one chunk, so it is not split at all.
    expect(chunks.filter((c) => c.includes('```ts')).length).toBe(1);
    expect(chunks.find((c) => c.includes('```ts'))).toContain(codeBlock(40));
  });

  it('closes and reopens a fence (same info string) when a code block is longer than a chunk', () => {
    const code = codeBlock(200, 'python');
    const text = 'Intro paragraph.\n\n' + code + '\n\nAfter the code.';
    expect(code.length).toBeGreaterThan(8000);
    const chunks = chunkText(text, 4000);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const [i, c] of chunks.entries()) {
      expect(c.length).toBeLessThanOrEqual(4000);
      expect(fenceLines(c).length % 2).toBe(0);
      if (i > 0 && i < chunks.length - 1) expect(c.startsWith('```python\n')).toBe(true);
    }
    // Code lines are never cut in the middle: every line of the original block survives intact.
    const allLines = new Set(chunks.flatMap((c) => c.split('\n')));
    for (const l of code.split('\n').slice(1, -1)) expect(allLines.has(l)).toBe(true);
    expect(essence(chunks.join('\n'))).toBe(essence(text));
    expect(chunks.at(-1)).toContain('After the code.');
  });

  it('prefers paragraph, then line, then sentence, then word boundaries', () => {
    const para = 'a'.repeat(50) + '\n\n' + 'b'.repeat(40);
    expect(chunkText(para, 70)).toEqual(['a'.repeat(50), 'b'.repeat(40)]);

    const lines = 'one two three four.\nfive six seven eight.\nnine ten';
    expect(chunkText(lines, 45)).toEqual(['one two three four.\nfive six seven eight.', 'nine ten']);

    const sentences = 'First sentence is here. Second one follows it and is long';
    expect(chunkText(sentences, 40)).toEqual(['First sentence is here.', 'Second one follows it and is long']);

    const words = 'alpha beta gamma delta epsilon zeta eta theta';
    const chunks = chunkText(words, 20);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(20);
    expect(chunks.join(' ')).toBe(words);
  });

  it('hard-cuts a single overlong word and never splits a surrogate pair', () => {
    const long = 'x'.repeat(25);
    expect(chunkText(long, 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);

    const emoji = '😀'.repeat(10); // 20 UTF-16 units
    const chunks = chunkText(emoji, 5);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(5);
      expect(c).not.toMatch(/[\ud800-\udbff]$/);
    }
    expect(chunks.join('')).toBe(emoji);
  });

  it('keeps every chunk within the limit across many sizes (property-style sweep)', () => {
    const text = [prose(8, 'P'), codeBlock(30, 'js'), prose(5, 'Q'), '~~~\nplain tilde block\n~~~', prose(6, 'R')].join('\n\n');
    for (const max of [60, 97, 150, 333, 512, 1000, 2500]) {
      const chunks = chunkText(text, max);
      for (const c of chunks) {
        expect(c.length).toBeLessThanOrEqual(max);
        expect(fenceLines(c).length % 2).toBe(0);
      }
      expect(essence(chunks.join('\n'))).toBe(essence(text));
    }
  });

  it('finds fences, including tilde fences and an unclosed one', () => {
    const f = findFences('a\n```ts\nx\n```\nb\n~~~~\ny\n~~~~\n```\nopen');
    expect(f.map((x) => [x.opener, x.marker])).toEqual([
      ['```ts', '```'],
      ['~~~~', '~~~~'],
      ['```', '```'],
    ]);
  });
});
