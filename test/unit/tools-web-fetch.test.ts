// web_fetch: SSRF refusals after DNS resolution, redirects checked per hop, caps; private fetch when allowed.
// All traffic stays on 127.0.0.1; host names are resolved by an injected lookup or /etc/hosts (localhost).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../runtime/config/schema.js';
import { blockedReason } from '../../runtime/tools/ip-ranges.js';
import type { ToolContext } from '../../runtime/tools/types.js';
import { webFetchTool, type ResolvedAddress } from '../../runtime/tools/web-fetch.js';

let server: http.Server;
let base: string;
let port: number;
const seen: { url: string; host: string | undefined }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', host: req.headers.host });
    if (req.url === '/page') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end('<html><head><title>Hi &amp; bye</title><script>evil()</script></head><body><p>Hello <b>world</b></p></body></html>');
    } else if (req.url === '/big') {
      res.setHeader('content-type', 'text/plain');
      res.end('x'.repeat(10_000));
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: '/page' }).end();
    } else if (req.url === '/to-file') {
      res.writeHead(302, { location: 'file:///etc/passwd' }).end();
    } else if (req.url === '/missing') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('nope');
    } else {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const ctx: ToolContext = {
  runId: 'r',
  sessionKey: 'agent:main:main',
  agentId: 'main',
  workspace: '/nonexistent',
  origin: { channel: 'webchat', accountId: 'default', chat: { kind: 'direct', id: 'u' }, senderId: 'u' },
  isOwnerMain: true,
  signal: new AbortController().signal,
};

function tool(allowPrivateNetwork: boolean, names: Record<string, ResolvedAddress[]> = {}, maxBytes?: number) {
  const config = configSchema.parse({ tools: { web: { allowPrivateNetwork, ...(maxBytes ? { maxBytes } : {}) } } });
  return webFetchTool({
    config: () => config,
    lookup: async (host) => {
      const a = names[host];
      if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return a;
    },
  });
}

describe('web_fetch refuses non-public addresses by default', () => {
  it.each([
    ['loopback literal', () => `${base}/`],
    ['RFC 1918', () => 'http://10.1.2.3/'],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/'],
    ['CGNAT', () => 'http://100.64.1.1/'],
    ['IPv6 loopback', () => `http://[::1]:${port}/`],
    ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${port}/`],
    ['decimal IPv4 (URL-normalised to 127.0.0.1)', () => `http://2130706433:${port}/`],
    ['unspecified', () => `http://0.0.0.0:${port}/`],
  ])('%s', async (_name, url) => {
    const before = seen.length;
    const out = await tool(false).run({ url: url() }, ctx);
    expect(out.isError).toBe(true);
    expect(out.content).toMatch(/^refused: .* address; web_fetch only reaches public addresses/);
    expect(out.content).toContain('tools.web.allowPrivateNetwork');
    expect(seen.length).toBe(before);
  });

  it('a host name is judged by what it resolves to (localhost via the system resolver)', async () => {
    const before = seen.length;
    const config = configSchema.parse({});
    const out = await webFetchTool({ config: () => config }).run({ url: `http://localhost:${port}/` }, ctx);
    expect(out.isError).toBe(true);
    expect(out.content).toMatch(/refused: localhost resolves to (127\.0\.0\.1|::1), which is a loopback address/);
    expect(seen.length).toBe(before);
  });

  it('a name resolving to a private address is refused, as is one with only private addresses among several', async () => {
    const names = {
      'intranet.test': [{ address: '192.168.1.10', family: 4 }],
      'rebind.test': [
        { address: '10.0.0.1', family: 4 },
        { address: 'fd00::1', family: 6 },
      ],
    };
    expect((await tool(false, names).run({ url: 'http://intranet.test/' }, ctx)).content).toMatch(/192\.168\.1\.10, which is a private/);
    expect((await tool(false, names).run({ url: 'http://rebind.test/' }, ctx)).content).toMatch(/^refused/);
  });

  it('refuses other schemes and unresolvable names with clear errors', async () => {
    expect((await tool(false).run({ url: 'file:///etc/passwd' }, ctx)).content).toMatch(/only http and https/);
    expect((await tool(false).run({ url: 'not a url' }, ctx)).content).toMatch(/not a valid URL/);
    expect((await tool(false).run({ url: 'http://nowhere.test/' }, ctx)).content).toMatch(/cannot resolve host "nowhere.test"/);
  });
});

describe('web_fetch with tools.web.allowPrivateNetwork', () => {
  it('fetches from a local server and converts HTML to text', async () => {
    const out = await tool(true).run({ url: `${base}/page` }, ctx);
    expect(out.isError).toBe(false);
    expect(out.content).toContain('HTTP 200 OK');
    expect(out.content).toContain('# Hi & bye');
    expect(out.content).toContain('Hello world');
    expect(out.content).not.toContain('evil()');
  });

  it('connects to the address it resolved and checked (the Host header keeps the name)', async () => {
    const out = await tool(true, { 'myhost.test': [{ address: '127.0.0.1', family: 4 }] }).run({ url: `http://myhost.test:${port}/json` }, ctx);
    expect(out.content).toContain('{"ok":true}');
    expect(seen[seen.length - 1]).toEqual({ url: '/json', host: `myhost.test:${port}` });
  });

  it('follows redirects, checking each hop (a redirect to file: is refused)', async () => {
    const ok = await tool(true).run({ url: `${base}/redirect` }, ctx);
    expect(ok.content).toContain(`URL: ${base}/page`);
    expect(ok.content).toContain('Hello world');
    const bad = await tool(true).run({ url: `${base}/to-file` }, ctx);
    expect(bad.isError).toBe(true);
    expect(bad.content).toMatch(/only http and https/);
  });

  it('caps the body (argument capped by configuration) and says so; reports HTTP errors', async () => {
    const out = await tool(true, {}, 4000).run({ url: `${base}/big`, maxBytes: 1_000_000 }, ctx);
    expect(out.content).toContain(`${'x'.repeat(4000)}\n[content cut: only the first 4000 bytes were downloaded]`);
    expect(out.content).not.toContain('x'.repeat(4001));
    const small = await tool(true).run({ url: `${base}/big`, maxBytes: 10 }, ctx);
    expect(small.content).toMatch(/\n\nx{10}\n\[content cut/);
    const missing = await tool(true).run({ url: `${base}/missing` }, ctx);
    expect(missing).toMatchObject({ isError: true });
    expect(missing.content).toMatch(/^HTTP 404 Not Found/);
  });
});

describe('blockedReason', () => {
  it('classifies addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.0.1',
      '192.168.0.1',
      '100.64.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      '::',
      'fc00::1',
      'fd12::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      '64:ff9b::7f00:1',
      '2002:7f00:1::1',
    ]) {
      expect(blockedReason(ip), ip).not.toBeNull();
    }
    for (const ip of ['8.8.8.8', '1.1.1.1', '100.128.0.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(blockedReason(ip), ip).toBeNull();
    }
  });
});
