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
  userId?: string;
  id?: string;
  messageId?: string;
}

/** A web chat user: connects with the gateway token and collects every frame it receives. */
export class ChatClient {
  readonly frames: ChatFrame[] = [];
  private waiters: { pred: (f: ChatFrame) => boolean; resolve: (f: ChatFrame) => void }[] = [];
  private seq = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as ChatFrame;
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(f)) return true;
        w.resolve(f);
        return false;
      });
    });
  }

  static async connect(baseUrl: string, token: string, user: string): Promise<ChatClient> {
    const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/ws?token=${encodeURIComponent(token)}&user=${encodeURIComponent(user)}`);
    const client = new ChatClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await client.next((f) => f.type === 'hello');
    return client;
  }

  send(text: string, id = `c${++this.seq}`): string {
    this.ws.send(JSON.stringify({ type: 'message', id, text }));
    return id;
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
