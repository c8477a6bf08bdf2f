// The plumbing shared by the fake model APIs (fake-anthropic, fake-openai): a real node:http server on
// 127.0.0.1 with per-credential scripted responses, a default responder, and a record of every request.
// Dependency-free beyond node so tests and bench/ can both use it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeToolCall {
  id?: string;
  name: string;
  /** An object is sent as JSON; a string is sent verbatim (to script broken JSON). */
  args: Record<string, unknown> | string;
}

/** A successful model reply. */
export interface FakeReply {
  text?: string;
  toolCalls?: FakeToolCall[];
  /** Wait this long before answering (real time; the fake is the outside world). */
  delayMs?: number;
  usage?: { input?: number; output?: number };
  /** API-specific stop/finish reason; default: tool use when there are tool calls, else end of turn. */
  stopReason?: string;
  /** Split text into deltas of this many characters (default: one delta per word). */
  chunkSize?: number;
  /** Wait this long before each text delta after the first (a slow stream; real time). */
  deltaDelayMs?: number;
  /** Send the start and the first text delta, then keep the connection open without finishing. */
  hang?: boolean;
  /** After the first text delta, send an in-stream error event with this type and message. */
  streamError?: { type: string; message: string };
  /** After the first text delta, cut the connection without finishing the stream. */
  drop?: boolean;
}

/** An HTTP error answer. Without body a realistic one for the status is sent. */
export interface FakeFailure {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

/**
 * Bytes written exactly as given, for what a FakeReply cannot express: an OpenAI-compatible server's quirky SSE
 * (no usage, calls without index or id), an HTML error page from a proxy, a bare `{"error":"..."}` body.
 */
export interface FakeRaw {
  /** Written in order, one write each (default status 200, content-type text/event-stream). */
  raw: string[];
  status?: number;
  headers?: Record<string, string>;
  delayMs?: number;
}

export type FakeResponse = FakeReply | FakeFailure | FakeRaw;

export interface FakeRequest {
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The credential the request carried (x-api-key value or bearer token), '' when none. */
  key: string;
  auth: 'x-api-key' | 'bearer' | 'none';
  body: Record<string, unknown>;
  /** True when the client went away before the response was complete (abort, timeout). */
  closedEarly: boolean;
}

export type FakeResponder = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface FakeModelServer {
  /** What to configure as the provider's baseUrl. */
  url: string;
  requests: FakeRequest[];
  /** Queue responses for requests carrying this key (x-api-key or bearer token; '' for none). */
  script(key: string, ...responses: FakeResponse[]): void;
  /** Answers requests with nothing scripted for their key (default: a short text reply). */
  setDefault(fn: FakeResponder): void;
  /** Scripted responses not yet used for a key. */
  pending(key: string): number;
  /** The dialect's extra endpoints: their requests, and a switch that makes them answer 503. */
  extra: { requests: FakeRequest[]; down: boolean };
  close(): Promise<void>;
}

/** How one API writes its answers; the fake-anthropic / fake-openai modules supply this. */
export interface ApiDialect {
  path: string;
  urlSuffix: string;
  writeReply(res: http.ServerResponse, reply: FakeReply, req: FakeRequest, live: Live): Promise<void>;
  errorBody(status: number, message?: string): unknown;
  /** What the real API would refuse with a 400 (e.g. a tool result without its tool call), or undefined. */
  validate(body: Record<string, unknown>): string | undefined;
  /** More POST endpoints (e.g. /v1/embeddings), answered with JSON; their requests go to `extra.requests`. */
  routes?: Record<string, (req: FakeRequest) => { status: number; body: unknown }>;
}

/** The state of the connection while a reply is being written. */
export interface Live {
  readonly closed: boolean;
  /** Resolves when the client disconnects (or the server closes). */
  readonly gone: Promise<void>;
}

export interface FakeServerOptions {
  /** Keep a record of requests (default true; benchmarks may turn it off). */
  record?: boolean;
}

export function isRaw(r: FakeResponse): r is FakeRaw {
  return Array.isArray((r as FakeRaw).raw);
}

export function isFailure(r: FakeResponse): r is FakeFailure {
  return !isRaw(r) && typeof (r as FakeFailure).status === 'number';
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Text deltas: fixed-size pieces, or word by word (keeping the spaces). */
export function splitText(text: string, chunkSize?: number): string[] {
  if (text === '') return [];
  if (chunkSize && chunkSize > 0) {
    const out: string[] = [];
    for (let i = 0; i < text.length; i += chunkSize) out.push(text.slice(i, i + chunkSize));
    return out;
  }
  return text.match(/\s*\S+\s*/g) ?? [text];
}

/** Tool arguments as JSON text, cut in two so the client has to accumulate partial JSON. */
export function argPieces(args: FakeToolCall['args']): string[] {
  const json = typeof args === 'string' ? args : JSON.stringify(args);
  if (json.length < 2) return [json];
  const mid = Math.floor(json.length / 2);
  return [json.slice(0, mid), json.slice(mid)];
}

export function estimateTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? '').length / 4));
}

function credentialOf(headers: http.IncomingHttpHeaders): Pick<FakeRequest, 'key' | 'auth'> {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return { key: apiKey, auth: 'x-api-key' };
  const authz = headers.authorization;
  if (typeof authz === 'string' && /^bearer\s+/i.test(authz)) return { key: authz.replace(/^bearer\s+/i, ''), auth: 'bearer' };
  return { key: '', auth: 'none' };
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startFakeModelServer(dialect: ApiDialect, options: FakeServerOptions = {}): Promise<FakeModelServer> {
  const record = options.record ?? true;
  const queues = new Map<string, FakeResponse[]>();
  let responder: FakeResponder = () => ({ text: 'ok' });
  const requests: FakeRequest[] = [];
  const extra = { requests: [] as FakeRequest[], down: false };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const raw = await readBody(req);
    const route = req.method === 'POST' ? dialect.routes?.[path] : undefined;
    if (route) {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch (err) {
        sendJson(res, 400, dialect.errorBody(400, `fake: bad JSON body: ${String(err)}`));
        return;
      }
      const rec: FakeRequest = { method: 'POST', path, headers: flatHeaders(req.headers), ...credentialOf(req.headers), body, closedEarly: false };
      extra.requests.push(rec);
      if (extra.down) {
        sendJson(res, 503, dialect.errorBody(503));
        return;
      }
      const out = route(rec);
      sendJson(res, out.status, out.body);
      return;
    }
    if (req.method !== 'POST' || path !== dialect.path) {
      sendJson(res, 404, dialect.errorBody(404));
      return;
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null) throw new Error('body is not a JSON object');
      body = parsed as Record<string, unknown>;
    } catch (err) {
      sendJson(res, 400, dialect.errorBody(400, `fake: bad JSON body: ${String(err)}`));
      return;
    }
    const invalid = dialect.validate(body);
    const rec: FakeRequest = { method: req.method, path, headers: flatHeaders(req.headers), ...credentialOf(req.headers), body, closedEarly: false };
    if (record) requests.push(rec);
    if (invalid !== undefined) {
      sendJson(res, 400, dialect.errorBody(400, invalid));
      return;
    }

    let closed = false;
    let markGone!: () => void;
    const gone = new Promise<void>((r) => (markGone = r));
    res.on('close', () => {
      if (!res.writableFinished) rec.closedEarly = true;
      closed = true;
      markGone();
    });
    const live: Live = {
      get closed() {
        return closed;
      },
      gone,
    };

    const queued = queues.get(rec.key)?.shift();
    const response = queued ?? (await responder(rec));
    if (response.delayMs) await Promise.race([delay(response.delayMs), gone]);
    if (closed) return;
    if (isRaw(response)) {
      res.writeHead(response.status ?? 200, { 'content-type': 'text/event-stream', ...response.headers });
      for (const piece of response.raw) res.write(piece);
      res.end();
      return;
    }
    if (isFailure(response)) {
      sendJson(res, response.status, response.body ?? dialect.errorBody(response.status), response.headers);
      return;
    }
    await dialect.writeReply(res, response, rec, live);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the fake must show up in the test, not as a hung request.
      if (!res.headersSent) sendJson(res, 500, { error: { type: 'api_error', message: `fake server error: ${String(err)}` } });
      else res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${dialect.urlSuffix}`,
    requests,
    script(key, ...responses) {
      queues.set(key, [...(queues.get(key) ?? []), ...responses]);
    },
    setDefault(fn) {
      responder = fn;
    },
    pending(key) {
      return queues.get(key)?.length ?? 0;
    },
    extra,
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // hanging streams would otherwise keep close() waiting forever
      });
    },
  };
}
