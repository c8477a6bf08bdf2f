import { describe, expect, it } from 'vitest';
import { markdownToWhatsApp } from '../../bots/whatsapp/format.js';

describe('markdownToWhatsApp', () => {
  const cases: [string, string, string][] = [
    ['bold', 'this is **important**', 'this is *important*'],
    ['bold with underscores', 'this is __important__', 'this is *important*'],
    ['italic with a star', 'this is *subtle*', 'this is _subtle_'],
    ['italic with underscores stays', 'this is _subtle_', 'this is _subtle_'],
    ['bold and italic side by side', '**a** and *b*', '*a* and _b_'],
    ['strikethrough', '~~gone~~', '~gone~'],
    ['inline code untouched inside', 'run `rm -rf **/tmp*` now', 'run `rm -rf **/tmp*` now'],
    ['heading', '## Plan for **today**', '*Plan for today*'],
    ['star bullets become dashes', '* one\n* two', '- one\n- two'],
    ['nested bullets keep their indent', '- one\n  * inner', '- one\n  - inner'],
    ['link', 'see [the docs](https://example.org/docs)', 'see the docs (https://example.org/docs)'],
    ['link whose text is the url', '[https://example.org](https://example.org)', 'https://example.org'],
    ['bare URL with underscores is not italic', 'https://example.org/a_b_c', 'https://example.org/a_b_c'],
    ['snake_case words are not italic', 'set max_tool_rounds here', 'set max_tool_rounds here'],
    ['a lone star stays', '2 * 3 = 6', '2 * 3 = 6'],
    ['horizontal rule', 'a\n---\nb', 'a\n───\nb'],
    ['quote passes through', '> quoted', '> quoted'],
  ];
  for (const [name, md, wa] of cases) {
    it(name, () => expect(markdownToWhatsApp(md)).toBe(wa));
  }

  it('code blocks drop the language tag and keep their body verbatim', () => {
    const md = 'Try:\n```python\nprint("**not bold**")\n# not a heading\n```\ndone';
    expect(markdownToWhatsApp(md)).toBe('Try:\n```\nprint("**not bold**")\n# not a heading\n```\ndone');
  });

  it('an unclosed fence is closed (a chunk cut inside a block must still read as code)', () => {
    expect(markdownToWhatsApp('```sh\nls -la')).toBe('```\nls -la\n```');
  });

  it('CRLF input is handled like LF', () => {
    expect(markdownToWhatsApp('**a**\r\n*b*')).toBe('*a*\n_b_');
  });
});
