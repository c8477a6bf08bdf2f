// The gateway's control plane on `/ws`: one protocol for the web chat page, the control page and the CLI
// (docs/protocol.md). It owns the connections, the replayable event stream, idempotency and scopes; methods are
// listed in methods/. The composition root builds it early (channels and approvals report into it) and attaches
// it to the HTTP server's WebSocket endpoint.
import type { WebSocket, WebSocketServer } from 'ws';
import type { AgentEvent, ApprovalRecord, Channel, ControlEventStore, IdempotencyStore, TimerHandle } from '../types/index.js';
import { tokenMatches } from '../http-server.js';
import { CLOSE, LIMITS, PROTOCOL_VERSION, RequestError, type ConnectParams } from './frames.js';
import { createEventHub, type OutEvent, type Retention } from './event-hub.js';
import { createIdempotency } from './idempotency.js';
import { Connection } from './connection.js';
import { createRunEvents } from './run-events.js';
import { createChannelStatusBoard } from './channel-status.js';
import type { LogRing } from './log-ring.js';
import { createWebchatUsers, OPERATOR_WEBCHAT_ID, PERSONAL_TOKEN_PREFIX, type WebchatUsers } from './webchat-users.js';
import { createWebchatHub } from './webchat-hub.js';
import type { ControlPlaneDeps, MethodDef, PlaneServices, Principal } from './types.js';
import { systemMethods } from './methods/system.js';
import { sessionMethods, webchatSessionKey } from './methods/sessions.js';
import { chatMethods } from './methods/chat.js';
import { adminMethods } from './methods/admin.js';
import { logMethods } from './methods/logs.js';
import { createChatCompletions } from './chat-completions.js';

/** Every event a client may receive (hello-ok.features.events). */
export const EVENTS = [
  'connect.challenge',
  'agent',
  'chat',
  'chat.message',
  'chat.typing',
  'approval.requested',
  'approval.resolved',
  'session.changed',
  'channel.status',
  'log',
  'tick',
  'shutdown',
] as const;

/** What a web chat client sees: its own messages, its own session's chat stream, and the connection's own events. */
const WEBCHAT_EVENTS = new Set(['chat', 'chat.message', 'chat.typing', 'tick', 'shutdown']);

export interface ControlPlaneOptions extends ControlPlaneDeps {
  logs: LogRing;
  eventStore: ControlEventStore;
  idempotencyStore: IdempotencyStore;
  retention?: Retention;
  limits?: Partial<typeof LIMITS>;
}

export interface ControlPlane {
  webchatUsers: WebchatUsers;
  webchatTransport: PlaneServices['webchat']['transport'];
  /** Loads the event log and the idempotency records. */
  init(): Promise<void>;
  attach(wss: WebSocketServer): void;
  observeChannel(c: Channel): Channel;
  onAgentEvent(e: AgentEvent): void;
  approvalSettled(rec: ApprovalRecord): void;
  /** Closes the connections of a web chat user whose credential was revoked or replaced. */
  dropWebchatUser(userId: string): void;
  /** Tells every client the gateway is going away (before the gateway stops). */
  announceShutdown(reason: string): void;
  /** Writes pending events and closes every connection. */
  close(): Promise<void>;
  /** The newest seq (tests, status). */
  seq(): number;
  /** Resolves once every published event is written and delivered. */
  flush(): Promise<void>;
  /** Listens to every event as it goes out (benchmarks, diagnostics); returns the unsubscribe. */
  onEvent(fn: (e: OutEvent) => void): () => void;
  /** The optional HTTP API's route (POST /v1/chat/completions when gateway.http.chatCompletions is on). */
  httpRoute: ReturnType<typeof createChatCompletions>;
}

export function createControlPlane(opts: ControlPlaneOptions): ControlPlane {
  const { clock, log } = opts;
  const hub = createEventHub({ store: opts.eventStore, clock, log, retention: opts.retention });
  const idempotency = createIdempotency({ store: opts.idempotencyStore, clock, log });
  const conns = new Set<Connection>();
  const webchatUsers = createWebchatUsers({ state: opts.state, now: () => clock.now() });
  const webchat = createWebchatHub({ hub, now: () => clock.now() });
  const channels = createChannelStatusBoard({ hub, now: () => clock.now() });
  const approvalView = (id: string) => opts.state.data.approvals.find((r) => r.id === id);
  const runs = createRunEvents({ hub, clock, redact: opts.redact, approval: (id) => approvalView(id) as Record<string, unknown> | undefined });

  const services: PlaneServices = {
    ...opts,
    hub,
    runs,
    channels,
    logs: opts.logs,
    webchatUsers,
    webchat,
    startedAt: clock.now(),
    connections() {
      let operator = 0;
      let wc = 0;
      for (const c of conns)
        if (c.principal?.role === 'operator') operator++;
        else if (c.principal?.role === 'webchat') wc++;
      return { operator, webchat: wc };
    },
    need() {
      const gw = opts.gateway();
      if (!gw) throw new RequestError('unavailable', 'the gateway is starting; try again in a moment', { retryable: true, retryAfterMs: 1000 });
      return gw;
    },
    approval: approvalView,
  };

  const methods = new Map<string, MethodDef>();
  for (const m of [...systemMethods(services), ...sessionMethods(services), ...chatMethods(services), ...adminMethods(services), ...logMethods(services)]) {
    methods.set(m.name, m);
  }

  /** The web chat identity the operator chats as: the first `webchat:<id>` owner, else "owner". */
  const operatorUserId = () => {
    const own = opts.config().commands.ownerAllowFrom.find((o) => o.toLowerCase().startsWith('webchat:'));
    return own ? own.slice('webchat:'.length).toLowerCase() : OPERATOR_WEBCHAT_ID;
  };

  function authenticate(p: ConnectParams): Principal | RequestError {
    const token = p.auth.token;
    if (p.role === 'operator') {
      if (tokenMatches(opts.gatewayToken, token)) return { role: 'operator', id: 'operator', userId: operatorUserId() };
      if (token.startsWith(PERSONAL_TOKEN_PREFIX)) return new RequestError('unauthorized', 'this is a personal web chat token: connect with role "webchat"');
      return new RequestError('unauthorized', 'the token was not accepted: use the gateway token (gateway-token file or gateway.auth.token)');
    }
    const userId = webchatUsers.verify(token);
    if (userId) return { role: 'webchat', id: `webchat:${userId}`, userId };
    if (tokenMatches(opts.gatewayToken, token)) {
      return new RequestError(
        'unauthorized',
        'the gateway token is the operator\'s: connect with role "operator" (web chat users get a personal link from /webchat invite)',
      );
    }
    return new RequestError('unauthorized', 'this web chat link is not valid (any more): ask the owner for a new one (/webchat invite <name>)');
  }

  function visible(principal: Principal, e: OutEvent): boolean {
    if (e.event === 'log') return false; // only to followers, sent directly
    if (principal.role === 'operator') return true;
    if (!WEBCHAT_EVENTS.has(e.event)) return false;
    if (e.event === 'chat.message' || e.event === 'chat.typing') return e.payload.userId === principal.userId;
    if (e.event === 'chat') {
      const gw = opts.gateway();
      return gw !== undefined && e.payload.sessionKey === webchatSessionKey(services, principal.userId);
    }
    return true;
  }

  function hello(principal: Principal): Record<string, unknown> {
    let sessionKey: string | undefined;
    try {
      sessionKey = opts.gateway() ? webchatSessionKey(services, principal.userId) : undefined;
    } catch (err) {
      log.warn('could not locate the web chat session for hello-ok', { err });
    }
    return {
      server: { version: opts.version },
      features: { methods: [...methods.values()].filter((m) => m.roles.includes(principal.role)).map((m) => m.name), events: [...EVENTS] },
      auth: { role: principal.role, userId: principal.userId },
      webchat: { userId: principal.userId, sessionKey },
      policy: { tickIntervalMs: limits.tickMs, maxPayload: limits.frameBytes },
    };
  }

  const limits = { ...LIMITS, ...opts.limits };
  const unsubscribe = hub.subscribe((e) => {
    const text = JSON.stringify({ type: 'event', event: e.event, payload: e.payload, ...(e.seq !== undefined ? { seq: e.seq } : {}) });
    for (const c of conns) c.deliver(e, text);
  });
  const unfollow = opts.logs.follow((line) => {
    const text = JSON.stringify({ type: 'event', event: 'log', payload: line });
    for (const c of conns) if (c.followingLogs) c.deliverRaw(text);
  });

  let tickTimer: TimerHandle | undefined;
  const tick = () => {
    hub.publishEphemeral('tick', { ts: clock.now(), seq: hub.seq() });
    tickTimer = clock.setTimeout(tick, limits.tickMs);
  };

  function onConnection(ws: WebSocket) {
    if (conns.size >= limits.connections) {
      ws.close(CLOSE.tryAgainLater, 'too many connections');
      return;
    }
    const conn = new Connection({
      ws,
      clock,
      log,
      hub,
      methods,
      idempotency,
      authenticate,
      hello,
      visible,
      limits,
      onOpen: () => {},
      onClose: (c) => conns.delete(c),
    });
    conns.add(conn);
  }

  let wssRef: WebSocketServer | undefined;
  return {
    webchatUsers,
    webchatTransport: webchat.transport,
    async init() {
      await Promise.all([hub.init(), idempotency.init()]);
      tickTimer = clock.setTimeout(tick, limits.tickMs);
    },
    attach(wss) {
      wssRef = wss;
      wss.on('connection', onConnection);
    },
    observeChannel: (c) => channels.observe(c),
    onAgentEvent: (e) => runs.onAgentEvent(e),
    approvalSettled(rec) {
      hub.publish('approval.resolved', {
        id: rec.id,
        status: rec.status,
        decidedBy: rec.decidedBy,
        decidedAt: rec.decidedAt,
        runId: rec.runId,
        sessionKey: rec.sessionKey,
        agentId: rec.agentId,
        command: rec.command,
      });
    },
    dropWebchatUser(userId) {
      for (const c of conns)
        if (c.principal?.role === 'webchat' && c.principal.userId === userId) c.close(CLOSE.policy, 'this web chat credential was revoked or replaced');
    },
    announceShutdown(reason) {
      runs.flush();
      hub.publishEphemeral('shutdown', { reason, ts: clock.now() });
    },
    async close() {
      if (tickTimer) clock.clearTimeout(tickTimer);
      runs.flush();
      await hub.flush();
      await opts.eventStore.close?.().catch((err: unknown) => log.warn('control event log could not be closed', { err }));
      unsubscribe();
      unfollow();
      wssRef?.off('connection', onConnection);
      for (const c of [...conns]) c.close(CLOSE.goingAway, 'the gateway is shutting down');
    },
    seq: () => hub.seq(),
    flush: () => hub.flush(),
    onEvent: (fn) => hub.subscribe(fn),
    httpRoute: createChatCompletions({ ...opts, hub }),
  };
}

export { PROTOCOL_VERSION };
