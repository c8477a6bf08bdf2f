import { describe, expect, it } from 'vitest';
import { headOf, tailOf } from '../../runtime/text-cut.js';
import { truncateMiddle } from '../../runtime/agent/workspace.js';
import { capMiddle } from '../../runtime/tools/output-cap.js';
import { noteLine } from '../../runtime/queue/drop-notes.js';

const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('cuts that keep surrogate pairs whole', () => {
  it('headOf/tailOf keep one unit less instead of half an emoji', () => {
    expect(headOf('ab😀c', 3)).toBe('ab');
    expect(headOf('ab😀c', 4)).toBe('ab😀');
    expect(headOf('abc', 2)).toBe('ab');
    expect(headOf('abc', 0)).toBe('');
    expect(headOf('abc', 9)).toBe('abc');
    expect(tailOf('a😀bc', 3)).toBe('bc');
    expect(tailOf('a😀bc', 4)).toBe('😀bc');
    expect(tailOf('abc', 0)).toBe('');
    expect(tailOf('abc', 9)).toBe('abc');
  });

  it('every cutting helper leaves well-formed text at every cut position', () => {
    const text = 'x😀'.repeat(300);
    for (let n = 1; n < 200; n++) {
      expect(headOf(text, n)).not.toMatch(lone);
      expect(tailOf(text, n)).not.toMatch(lone);
      const c = capMiddle(text, 60 + n);
      expect(c).not.toMatch(lone);
      const cm = /\n\[output cut: (\d+) characters not shown\]\n/.exec(c)!;
      expect(cm.index + (c.length - cm.index - cm[0].length) + Number(cm[1])).toBe(text.length);
      const t = truncateMiddle(text, 100 + n).text;
      expect(t).not.toMatch(lone);
      expect(t.length).toBeLessThanOrEqual(100 + n);
      // The marker counts exactly what was cut: kept head + kept tail + cut = the whole text.
      const m = /\n\n\[… (\d+) characters cut …\]\n\n/.exec(t)!;
      expect(m.index + (t.length - m.index - m[0].length) + Number(m[1])).toBe(text.length);
    }
    for (let n = 0; n < 4; n++) expect(noteLine('a'.repeat(157 + n) + '😀'.repeat(5))).not.toMatch(lone);
  });
});
