// How a `switchyard <command>` reaches the running gateway: the state directory from SWITCHYARD_HOME (default
// ~/.switchyard), the port and bind address from its config, the token from SWITCHYARD_GATEWAY_TOKEN, the config or
// the gateway-token file; then the control protocol as operator (docs/protocol.md).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import { loadGatewaySettings, ConfigError } from '../config/load.js';
import { resolveHome } from '../../storage/paths.js';
import { VERSION } from '../version.js';
import type { CliIo } from './types.js';

/** A failure the user can act on: the message says what and what to do; the exit code tells scripts which kind. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const EXIT = { ok: 0, failed: 1, usage: 2, notRunning: 3, refused: 4 } as const;

export interface GatewayTarget {
  home: string;
  url: string;
  token: string;
}

export async function findGateway(env: CliIo['env']): Promise<GatewayTarget> {
  const home = resolveHome(env);
  let gateway: Awaited<ReturnType<typeof loadGatewaySettings>>;
  try {
    gateway = await loadGatewaySettings({ home, env });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`the config in ${home} is not valid:\n${err.format()}`, EXIT.failed);
    throw err;
  }
  const bind = gateway.bind;
  const host = bind === 'loopback' || bind === 'lan' || bind === '0.0.0.0' ? '127.0.0.1' : bind.includes(':') ? `[${bind}]` : bind;
  let token = env.SWITCHYARD_GATEWAY_TOKEN?.trim() || gateway.auth.token;
  if (!token) {
    const file = join(home, 'gateway-token');
    try {
      token = (await readFile(file, 'utf8')).trim();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(
        code === 'ENOENT'
          ? `no gateway token: ${file} does not exist (has the gateway in ${home} ever run? is SWITCHYARD_HOME right?); or set SWITCHYARD_GATEWAY_TOKEN`
          : `cannot read the gateway token from ${file} (${code}): run as the gateway's user, or set SWITCHYARD_GATEWAY_TOKEN`,
        EXIT.refused,
      );
    }
  }
  return { home, url: `ws://${host}:${gateway.port}/ws`, token };
}

export interface EventFrame {
  event: string;
  payload: Record<string, unknown>;
  seq?: number;
}

export interface GatewayConnection {
  hello: Record<string, unknown>;
  call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** A new idempotency key for a side-effecting call. */
  key(): string;
  onEvent(fn: (e: EventFrame) => void): void;
  /** Resolves when the gateway closes the connection. */
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

const CONNECT_TIMEOUT_MS = 10_000;

/** Connects and completes the handshake, or throws a CliError saying what is wrong. */
export async function connectGateway(env: CliIo['env']): Promise<GatewayConnection> {
  const target = await findGateway(env);
  const ws = new WebSocket(target.url, { handshakeTimeout: CONNECT_TIMEOUT_MS });
  const waiting = new Map<string, { resolve: (f: Record<string, unknown>) => void }>();
  const listeners: ((e: EventFrame) => void)[] = [];
  let n = 0;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (data) => {
    let f: Record<string, unknown>;
    try {
      f = JSON.parse(data.toString()) as Record<string, unknown>;
    } catch {
      return; // the gateway only sends JSON; nothing to do with anything else
    }
    if (f.type === 'res') waiting.get(String(f.id))?.resolve(f);
    else if (f.type === 'event') for (const fn of listeners) fn(f as unknown as EventFrame);
  });
  const send = (method: string, params?: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = `c${++n}`;
      waiting.set(id, {
        resolve: (f) => {
          waiting.delete(id);
          resolve(f);
        },
      });
      void closed.then(({ code, reason }) => {
        if (waiting.delete(id)) reject(new CliError(`the gateway closed the connection (${code}${reason ? `: ${reason}` : ''})`, EXIT.failed));
      });
      ws.send(JSON.stringify({ type: 'req', id, method, ...(params ? { params } : {}) }));
    });

  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ECONNREFUSED' ? 'nothing is listening there' : (err as Error).message;
    throw new CliError(
      `the gateway is not running at ${target.url} (${why}). Start it with \`npm start\` (state directory ${target.home}; SWITCHYARD_HOME picks another)`,
      EXIT.notRunning,
    );
  }
  const res = await send('connect', {
    minProtocol: 1,
    maxProtocol: 1,
    client: { id: 'switchyard-cli', version: VERSION },
    role: 'operator',
    auth: { token: target.token },
  });
  if (!res.ok) {
    ws.close();
    const error = res.error as { code: string; message: string };
    throw new CliError(
      error.code === 'unauthorized'
        ? `the gateway refused the token (${error.message}). The CLI uses SWITCHYARD_GATEWAY_TOKEN, gateway.auth.token or ${join(target.home, 'gateway-token')}, in that order`
        : `the gateway refused the connection: ${error.message}`,
      error.code === 'unauthorized' ? EXIT.refused : EXIT.failed,
    );
  }
  return {
    hello: res.payload as Record<string, unknown>,
    async call(method, params) {
      const r = await send(method, params);
      if (r.ok) return (r.payload ?? {}) as Record<string, unknown>;
      const error = r.error as { code: string; message: string };
      throw new CliError(`${method}: ${error.message}`, EXIT.failed);
    },
    key: () => randomUUID(),
    onEvent: (fn) => void listeners.push(fn),
    closed,
    close: () => ws.close(),
  };
}

/** Runs `fn` on a connection and always closes it. */
export async function withGateway<T>(io: CliIo, fn: (g: GatewayConnection) => Promise<T>): Promise<T> {
  const g = await connectGateway(io.env);
  try {
    return await fn(g);
  } finally {
    g.close();
  }
}
