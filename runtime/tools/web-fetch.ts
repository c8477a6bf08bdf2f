// `web_fetch`: GET an http(s) URL with size and time caps. SSRF protection: the host name is resolved first,
// every resolved address is checked (no loopback / private / link-local / metadata unless
// tools.web.allowPrivateNetwork), and the connection goes to a checked address only (our lookup hands the
// socket exactly those addresses, so a second DNS answer cannot swap in another). Redirects are followed by
// hand, each hop checked the same way.
import { promises as dns } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { optionalInt, requiredString } from './args.js';
import { htmlToText } from './html-text.js';
import { blockedReason } from './ip-ranges.js';
import type { Tool } from './types.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface WebFetchDeps {
  config: () => Config;
  /** DNS resolution (all addresses); default: the system resolver. */
  lookup?: (hostname: string) => Promise<ResolvedAddress[]>;
  clock?: Clock;
}

const MAX_REDIRECTS = 5;

export class WebFetchRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebFetchRefused';
  }
}

const systemLookup = (hostname: string) => dns.lookup(hostname, { all: true, verbatim: true });

/** A lookup that only ever hands out the addresses we already checked. */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const opts = typeof options === 'object' && options !== null ? options : {};
    const family = typeof options === 'number' ? options : opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : opts.family;
    const usable = family ? addresses.filter((a) => a.family === family) : addresses;
    if (usable.length === 0) {
      callback(Object.assign(new Error('no checked address of the requested family'), { code: 'ENOTFOUND' }), '', 0);
    } else if (opts.all) {
      callback(null, usable);
    } else {
      callback(null, usable[0].address, usable[0].family);
    }
  };
}

async function checkedAddresses(url: URL, allowPrivate: boolean, lookup: WebFetchDeps['lookup']): Promise<ResolvedAddress[]> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: ResolvedAddress[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await (lookup ?? systemLookup)(host);
    } catch (err) {
      throw new WebFetchRefused(`cannot resolve host "${host}": ${(err as Error).message}`);
    }
    if (addresses.length === 0) throw new WebFetchRefused(`host "${host}" has no addresses`);
  }
  if (allowPrivate) return addresses;
  const allowed = addresses.filter((a) => !blockedReason(a.address));
  if (allowed.length === 0) {
    const a = addresses[0];
    throw new WebFetchRefused(
      `refused: ${host === a.address ? host : `${host} resolves to ${a.address}, which`} is a ${blockedReason(a.address)} ` +
        'address; web_fetch only reaches public addresses (the owner can set tools.web.allowPrivateNetwork: true)',
    );
  }
  return allowed;
}

function get(url: URL, addresses: ResolvedAddress[], signal: AbortSignal): Promise<IncomingMessage> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, {
      method: 'GET',
      agent: false, // no pooled sockets: each hop connects to its own checked address
      lookup: pinnedLookup(addresses),
      signal,
      headers: { 'user-agent': 'Switchyard web_fetch', accept: '*/*', 'accept-encoding': 'identity' },
    });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

async function readCapped(res: IncomingMessage, maxBytes: number): Promise<{ body: Buffer; total: number; cut: boolean }> {
  const parts: Buffer[] = [];
  let kept = 0;
  let cut = false;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    const take = Math.min(chunk.length, maxBytes - kept);
    if (take > 0) parts.push(chunk.subarray(0, take));
    kept += take;
    if (take < chunk.length) {
      cut = true;
      break; // stop downloading: the rest is not wanted
    }
  }
  res.destroy();
  return { body: Buffer.concat(parts), total: kept, cut };
}

function decodeBody(body: Buffer, contentType: string): string {
  const charset = /charset=["']?([\w-]+)/i.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body); // unknown charset label: utf-8 is the best guess
  }
}

function isTextual(contentType: string, body: Buffer): boolean {
  if (/^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|[\w.+-]*\+(json|xml)))/i.test(contentType)) return true;
  return !body.subarray(0, 8192).includes(0);
}

export function webFetchTool(deps: WebFetchDeps): Tool {
  const clock = deps.clock ?? systemClock;
  return {
    group: 'web',
    spec: {
      name: 'web_fetch',
      description:
        'Fetch an http(s) URL with GET and return its text (HTML is converted to plain text). Private, loopback and ' +
        'link-local addresses are refused. The body is capped; a cut is reported.',
      parameters: {
        type: 'object',
        properties: {
          url: { type: 'string', description: 'http:// or https:// URL' },
          maxBytes: { type: 'integer', minimum: 1, description: 'Read at most this many bytes (capped by configuration)' },
        },
        required: ['url'],
        additionalProperties: false,
      },
    },
    async run(args, ctx) {
      const web = deps.config().tools.web;
      const raw = requiredString(args, 'url');
      const maxBytes = Math.min(optionalInt(args, 'maxBytes', { min: 1 }) ?? web.maxBytes, web.maxBytes);
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return { content: `"${raw}" is not a valid URL`, isError: true };
      }
      const timeout = new AbortController();
      const timer = clock.setTimeout(() => timeout.abort(new Error('timeout')), web.timeoutSeconds * 1000);
      const signal = AbortSignal.any([timeout.signal, ctx.signal]);
      try {
        for (let hop = 0; ; hop++) {
          if (url.protocol !== 'http:' && url.protocol !== 'https:') {
            return { content: `refused: only http and https URLs can be fetched (got ${url.protocol})`, isError: true };
          }
          const addresses = await checkedAddresses(url, web.allowPrivateNetwork, deps.lookup);
          const res = await get(url, addresses, signal);
          const status = res.statusCode ?? 0;
          const location = res.headers.location;
          if (status >= 300 && status < 400 && location) {
            res.resume();
            if (hop >= MAX_REDIRECTS) return { content: `too many redirects (more than ${MAX_REDIRECTS}) from ${raw}`, isError: true };
            url = new URL(location, url);
            continue;
          }
          const contentType = String(res.headers['content-type'] ?? '');
          const { body, total, cut } = await readCapped(res, maxBytes);
          const head = `HTTP ${status} ${res.statusMessage ?? ''}`.trim() + `\nURL: ${url.href}\nContent-Type: ${contentType || '(none)'}\n\n`;
          let text: string;
          if (!isTextual(contentType, body)) {
            text = `[binary content, ${total}${cut ? '+' : ''} bytes, not shown]`;
          } else {
            const decoded = decodeBody(body, contentType);
            text = /html/i.test(contentType) ? htmlToText(decoded) : decoded;
            if (cut) text += `\n[content cut: only the first ${maxBytes} bytes were downloaded]`;
          }
          return { content: head + text, isError: status >= 400 };
        }
      } catch (err) {
        if (err instanceof WebFetchRefused) return { content: err.message, isError: true };
        if (timeout.signal.aborted) return { content: `timed out after ${web.timeoutSeconds}s fetching ${url.href}`, isError: true };
        if (ctx.signal.aborted) return { content: 'aborted: the run was stopped', isError: true };
        return { content: `fetch of ${url.href} failed: ${(err as Error).message}`, isError: true };
      } finally {
        clock.clearTimeout(timer);
      }
    },
  };
}
