// Markdown → Slack mrkdwn: what a model writes renders in Slack, and nothing in it can become Slack markup
// (mentions, broadcasts, links) that the model did not write as a Markdown link.
import { describe, expect, it } from 'vitest';
import { escapeMrkdwn, markdownToMrkdwn } from '../../bots/slack/format.js';

describe('markdownToMrkdwn', () => {
  it.each([
    ['**bold** and __also bold__', '*bold* and *also bold*'],
    ['*italic* and _italic_', '_italic_ and _italic_'],
    ['~~gone~~', '~gone~'],
    ['`a < b && c`', '`a &lt; b &amp;&amp; c`'],
    ['[the docs](https://example.com/a_b?x=1&y=2)', '<https://example.com/a_b?x=1&amp;y=2|the docs>'],
    ['[**bold** label](https://example.com)', '<https://example.com|*bold* label>'],
    ['see https://example.com/snake_case_path ok', 'see https://example.com/snake_case_path ok'],
    ['# Title', '*Title*'],
    ['## **Already bold**', '*Already bold*'],
    ['- one\n* two\n  + nested', '• one\n• two\n  • nested'],
    ['> quoted **text**', '> quoted *text*'],
    ['2 * 3 * 4', '2 * 3 * 4'],
    ['snake_case_name', 'snake_case_name'],
  ])('%j', (md, out) => expect(markdownToMrkdwn(md)).toBe(out));

  it('escapes what Slack would read as markup: no broadcast, mention or forged link from model text', () => {
    expect(markdownToMrkdwn('<!channel> <@U123> <https://evil.example|bank>')).toBe('&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|bank&gt;');
  });

  it('keeps code fences as Slack code blocks, drops the info string, formats nothing inside', () => {
    const md = 'Run:\n```ts\nconst a = **b** < c;\n```\ndone';
    expect(markdownToMrkdwn(md)).toBe('Run:\n```\nconst a = **b** &lt; c;\n```\ndone');
  });

  it('closes an unclosed fence (a chunk cut by the runtime is still a code block)', () => {
    expect(markdownToMrkdwn('```\nline 1\nline 2')).toBe('```\nline 1\nline 2\n```');
  });

  it('a ``` inside a ~~~ fence cannot end the Slack block early', () => {
    const out = markdownToMrkdwn('~~~\na ``` b\n~~~');
    expect(out.match(/```/g)).toHaveLength(2);
  });

  it('strips the placeholder characters from input', () => {
    expect(markdownToMrkdwn('a\u0000b\u0001c')).toBe('abc');
  });
});

describe('escapeMrkdwn', () => {
  it('escapes &, < and > only', () => expect(escapeMrkdwn('a & <b> "c"')).toBe('a &amp; &lt;b&gt; "c"'));
});
