// The gateway's HTTP surface: the web chat page at `/`, the control page at `/control`, `GET /healthz`, and the
// control plane's WebSocket on `/ws` (authenticated in its first frame: runtime/protocol). Loopback by default.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer as WsServer } from 'ws';
import type { Logger } from './types/index.js';

// ws is CommonJS: require() loads it without the ESM loader's CommonJS export scan (start-up time and memory).
const { WebSocketServer } = createRequire(import.meta.url)('ws') as typeof import('ws');
type WebSocketServer = WsServer;

export interface HttpServerOptions {
  host: string;
  port: number;
  log: Logger;
  page: string;
  /** Content-Security-Policy sent with the page; the default allows its inline script and style. */
  pageCsp?: string;
  /** More pages by path (`/control`), each with its own CSP. */
  pages?: Record<string, { html: string; csp: string }>;
  /** Other routes (the HTTP API): true when it answered the request. */
  route?(req: IncomingMessage, res: import('node:http').ServerResponse, url: URL): boolean;
  /** 200 with this JSON once ready, 503 before. Must hold no secrets. */
  health(): { ready: boolean; [k: string]: unknown };
  maxPayloadBytes?: number;
}

export interface GatewayHttpServer {
  server: Server;
  wss: WebSocketServer;
  port: number;
  /** Base URL (http://host:port) for printing. */
  url: string;
  close(): Promise<void>;
}

export function bindHost(bind: string): string {
  if (bind === 'loopback') return '127.0.0.1';
  if (bind === 'lan') return '0.0.0.0';
  return bind;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startHttpServer(opts: HttpServerOptions): Promise<GatewayHttpServer> {
  // Above this a frame closes the socket with 1009 (frames before connect have a smaller bound: runtime/protocol).
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayloadBytes ?? 256 * 1024 });
  const server = createServer((req, res) => {
    const url = requestUrl(req);
    if (!url) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'bad request target' }));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/healthz') {
      const h = opts.health();
      res.writeHead(h.ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(h));
      return;
    }
    const page =
      url.pathname === '/' || url.pathname === '/index.html'
        ? { html: opts.page, csp: opts.pageCsp ?? "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'" }
        : opts.pages?.[url.pathname];
    if (req.method === 'GET' && page) {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': page.csp,
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
      });
      res.end(page.html);
      return;
    }
    if (opts.route?.(req, res, url)) return;
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `not found: ${url.pathname}` }));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = requestUrl(req);
    if (!url) return reject(socket, 400, 'Bad Request');
    if (url.pathname !== '/ws') return reject(socket, 404, 'Not Found');
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => wss.emit('connection', ws, req));
  });
  server.on('clientError', (err, socket) => {
    opts.log.debug?.('http client error', { err });
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const shownHost = opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    server,
    wss,
    port,
    url: `http://${shownHost}:${port}`,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * The request target as a URL, or null when it is not one. Node's parser lets targets such as `//[` through, and
 * `new URL` throws on them: unguarded, one such request from anyone who can reach the port was an uncaught exception.
 */
export function requestUrl(req: Pick<IncomingMessage, 'url'>): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://gateway');
  } catch {
    return null; // not a URL: the caller answers 400
  }
}

function reject(socket: Duplex, status: number, text: string) {
  socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}
