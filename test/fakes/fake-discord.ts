// A fake Discord: a real HTTP server on 127.0.0.1 answering REST under `/api/v10/…` and a real WebSocket gateway on
// the same port, so the real discord.js Client (rest.api = apiRoot; the gateway URL from GET /gateway/bot) does
// real HTTP and a real gateway session. It behaves like Discord where the adapter depends on it:
//   REST     GET /gateway/bot, GET /users/@me, GET /channels/{id}, POST /channels/{id}/messages (2,000-character
//            limit, replies via message_reference), POST /channels/{id}/typing, POST /users/@me/channels (DMs);
//            `Authorization: Bot <token>` or 401; injected failures (429 with Retry-After and bucket headers, 5xx,
//            Discord JSON errors, dropped connections).
//   gateway  HELLO, heartbeat → ACK, IDENTIFY → READY + GUILD_CREATE per guild (4004 for a wrong token, 4014 when
//            the Message Content intent is not allowed), dispatches with sequence numbers, RESUME replaying what
//            the client missed, and the bot's own messages echoed back as MESSAGE_CREATE, as Discord does.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { fail, invalidForm, readJson, send, type DiscordFailure } from './discord-http.js';
import { CHANNEL_TYPES, guildCreateJson, messageCreateJson, userJson, type FakeGuild, type FakeUser, type Json, type MessageFields } from './discord-payloads.js';

export type { FakeGuild, FakeUser, Json } from './discord-payloads.js';

export const INTENT_MESSAGE_CONTENT = 1 << 15;

export type { DiscordFailure } from './discord-http.js';

export interface SentDiscordMessage {
  id: string;
  channelId: string;
  content: string;
  replyTo?: string;
  allowedMentions?: unknown;
  at: number;
}

export interface FakeDiscordOptions {
  token?: string;
  bot?: FakeUser;
  guilds?: FakeGuild[];
  /** false: the portal's Message Content intent is off, so an IDENTIFY asking for it is closed with 4014. */
  messageContentAllowed?: boolean;
  heartbeatIntervalMs?: number;
}

interface Session {
  id: string;
  seq: number;
  /** Dispatches sent, for RESUME (bounded). */
  events: Json[];
  socket?: WebSocket;
}

const SESSION_EVENTS_KEPT = 1000;

export class FakeDiscord {
  readonly token: string;
  readonly bot: FakeUser;
  readonly guilds: FakeGuild[];
  readonly sent: SentDiscordMessage[] = [];
  readonly typing: string[] = [];
  /** Every REST call in order. */
  readonly calls: { method: string; path: string; body?: unknown; at: number }[] = [];
  readonly gatewayOps: { op: number; d?: unknown }[] = [];
  /** user id → DM channel id */
  readonly dmChannels = new Map<string, string>();
  messageContentAllowed: boolean;
  /** The gateway says HELLO only this long after a connection opens (a slow or overloaded Discord). */
  helloDelayMs = 0;
  /** Close every IDENTIFY with this code (e.g. 4004 for a token the gateway rejects although REST took it). */
  identifyCloseCode: number | undefined;
  apiRoot = '';
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private port = 0;
  private sessions = new Map<string, Session>();
  private current: Session | undefined;
  private failures: { when: (method: string, path: string, body: unknown) => boolean; failure: DiscordFailure; left: number }[] = [];
  private nextId = 1_300_000_000_000_000_000n;
  private listeners = new Set<() => void>();
  private readonly heartbeatIntervalMs: number;

  constructor(opts: FakeDiscordOptions = {}) {
    this.token = opts.token ?? 'discord-test-token';
    this.bot = opts.bot ?? { id: '900000000000000001', username: 'switchyard', bot: true };
    this.guilds = opts.guilds ?? [];
    this.messageContentAllowed = opts.messageContentAllowed ?? true;
    this.identifyCloseCode = undefined;
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 41_250;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/gateway')) return socket.destroy();
      this.wss!.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    this.apiRoot = `http://127.0.0.1:${this.port}/api`;
    return this;
  }

  async close(): Promise<void> {
    for (const ws of this.wss?.clients ?? []) ws.terminate();
    this.wss?.close();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  newId(): string {
    return String(this.nextId++);
  }

  /** Whether a gateway session is open and identified (READY sent). */
  get connected(): boolean {
    return this.current?.socket !== undefined;
  }

  /** IDENTIFY and RESUME payloads received so far. */
  get identifies(): number {
    return this.gatewayOps.filter((o) => o.op === 2).length;
  }

  get resumes(): number {
    return this.gatewayOps.filter((o) => o.op === 6).length;
  }

  /** The next `times` REST calls matching `when` fail. `when` sees method, path (after /api/v10) and the JSON body. */
  failWhen(when: (method: string, path: string, body: unknown) => boolean, failure: DiscordFailure, times = 1): void {
    this.failures.push({ when, failure, left: times });
  }

  /** Shorthand: the next `times` message posts (to `channelId`, or any) fail. */
  failSend(failure: DiscordFailure, times = 1, channelId?: string): void {
    this.failWhen((m, p) => m === 'POST' && /^\/channels\/\d+\/messages$/.test(p) && (channelId === undefined || p.includes(`/${channelId}/`)), failure, times);
  }

  // ---- gateway ----

  /** Sends a dispatch on the current session (or keeps it for a RESUME if the socket is down). Returns its sequence. */
  dispatch(t: string, d: Json): number {
    const s = this.current;
    if (!s) throw new Error('fake discord: no gateway session (the client has not identified)');
    const payload = { op: 0, t, s: ++s.seq, d };
    s.events.push(payload);
    if (s.events.length > SESSION_EVENTS_KEPT) s.events.shift();
    s.socket?.send(JSON.stringify(payload));
    return s.seq;
  }

  /** A MESSAGE_CREATE from a user; the guild and channel_type follow from the channel. Returns the message id. */
  pushMessage(f: Omit<MessageFields, 'id' | 'channelType' | 'guildId'> & { id?: string }): string {
    const where = this.locate(f.channelId);
    const id = f.id ?? this.newId();
    this.dispatch('MESSAGE_CREATE', messageCreateJson({ ...f, id, guildId: where.guildId, channelType: where.type }));
    return id;
  }

  /** A DM from a user to the bot (its DM channel is made on first use). Returns the message id. */
  dm(author: FakeUser, content: string, extra: Partial<MessageFields> = {}): string {
    return this.pushMessage({ channelId: this.dmChannelFor(author.id), author, content, ...extra });
  }

  dmChannelFor(userId: string): string {
    let id = this.dmChannels.get(userId);
    if (!id) {
      id = this.newId();
      this.dmChannels.set(userId, id);
    }
    return id;
  }

  /** Asks the client to reconnect (op 7), as Discord does before a restart; discord.js resumes. */
  requestReconnect(): void {
    this.current?.socket?.send(JSON.stringify({ op: 7, d: null }));
  }

  /** Drops the socket abruptly (no close frame), like a network cut; discord.js reconnects and resumes. */
  cutConnection(): void {
    this.current?.socket?.terminate();
  }

  /** Resolves with the first posted message matching (already posted or still to come). */
  waitForSent(pred: (m: SentDiscordMessage) => boolean, timeoutMs = 10_000): Promise<SentDiscordMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.sent.find(pred);
        if (hit) {
          done();
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`fake discord: no matching message within ${timeoutMs} ms; sent: ${JSON.stringify(this.sent.map((s) => s.content.slice(0, 80)))}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Calls `fn` with each posted message the moment it is recorded (benchmarks timestamp replies). Returns an unsubscribe. */
  onSent(fn: (m: SentDiscordMessage) => void): () => void {
    const listener = () => fn(this.sent[this.sent.length - 1]);
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Resolves once a gateway session is READY. */
  async waitForSession(timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!this.connected) {
      if (Date.now() > end) throw new Error('fake discord: the client never identified');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private locate(channelId: string): { guildId?: string; type: number } {
    for (const g of this.guilds) {
      const c = g.channels.find((x) => x.id === channelId);
      if (c) return { guildId: g.id, type: c.type ?? CHANNEL_TYPES.text };
      const t = g.threads?.find((x) => x.id === channelId);
      if (t) return { guildId: g.id, type: t.type ?? CHANNEL_TYPES.publicThread };
    }
    if ([...this.dmChannels.values()].includes(channelId)) return { type: CHANNEL_TYPES.dm };
    throw new Error(`fake discord: unknown channel ${channelId}`);
  }

  private onSocket(ws: WebSocket): void {
    let session: Session | undefined;
    const hello = () => ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.heartbeatIntervalMs, _trace: ['fake-gateway'] }, s: null, t: null }));
    if (this.helloDelayMs > 0) {
      const t = setTimeout(hello, this.helloDelayMs);
      ws.on('close', () => clearTimeout(t));
    } else hello();
    ws.on('message', (raw) => {
      let p: { op?: number; d?: Json };
      try {
        p = JSON.parse(String(raw)) as { op?: number; d?: Json };
      } catch {
        return ws.close(4002, 'Error while decoding payload.');
      }
      this.gatewayOps.push({ op: p.op ?? -1, d: p.d });
      switch (p.op) {
        case 1:
          return ws.send(JSON.stringify({ op: 11 }));
        case 2: {
          if (p.d?.token !== this.token) return ws.close(4004, 'Authentication failed.');
          if (this.identifyCloseCode !== undefined) return ws.close(this.identifyCloseCode, 'Closed by the test.');
          if (!this.messageContentAllowed && (Number(p.d?.intents) & INTENT_MESSAGE_CONTENT) !== 0) return ws.close(4014, 'Disallowed intent(s).');
          session = { id: `session-${this.sessions.size + 1}`, seq: 0, events: [], socket: ws };
          this.sessions.set(session.id, session);
          this.current = session;
          this.ready(session);
          return;
        }
        case 6: {
          const known = this.sessions.get(String(p.d?.session_id));
          if (!known || p.d?.token !== this.token) return ws.send(JSON.stringify({ op: 9, d: false }));
          session = known;
          known.socket = ws;
          this.current = known;
          const since = Number(p.d?.seq ?? 0);
          for (const e of known.events) if ((e.s as number) > since) ws.send(JSON.stringify(e));
          this.dispatch('RESUMED', { _trace: ['fake-gateway'] });
          return;
        }
        default:
          return; // presence updates, member requests: not needed
      }
    });
    ws.on('close', () => {
      if (session && session.socket === ws) session.socket = undefined;
    });
  }

  private ready(s: Session): void {
    this.dispatch('READY', {
      v: 10,
      user: { ...userJson(this.bot), verified: true, mfa_enabled: false, email: null },
      guilds: this.guilds.map((g) => ({ id: g.id, unavailable: true })),
      session_id: s.id,
      resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`,
      session_type: 'normal',
      shard: [0, 1],
      application: { id: this.bot.id, flags: 0 },
      private_channels: [],
      relationships: [],
      presences: [],
      user_settings: {},
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
      _trace: ['fake-gateway'],
    });
    for (const g of this.guilds) this.dispatch('GUILD_CREATE', guildCreateJson(g, this.bot));
  }

  // ---- REST ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/api\/v10(\/.*)$/.exec(url.pathname);
    const method = req.method ?? 'GET';
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return send(res, 400, { message: '400: Bad Request', code: 0 });
    }
    if (!m) return send(res, 404, { message: '404: Not Found', code: 0 });
    const path = m[1];
    this.calls.push({ method, path, ...(body !== undefined ? { body } : {}), at: Date.now() });
    if (req.headers.authorization !== `Bot ${this.token}`) return send(res, 401, { message: '401: Unauthorized', code: 0 });

    const injected = this.failures.find((f) => f.left > 0 && f.when(method, path, body));
    if (injected) {
      injected.left--;
      return fail(req, res, injected.failure);
    }

    if (method === 'GET' && path === '/gateway/bot') {
      return send(res, 200, {
        url: `ws://127.0.0.1:${this.port}/gateway`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
      });
    }
    if (method === 'GET' && path === '/users/@me') return send(res, 200, { ...userJson(this.bot), verified: true });
    if (method === 'POST' && path === '/users/@me/channels') {
      const recipient = typeof (body as Json | undefined)?.recipient_id === 'string' ? ((body as Json).recipient_id as string) : undefined;
      if (!recipient) return send(res, 400, invalidForm('recipient_id', 'This field is required'));
      const id = this.dmChannelFor(recipient);
      return send(res, 200, {
        id,
        type: CHANNEL_TYPES.dm,
        last_message_id: null,
        flags: 0,
        recipients: [userJson({ id: recipient, username: `user${recipient.slice(-4)}` })],
      });
    }
    const ch = /^\/channels\/(\d+)(\/messages|\/typing)?$/.exec(path);
    if (ch) {
      const [, channelId, sub] = ch;
      const found = this.channelJson(channelId);
      if (!found) return send(res, 404, { message: 'Unknown Channel', code: 10003 });
      if (method === 'GET' && !sub) return send(res, 200, found);
      if (method === 'POST' && sub === '/typing') {
        this.typing.push(channelId);
        return send(res, 204);
      }
      if (method === 'POST' && sub === '/messages') return this.createMessage(res, channelId, found, body as Json | undefined);
    }
    return send(res, 404, { message: '404: Not Found', code: 0 });
  }

  private channelJson(id: string): Json | undefined {
    for (const g of this.guilds) {
      const c = g.channels.find((x) => x.id === id);
      if (c) return { id, type: c.type ?? CHANNEL_TYPES.text, guild_id: g.id, name: c.name, parent_id: null };
      const t = g.threads?.find((x) => x.id === id);
      if (t) return { id, type: t.type ?? CHANNEL_TYPES.publicThread, guild_id: g.id, name: t.name, parent_id: t.parentId, thread_metadata: { archived: false } };
    }
    if ([...this.dmChannels.values()].includes(id)) return { id, type: CHANNEL_TYPES.dm };
    return undefined;
  }

  private createMessage(res: ServerResponse, channelId: string, channel: Json, body: Json | undefined): void {
    const content = typeof body?.content === 'string' ? body.content : '';
    if (content.trim() === '') return send(res, 400, { message: 'Cannot send an empty message', code: 50006 });
    if ([...content].length > 2000) return send(res, 400, invalidForm('content', 'Must be 2000 or fewer in length.'));
    const ref = body?.message_reference as Json | undefined;
    const msg: SentDiscordMessage = { id: this.newId(), channelId, content, allowedMentions: body?.allowed_mentions, at: Date.now() };
    if (typeof ref?.message_id === 'string') msg.replyTo = ref.message_id;
    this.sent.push(msg);
    const guildId = typeof channel.guild_id === 'string' ? channel.guild_id : undefined;
    const data = messageCreateJson({ id: msg.id, channelId, guildId, channelType: channel.type as number, author: this.bot, content });
    send(res, 200, data);
    // Discord sends a bot its own messages too.
    if (this.current) this.dispatch('MESSAGE_CREATE', data);
    for (const l of [...this.listeners]) l();
  }
}
