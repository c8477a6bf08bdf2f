// The Socket Mode side of the fake Slack: a real WebSocket endpoint on the fake's HTTP server. A client connects
// with the one-use URL apps.connections.open handed out, gets `hello`, then `events_api` envelopes; it must ack
// each with `{ envelope_id }`. Like Slack, an envelope that was not acked when its socket closed is sent again
// (retry_attempt + 1) on the app's next connection, and events pushed while no socket is open wait for one.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export type Json = Record<string, unknown>;

export interface Envelope {
  envelopeId: string;
  /** 'events_api' (events), 'slash_commands', 'interactive'. */
  type: string;
  appToken: string;
  /** The payload: an event_callback body for events_api, the command's fields for slash_commands. */
  payload: Json;
  retryAttempt: number;
  /** Connection numbers it was written to, in order. */
  sentOn: number[];
  ackedAt?: number;
  /** performance.now() of the last write and, once acked, the time from that write to the ack (benchmarks). */
  writtenAt?: number;
  ackMs?: number;
  /** The payload the client sent back with its ack. */
  ackPayload?: unknown;
}

interface Conn {
  id: number;
  appToken: string;
  ws: WebSocket;
  open: boolean;
}

export class FakeSocketMode {
  readonly envelopes: Envelope[] = [];
  private readonly byId = new Map<string, Envelope>();
  /** Every frame a client sent that was not a valid ack (kept for assertions). */
  readonly strayFrames: string[] = [];
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Map<string, string>();
  private readonly conns: Conn[] = [];
  private nextConn = 1;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly appIdOf: (appToken: string) => string) {}

  /** A fresh one-use socket URL for an app (what apps.connections.open answers). */
  issueUrl(base: string, appToken: string): string {
    const ticket = randomUUID();
    this.tickets.set(ticket, appToken);
    return `${base.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${this.appIdOf(appToken)}`;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ticket = url.searchParams.get('ticket') ?? '';
    const appToken = this.tickets.get(ticket);
    if (url.pathname !== '/link/' || appToken === undefined) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.tickets.delete(ticket); // one use, like Slack's
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, appToken));
  }

  private accept(ws: WebSocket, appToken: string): void {
    const conn: Conn = { id: this.nextConn++, appToken, ws, open: true };
    this.conns.push(conn);
    ws.on('message', (data, isBinary) => this.onFrame(conn, isBinary ? '<binary>' : data.toString()));
    ws.on('close', () => {
      conn.open = false;
      this.changed();
    });
    ws.on('error', () => {});
    const hello = {
      type: 'hello',
      num_connections: this.openConns(appToken).length,
      debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
      connection_info: { app_id: this.appIdOf(appToken) },
    };
    ws.send(JSON.stringify(hello));
    // Slack retries what a closed socket never acked, and delivers what waited for a socket.
    for (const e of this.envelopes) {
      if (e.appToken !== appToken || e.ackedAt !== undefined) continue;
      const lastConn = this.conns.find((c) => c.id === e.sentOn[e.sentOn.length - 1]);
      if (lastConn === undefined || !lastConn.open) this.write(conn, e, e.sentOn.length > 0);
    }
    this.changed();
  }

  private onFrame(conn: Conn, text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      this.strayFrames.push(text);
      return;
    }
    const id = typeof frame === 'object' && frame !== null ? (frame as Json).envelope_id : undefined;
    const env = typeof id === 'string' ? this.byId.get(id) : undefined;
    if (!env || env.appToken !== conn.appToken) {
      this.strayFrames.push(text);
      return;
    }
    if (env.ackedAt === undefined && env.writtenAt !== undefined) env.ackMs = performance.now() - env.writtenAt;
    env.ackedAt ??= Date.now();
    env.ackPayload = (frame as Json).payload;
    this.changed();
  }

  /** Sends an envelope (events_api unless said otherwise) to one open socket of the app (or keeps it until one opens). */
  push(appToken: string, payload: Json, type = 'events_api'): Envelope {
    const env: Envelope = { envelopeId: randomUUID(), type, appToken, payload, retryAttempt: 0, sentOn: [] };
    this.envelopes.push(env);
    this.byId.set(env.envelopeId, env);
    const conn = this.openConns(appToken)[0];
    if (conn) this.write(conn, env, false);
    return env;
  }

  /** Sends an envelope again with the next retry_attempt, as Slack does when it missed the ack. */
  redeliver(envelopeId: string): void {
    const env = this.byId.get(envelopeId);
    if (!env) throw new Error(`fake slack: no envelope ${envelopeId}`);
    const conn = this.openConns(env.appToken)[0];
    if (!conn) throw new Error('fake slack: no open socket to redeliver on');
    env.ackedAt = undefined;
    this.write(conn, env, true);
  }

  /** Asks every open socket of the app to reconnect, as Slack does before it recycles a server. */
  requestDisconnect(appToken: string, reason = 'refresh_requested'): number {
    const open = this.openConns(appToken);
    for (const c of open) c.ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake' } }));
    return open.length;
  }

  /** Cuts every open socket without a close handshake (a dropped connection). */
  drop(appToken?: string): void {
    for (const c of this.conns) if (c.open && (appToken === undefined || c.appToken === appToken)) c.ws.terminate();
  }

  /** Sends a raw text frame to every open socket of the app (junk, unknown types). */
  sendRaw(appToken: string, text: string): void {
    for (const c of this.openConns(appToken)) c.ws.send(text);
  }

  openConns(appToken: string): Conn[] {
    return this.conns.filter((c) => c.open && c.appToken === appToken);
  }

  /** How many sockets this app has opened so far. */
  connectionsMade(appToken: string): number {
    return this.conns.filter((c) => c.appToken === appToken).length;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async close(): Promise<void> {
    for (const c of this.conns) if (c.open) c.ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  private write(conn: Conn, env: Envelope, retry: boolean): void {
    if (retry) env.retryAttempt++;
    env.sentOn.push(conn.id);
    env.writtenAt = performance.now();
    const frame = {
      envelope_id: env.envelopeId,
      payload: env.payload,
      type: env.type,
      accepts_response_payload: env.type !== 'events_api',
      retry_attempt: env.retryAttempt,
      retry_reason: env.retryAttempt > 0 ? 'timeout' : '',
    };
    conn.ws.send(JSON.stringify(frame));
    this.changed();
  }

  private changed(): void {
    for (const fn of [...this.listeners]) fn();
  }
}
