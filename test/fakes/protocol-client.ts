// A raw control-protocol client for conformance tests: every frame it receives is kept, close codes are captured,
// and nothing is folded or guessed (test/fakes/gateway-harness.ts ChatClient is the convenient one).
import WebSocket from 'ws';

export interface Frame {
  type: string;
  id?: string | null;
  ok?: boolean;
  payload?: Record<string, unknown>;
  error?: { code: string; message: string; retryable?: boolean; retryAfterMs?: number };
  event?: string;
  seq?: number;
}

export class ProtoClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];
  private n = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.frames.push(JSON.parse(d.toString()) as Frame);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static async open(baseUrl: string): Promise<ProtoClient> {
    const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/ws`);
    // Listening before 'open': the challenge can arrive in the same packet as the upgrade answer.
    const client = new ProtoClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  /** Opens and completes the handshake; rejects with the error when refused. */
  static async connect(baseUrl: string, token: string, role: 'operator' | 'webchat', extra: Record<string, unknown> = {}): Promise<ProtoClient> {
    const c = await ProtoClient.open(baseUrl);
    const res = await c.request('connect', connectParams(token, role, extra));
    if (!res.ok) throw new Error(`connect refused: ${res.error?.code}: ${res.error?.message}`);
    return c;
  }

  get hello(): Record<string, unknown> {
    return this.frames.find((f) => f.type === 'res' && f.payload?.type === 'hello-ok')!.payload!;
  }

  /** The next frame matching pred (already received or future). */
  async next(pred: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.find(pred);
      if (f) return f;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame in ${timeoutMs} ms; got ${JSON.stringify(this.frames).slice(0, 2000)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a req and resolves with its res. */
  async request(method: string, params?: Record<string, unknown>): Promise<Frame> {
    const id = `q${++this.n}`;
    this.send({ type: 'req', id, method, ...(params ? { params } : {}) });
    return this.next((f) => f.type === 'res' && f.id === id);
  }

  /** The payload of a successful request (throws with the error otherwise). */
  async call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await this.request(method, params);
    if (!res.ok) throw new Error(`${method}: ${res.error?.code}: ${res.error?.message}`);
    return res.payload!;
  }

  events(name?: string): Frame[] {
    return this.frames.filter((f) => f.type === 'event' && (name === undefined || f.event === name));
  }

  close(): void {
    this.ws.close();
  }
}

export function connectParams(token: string, role: 'operator' | 'webchat', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { minProtocol: 1, maxProtocol: 1, client: { id: 'conformance-test', version: '1.0.0' }, role, auth: { token }, ...extra };
}
