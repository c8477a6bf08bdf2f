// Starts a whole gateway in-process on a temp state directory, with its model providers pointed at fake servers
// on 127.0.0.1, and gives tests a web chat client. Real code paths end to end; only the outside world is fake.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { Logger } from '../../runtime/types/index.js';
import { startGateway, type RunningGateway, type StartOptions } from '../../runtime/main.js';

export interface LogLine {
  level: string;
  msg: string;
  data?: Record<string, unknown>;
}

export function memoryLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (msg: string, data?: Record<string, unknown>) => void lines.push({ level, msg, data });
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

export async function tempHome(prefix = 'sy-e2e-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function writeConfig(home: string, config: unknown): Promise<void> {
  await writeFile(join(home, 'switchyard.json'), JSON.stringify(config, null, 2));
}

export interface Harness {
  gw: RunningGateway;
  home: string;
  log: ReturnType<typeof memoryLogger>;
  stop(opts?: { keepHome?: boolean }): Promise<void>;
}

/** A temp home unless `home` is given; `config` is written there as switchyard.json; the rest goes to startGateway. */
export type HarnessOptions = { home?: string; config?: unknown; env?: NodeJS.ProcessEnv } & Partial<StartOptions>;

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const home = opts.home ?? (await tempHome());
  if (opts.config !== undefined) await writeConfig(home, opts.config);
  const log = memoryLogger();
  const gw = await startGateway({ ...opts, home, env: opts.env ?? {}, port: 0, log });
  return {
    gw,
    home,
    log,
    async stop({ keepHome = false } = {}) {
      await gw.stop();
      if (!keepHome) await rm(home, { recursive: true, force: true });
    },
  };
}

export interface ChatFrame {
  type: string;
  text?: string;
  error?: string;
  code?: string;
  userId?: string;
  id?: string;
  messageId?: string;
  event?: string;
  payload?: Record<string, unknown>;
  seq?: number;
}

/** Personal web chat tokens made for tests, per gateway and user (inviting again would revoke the first link). */
const invited = new WeakMap<RunningGateway, Map<string, string>>();

/**
 * The credentials a test user connects with: `owner` is the operator (the gateway token: it chats as the owner's web
 * chat id); anyone else gets a personal web chat token through the same code /webchat invite uses.
 */
export async function webchatCredentials(gw: RunningGateway, user: string): Promise<{ token: string; role: 'operator' | 'webchat' }> {
  if (user === 'owner') return { token: gw.token, role: 'operator' };
  let tokens = invited.get(gw);
  if (!tokens) invited.set(gw, (tokens = new Map()));
  const id = user.toLowerCase();
  let token = tokens.get(id);
  if (!token) {
    token = (await gw.webchatUsers.invite(user, 'test:harness')).token;
    tokens.set(id, token);
  }
  return { token, role: 'webchat' };
}

/**
 * A web chat user speaking the control protocol. Frames are folded into the shapes the tests read: `hello`
 * (hello-ok), `message` (a reply or notice to this user), `echo` (this user's own message, from any tab), `typing`,
 * `ack` / `error` (the answer to a chat.send, with its idempotency key as `id`), and `event` for everything else.
 */
export class ChatClient {
  readonly frames: ChatFrame[] = [];
  private waiters: { pred: (f: ChatFrame) => boolean; resolve: (f: ChatFrame) => void }[] = [];
  private seq = 0;
  private readonly keyOfReq = new Map<string, string>();
  lastSeq = 0;
  hello: Record<string, unknown> | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = this.fold(JSON.parse(data.toString()) as Record<string, unknown>);
      if (!f) return;
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(f)) return true;
        w.resolve(f);
        return false;
      });
    });
  }

  private fold(raw: Record<string, unknown>): ChatFrame | undefined {
    if (typeof raw.seq === 'number') this.lastSeq = raw.seq;
    if (raw.type === 'res') {
      const payload = raw.payload as Record<string, unknown> | undefined;
      if (raw.ok && payload?.type === 'hello-ok') {
        this.hello = payload;
        return { type: 'hello', userId: String((payload.auth as { userId: string }).userId) };
      }
      const id = this.keyOfReq.get(String(raw.id)) ?? (raw.id as string | undefined) ?? undefined;
      if (raw.ok) return { type: 'ack', id, payload };
      const error = raw.error as { code: string; message: string };
      return { type: 'error', id, error: error.message, code: error.code };
    }
    if (raw.type !== 'event') return { type: String(raw.type) };
    const p = (raw.payload ?? {}) as Record<string, unknown>;
    if (raw.event === 'chat.message') {
      return p.role === 'user'
        ? { type: 'echo', text: String(p.text), messageId: String(p.messageId) }
        : { type: 'message', text: String(p.text), messageId: String(p.messageId) };
    }
    if (raw.event === 'chat.typing') return { type: 'typing' };
    return { type: 'event', event: String(raw.event), payload: p, seq: raw.seq as number | undefined };
  }

  static async connect(baseUrl: string, token: string, opts: { role?: 'operator' | 'webchat'; resumeFrom?: number } = {}): Promise<ChatClient> {
    const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/ws`);
    const client = new ChatClient(ws); // listening before 'open': the challenge may come with the upgrade answer
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(
      JSON.stringify({
        type: 'req',
        id: 'connect',
        method: 'connect',
        params: {
          minProtocol: 1,
          maxProtocol: 1,
          client: { id: 'test-chat-client', version: '1' },
          role: opts.role ?? (token.startsWith('wc_') ? 'webchat' : 'operator'),
          auth: { token },
          ...(opts.resumeFrom !== undefined ? { resumeFrom: opts.resumeFrom } : {}),
        },
      }),
    );
    const first = await client.next((f) => f.type === 'hello' || f.type === 'error');
    if (first.type === 'error') {
      ws.close();
      throw new Error(`connect refused: ${first.code}: ${first.error}`);
    }
    return client;
  }

  /** A web chat user of this gateway (see webchatCredentials). */
  static async as(gw: RunningGateway, user: string, opts: { resumeFrom?: number } = {}): Promise<ChatClient> {
    const { token, role } = await webchatCredentials(gw, user);
    return ChatClient.connect(gw.http.url, token, { role, ...opts });
  }

  /** chat.send with `id` as its idempotency key; the answer arrives as `ack` / `error` with that id. */
  send(text: string, id = `c${++this.seq}`): string {
    return this.request('chat.send', { message: text, idempotencyKey: id }, id);
  }

  /** Any request; its answer arrives as `ack` / `error` with `key` (default: the request id) as its id. */
  request(method: string, params: Record<string, unknown>, key?: string): string {
    const reqId = `r${++this.seq}-${key ?? ''}`;
    if (key !== undefined) this.keyOfReq.set(reqId, key);
    this.ws.send(JSON.stringify({ type: 'req', id: reqId, method, params }));
    return key ?? reqId;
  }

  /** Sends a request and resolves with its payload (rejects with the error message). */
  async call(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.request(method, params);
    const f = await this.next((x) => (x.type === 'ack' || x.type === 'error') && x.id === id);
    if (f.type === 'error') throw new Error(`${method}: ${f.code}: ${f.error}`);
    return f.payload ?? {};
  }

  sendRaw(data: string): void {
    this.ws.send(data);
  }

  /** The next frame (already received or future) matching pred that no earlier call consumed. */
  next(pred: (f: ChatFrame) => boolean, timeoutMs = 10_000): Promise<ChatFrame> {
    const seen = this.frames.find((f) => pred(f) && !this.consumed.has(f));
    if (seen) {
      this.consumed.add(seen);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching web chat frame in ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`)), timeoutMs);
      this.waiters.push({
        pred: (f) => pred(f) && !this.consumed.has(f),
        resolve: (f) => {
          clearTimeout(timer);
          this.consumed.add(f);
          resolve(f);
        },
      });
    });
  }

  reply(timeoutMs?: number): Promise<ChatFrame> {
    return this.next((f) => f.type === 'message', timeoutMs);
  }

  private consumed = new Set<ChatFrame>();

  close(): void {
    this.ws.close();
  }
}
