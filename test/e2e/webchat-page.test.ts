// The web chat page as served (CSP that admits exactly its own script and style, no external or HTML-string
// sinks), its reply renderer run against a minimal element tree (untrusted text stays text), and the channel
// greeting sockets that arrive while the gateway is still starting.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MARKDOWN_SCRIPT, WEBCHAT_CSP, WEBCHAT_PAGE } from '../../bots/webchat/page.js';
import { CONTROL_CSP, CONTROL_PAGE } from '../../runtime/control-page/page.js';
import { createWebchatChannel } from '../../bots/webchat/index.js';
import { WebchatNotReadyError, type Inbound, type WebchatMessageIn, type WebchatTransport } from '../../runtime/types/index.js';
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
const shape = (n: FakeNode): unknown => (n.tag === undefined ? n.text : { [n.tag]: n.textContent ?? n.children.map(shape), ...(n.href ? { href: n.href } : {}) });

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
  it('refuses messages clearly (retryable) until started, then hands them to the gateway with the verified user id', async () => {
    let handler: ((m: WebchatMessageIn) => Promise<Inbound>) | undefined;
    const delivered: [string, string][] = [];
    const transport: WebchatTransport = {
      onMessage: (h) => void (handler = h),
      deliver: (userId, m) => void delivered.push([userId, m.text]),
      typing: () => {},
    };
    const channel = createWebchatChannel({ transport, log: memoryLogger() });
    expect(handler).toBeDefined();
    await expect(handler!({ userId: 'early', messageId: 'e1', text: 'too soon', receivedAt: 1 })).rejects.toBeInstanceOf(WebchatNotReadyError);

    const got: Inbound[] = [];
    await channel.start((m) => void got.push(m));
    const inbound = await handler!({ userId: 'Early', messageId: 'e2', text: 'now', receivedAt: 2 });
    expect(got.map((m) => [m.chat.id, m.sender.id, m.messageId, m.text])).toEqual([['early', 'early', 'e2', 'now']]);
    expect(inbound).toBe(got[0]);
    await channel.send({ to: { kind: 'direct', id: 'early' }, text: 'hi' });
    expect(delivered).toEqual([['early', 'hi']]);
    await channel.stop();
    await expect(handler!({ userId: 'early', messageId: 'e3', text: 'late', receivedAt: 3 })).rejects.toBeInstanceOf(WebchatNotReadyError);
  });
});

describe('served control page', () => {
  it('is sent at /control with a CSP that admits only its own script and style, and has no inline handlers', async () => {
    h = await startHarness({ env: {} });
    const res = await fetch(`${h.gw.http.url}/control`);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(html).toBe(CONTROL_PAGE);
    expect(csp).toBe(CONTROL_CSP);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain(`script-src ${hash(between(html, '<script>', '</script>'))}`);
    expect(csp).toContain(`style-src ${hash(between(html, '<style>', '</style>'))}`);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toContain(h.gw.token);
    const script = between(html, '<script>', '</script>');
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });
});
