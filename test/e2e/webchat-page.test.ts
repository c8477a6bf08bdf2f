// The web chat page as served (CSP that admits exactly its own script and style, no external or HTML-string
// sinks), its reply renderer run against a minimal element tree (untrusted text stays text), and the channel
// greeting sockets that arrive while the gateway is still starting.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { MARKDOWN_SCRIPT, WEBCHAT_CSP, WEBCHAT_PAGE } from '../../bots/webchat/page.js';
import { createWebchatChannel } from '../../bots/webchat/index.js';
import type { Inbound } from '../../runtime/types/index.js';
import { memoryLogger, startHarness, type Harness } from '../fakes/gateway-harness.js';

const between = (html: string, open: string, close: string) => {
  const start = html.indexOf(open);
  expect(start).toBeGreaterThan(-1);
  return html.slice(start + open.length, html.indexOf(close, start));
};
const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('served web chat page', () => {
  it('is sent with a CSP that allows only its own inline script and style, by hash', async () => {
    h = await startHarness({ env: {} });
    const res = await fetch(`${h.gw.http.url}/`);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toBe(WEBCHAT_CSP);
    expect(html).toBe(WEBCHAT_PAGE);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`script-src ${hash(between(html, '<script>', '</script>'))}`);
    expect(csp).toContain(`style-src ${hash(between(html, '<style>', '</style>'))}`);
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it('has the elements its script drives, loads nothing external and never builds HTML from strings', () => {
    for (const id of ['st', 'note', 'main', 'log', 'typing', 'f', 't', 'send', 'clr']) expect(WEBCHAT_PAGE).toContain(`id="${id}"`);
    expect(WEBCHAT_PAGE).not.toMatch(/\ssrc=|href="http/);
    const script = between(WEBCHAT_PAGE, '<script>', '</script>');
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    expect(WEBCHAT_PAGE).toContain('width=device-width');
  });
});

// Just enough of the DOM for the renderer: elements with children, text nodes, and the attributes it sets.
interface FakeNode {
  tag?: string;
  text?: string;
  children: FakeNode[];
  href?: string;
  rel?: string;
  target?: string;
  textContent?: string;
  appendChild(n: FakeNode): FakeNode;
}
function node(init: Partial<FakeNode>): FakeNode {
  const n: FakeNode = {
    children: [],
    ...init,
    appendChild(c) {
      n.children.push(c);
      return c;
    },
  };
  return n;
}
const fakeDocument = {
  createElement: (tag: string) => node({ tag }),
  createTextNode: (text: string) => node({ text }),
};
const render = (text: string): FakeNode => {
  const markdown = new Function('document', `'use strict';${MARKDOWN_SCRIPT}\nreturn markdown;`)(fakeDocument) as (box: FakeNode, s: string) => void;
  const box = node({ tag: 'div' });
  markdown(box, text);
  return box;
};
const shape = (n: FakeNode): unknown =>
  n.tag === undefined ? n.text : { [n.tag]: n.textContent ?? n.children.map(shape), ...(n.href ? { href: n.href } : {}) };

describe('reply renderer', () => {
  it('renders fenced code, inline code, bold and http(s) links as elements', () => {
    const box = render('Hi **you**, run `ls`:\n\n```sh\nls -la\necho "<b>"\n```\n\nsee [docs](https://example.com/a) or https://example.org/x.');
    expect(box.children.map(shape)).toEqual([
      'Hi ',
      { strong: 'you' },
      ', run ',
      { code: 'ls' },
      ':',
      { pre: [{ code: 'ls -la\necho "<b>"' }] },
      'see ',
      { a: 'docs', href: 'https://example.com/a' },
      ' or ',
      { a: 'https://example.org/x', href: 'https://example.org/x' },
      '.',
    ]);
    const a = box.children.find((c) => c.tag === 'a')!;
    expect([a.target, a.rel]).toEqual(['_blank', 'noopener noreferrer']);
  });

  it('keeps markup and script-like links as plain text', () => {
    const evil = 'x <img src=x onerror=alert(1)> <script>alert(2)</script> [y](javascript:alert(3)) [z](data:text/html,hi)';
    const box = render(evil);
    expect(box.children.map(shape)).toEqual([evil]);
    const fenced = render('```\n<img src=x onerror=alert(1)>\n```');
    expect(fenced.children.map(shape)).toEqual([{ pre: [{ code: '<img src=x onerror=alert(1)>' }] }]);
  });

  it('shows an unterminated code fence as code to the end', () => {
    expect(render('start\n```js\nlet a = 1;').children.map(shape)).toEqual(['start', { pre: [{ code: 'let a = 1;' }] }]);
  });
});

describe('web chat channel before start()', () => {
  it('greets a socket at once, refuses its messages clearly, and takes them once started', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const port = (wss.address() as { port: number }).port;
    const channel = createWebchatChannel({ wss, log: memoryLogger() });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?user=early`);
    const frames: Record<string, unknown>[] = [];
    const waiters: (() => void)[] = [];
    ws.on('message', (d) => {
      frames.push(JSON.parse(d.toString()) as Record<string, unknown>);
      for (const w of waiters.splice(0)) w();
    });
    const frame = async (type: string) => {
      for (;;) {
        const f = frames.find((x) => x.type === type);
        if (f) return frames.splice(frames.indexOf(f), 1)[0]!;
        await new Promise<void>((r) => waiters.push(r));
      }
    };
    try {
      expect(await frame('hello')).toEqual({ type: 'hello', userId: 'early' });
      ws.send(JSON.stringify({ type: 'message', id: 'e1', text: 'too soon' }));
      expect(await frame('error')).toMatchObject({ id: 'e1', error: expect.stringMatching(/starting or stopping.*send it again/) });

      const got: Inbound[] = [];
      await channel.start((m) => void got.push(m));
      ws.send(JSON.stringify({ type: 'message', id: 'e2', text: 'now' }));
      expect(await frame('ack')).toEqual({ type: 'ack', id: 'e2' });
      expect(got.map((m) => [m.chat.id, m.messageId, m.text])).toEqual([['early', 'e2', 'now']]);
    } finally {
      ws.close();
      await channel.stop();
      await new Promise<void>((r) => wss.close(() => r()));
    }
  });
});
