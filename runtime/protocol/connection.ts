// One control-plane WebSocket: the handshake (challenge → connect → hello-ok, or an error and a close code), then
// requests (scope-checked, idempotent where they act) and the events this principal may see. Nothing a client
// sends can throw out of here; every bad frame gets an answer naming what was wrong.
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Clock, Logger, TimerHandle } from '../types/index.js';
import {
  CLOSE,
  LIMITS,
  PROTOCOL_VERSION,
  RequestError,
  connectParamsSchema,
  describeIssues,
  errorShape,
  reqFrameSchema,
  type ConnectParams,
  type ErrorShape,
} from './frames.js';
import type { EventHub, OutEvent } from './event-hub.js';
import type { Answer, Idempotency } from './idempotency.js';
import type { ConnHandle, MethodDef, Principal } from './types.js';

export interface ConnectionDeps {
  ws: WebSocket;
  clock: Clock;
  log: Logger;
  hub: EventHub;
  methods: ReadonlyMap<string, MethodDef>;
  idempotency: Idempotency;
  /** The principal for these credentials, or why not (answered, then closed with 1008). */
  authenticate(p: ConnectParams): Principal | RequestError;
  /** Extra hello-ok fields for this principal (features, the web chat identity). */
  hello(principal: Principal): Record<string, unknown>;
  /** Whether this principal may see the event (scopes). */
  visible(principal: Principal, e: OutEvent): boolean;
  onOpen(conn: Connection): void;
  onClose(conn: Connection): void;
  limits?: Partial<typeof LIMITS>;
}

const rawSize = (data: unknown): number =>
  Buffer.isBuffer(data) ? data.length : Array.isArray(data) ? data.reduce((n, b: Buffer) => n + b.length, 0) : (data as ArrayBuffer).byteLength;
const rawText = (data: unknown): string =>
  Buffer.isBuffer(data)
    ? data.toString('utf8')
    : Array.isArray(data)
      ? Buffer.concat(data as Buffer[]).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8');

export class Connection implements ConnHandle {
  principal: Principal | undefined;
  followingLogs = false;
  private state: 'handshake' | 'open' | 'closed' = 'handshake';
  private timer: TimerHandle | undefined;
  private inflight = 0;
  private readonly limits: typeof LIMITS;

  constructor(private readonly deps: ConnectionDeps) {
    this.limits = { ...LIMITS, ...deps.limits };
    const { ws, clock } = deps;
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.closed());
    ws.on('error', (err) => deps.log.debug?.('control socket error', { err }));
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      if (this.state === 'handshake') this.fail(null, new RequestError('bad_request', `no connect request within ${this.limits.handshakeMs / 1000} s`), CLOSE.policy);
    }, this.limits.handshakeMs);
    this.sendFrame({ type: 'event', event: 'connect.challenge', payload: { nonce: randomBytes(16).toString('base64url'), ts: clock.now() } });
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  followLogs(on: boolean): void {
    this.followingLogs = on;
  }

  /** A live event (already serialised once for every connection). */
  deliver(e: OutEvent, text: string): void {
    if (this.state !== 'open' || !this.principal || !this.deps.visible(this.principal, e)) return;
    this.sendText(text);
  }

  /** A frame only this connection gets (followed log lines). */
  deliverRaw(text: string): void {
    if (this.state === 'open') this.sendText(text);
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.deps.ws.close(code, reason.slice(0, 120));
    this.closed();
  }

  private closed() {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.deps.onClose(this);
  }

  private sendFrame(frame: Record<string, unknown>): void {
    this.sendText(JSON.stringify(frame));
  }

  private sendText(text: string): void {
    const { ws } = this.deps;
    if (ws.readyState !== ws.OPEN) return;
    // A client that does not read would make the gateway hold every event for it: it is dropped instead, and
    // catches up with resumeFrom when it reconnects.
    if (ws.bufferedAmount > this.limits.sendBufferBytes) {
      this.deps.log.warn('control client too slow; closing it (it can resume from its last seq)', { buffered: ws.bufferedAmount });
      this.close(CLOSE.tryAgainLater, 'too slow: reconnect with resumeFrom');
      return;
    }
    ws.send(text);
  }

  private reply(id: string | null, answer: Answer): void {
    this.sendFrame(answer.ok ? { type: 'res', id, ok: true, payload: answer.payload } : { type: 'res', id, ok: false, error: answer.error });
  }

  private replyError(id: string | null, problem: RequestError): void {
    this.reply(id, { ok: false, error: errorShape(problem) });
  }

  private fail(id: string | null, problem: RequestError, code: number): void {
    this.replyError(id, problem);
    this.close(code, problem.message);
  }

  private onFrame(data: unknown, isBinary: boolean): void {
    if (this.state === 'closed') return;
    try {
      if (this.state === 'handshake') this.onHandshakeFrame(data, isBinary);
      else this.onOpenFrame(data, isBinary);
    } catch (err) {
      this.deps.log.error('control frame handling failed', { err });
      this.replyError(null, new RequestError('internal', 'the gateway failed to handle this frame; the log has details'));
    }
  }

  /** Parses a text frame into a req, or explains what is wrong with it (and the id to answer, when there is one). */
  private parseReq(
    data: unknown,
    isBinary: boolean,
  ): { ok: true; req: { id: string; method: string; params?: unknown } } | { ok: false; id: string | null; problem: RequestError } {
    if (isBinary) return { ok: false, id: null, problem: new RequestError('bad_frame', 'binary frames are not supported; send JSON text frames') };
    let value: unknown;
    try {
      value = JSON.parse(rawText(data));
    } catch {
      return { ok: false, id: null, problem: new RequestError('bad_frame', 'frame is not JSON: send {"type":"req","id":"…","method":"…","params":{…}}') };
    }
    const parsed = reqFrameSchema.safeParse(value);
    if (!parsed.success) {
      const id = typeof (value as { id?: unknown })?.id === 'string' ? (value as { id: string }).id.slice(0, 128) : null;
      return {
        ok: false,
        id,
        problem: new RequestError('bad_frame', `not a request frame (${describeIssues(parsed.error, 'frame')}): send {"type":"req","id":"…","method":"…","params":{…}}`),
      };
    }
    return { ok: true, req: parsed.data };
  }

  private onHandshakeFrame(data: unknown, isBinary: boolean): void {
    if (rawSize(data) > this.limits.preConnectFrameBytes) {
      return this.fail(null, new RequestError('bad_frame', `frames before connect are limited to ${this.limits.preConnectFrameBytes} bytes`), CLOSE.tooBig);
    }
    const r = this.parseReq(data, isBinary);
    if (!r.ok) return this.fail(r.id, r.problem, CLOSE.policy);
    const { id, method, params } = r.req;
    if (method !== 'connect') {
      return this.fail(id, new RequestError('bad_request', `the first request must be "connect", not "${method.slice(0, 64)}"`), CLOSE.policy);
    }
    const p = connectParamsSchema.safeParse(params ?? {});
    if (!p.success) return this.fail(id, new RequestError('bad_request', `connect: ${describeIssues(p.error)}`), CLOSE.policy);
    const { minProtocol, maxProtocol } = p.data;
    if (minProtocol > PROTOCOL_VERSION || maxProtocol < PROTOCOL_VERSION) {
      return this.fail(
        id,
        new RequestError('protocol_mismatch', `this gateway speaks protocol ${PROTOCOL_VERSION}; the client asked for ${minProtocol}–${maxProtocol}`),
        CLOSE.protocolMismatch,
      );
    }
    const principal = this.deps.authenticate(p.data);
    if (principal instanceof RequestError) return this.fail(id, principal, CLOSE.policy);
    this.open(id, principal, p.data.resumeFrom);
  }

  private open(id: string, principal: Principal, resumeFrom: number | undefined): void {
    const { hub } = this.deps;
    this.principal = principal;
    this.state = 'open';
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    // All synchronous: what `since` returns and what the subscription delivers next cannot overlap or leave a gap.
    const replay = resumeFrom === undefined ? undefined : hub.since(resumeFrom);
    const visible = (replay?.events ?? []).filter((e) => this.deps.visible(principal, e));
    this.reply(id, {
      ok: true,
      payload: {
        type: 'hello-ok',
        protocol: PROTOCOL_VERSION,
        ...this.deps.hello(principal),
        seq: hub.seq(),
        ...(replay ? { resume: { from: resumeFrom, complete: replay.complete, replayed: visible.length } } : {}),
      },
    });
    for (const e of visible) this.sendFrame({ type: 'event', event: e.event, payload: e.payload, seq: e.seq });
    this.deps.onOpen(this);
  }

  private onOpenFrame(data: unknown, isBinary: boolean): void {
    const r = this.parseReq(data, isBinary);
    if (!r.ok) return this.replyError(r.id, r.problem);
    const { id, method, params } = r.req;
    if (method === 'connect') return this.replyError(id, new RequestError('bad_request', 'already connected: connect is only the first request'));
    const def = this.deps.methods.get(method);
    if (!def) return this.replyError(id, new RequestError('unknown_method', `unknown method "${method.slice(0, 64)}"; hello-ok.features.methods lists them`));
    const principal = this.principal!;
    if (!def.roles.includes(principal.role)) {
      return this.replyError(id, new RequestError('forbidden', `${method} is not allowed for role ${principal.role}`));
    }
    if (this.inflight >= this.limits.inflightPerConnection) {
      return this.replyError(
        id,
        new RequestError('busy', `more than ${this.limits.inflightPerConnection} requests unanswered on this connection; wait for answers`, {
          retryable: true,
          retryAfterMs: 500,
        }),
      );
    }
    const parsed = def.params.safeParse(params ?? {});
    if (!parsed.success) return this.replyError(id, new RequestError('bad_request', `${method}: ${describeIssues(parsed.error)}`));
    this.inflight++;
    void this.dispatch(def, parsed.data)
      .then((answer) => this.reply(id, answer))
      .finally(() => this.inflight--);
  }

  private dispatch(def: MethodDef, params: unknown): Promise<Answer> {
    const ctx = { principal: this.principal!, conn: this };
    const invoke = async (): Promise<Answer> => {
      try {
        return { ok: true, payload: (await def.run(params, ctx)) ?? {} };
      } catch (err) {
        if (err instanceof RequestError) return { ok: false, error: errorShape(err) };
        this.deps.log.error('control method failed', { method: def.name, err });
        return { ok: false, error: { code: 'internal', message: `${def.name} failed on the gateway; its log has the details` } satisfies ErrorShape };
      }
    };
    if (!def.sideEffect) return invoke();
    const key = (params as { idempotencyKey?: string }).idempotencyKey;
    if (!key) return Promise.resolve({ ok: false, error: { code: 'bad_request', message: `${def.name} acts on the gateway: params.idempotencyKey is required` } });
    return this.deps.idempotency.run(this.principal!.id, key, def.name, invoke).catch((err: unknown) => ({
      ok: false as const,
      error: err instanceof RequestError ? errorShape(err) : { code: 'internal', message: String(err) },
    }));
  }
}
