// What the control plane's method handlers receive: who is calling, and the gateway they act on.
import type { z } from 'zod';
import type { ApprovalRecord, AuditLog, Clock, GatewayState, Inbound, JsonDoc, Logger, SessionStore, TranscriptStore } from '../types/index.js';
import type { Config } from '../config/schema.js';
import type { GatewayApi } from '../gateway/gateway.js';
import type { Approvals } from '../tools/approvals.js';
import type { Role } from './frames.js';
import type { EventHub } from './event-hub.js';
import type { RunTracker } from './run-events.js';
import type { ChannelStatusBoard } from './channel-status.js';
import type { LogRing } from './log-ring.js';
import type { WebchatUsers } from './webchat-users.js';
import type { WebchatHub } from './webchat-hub.js';

export interface Principal {
  role: Role;
  /** Whose idempotency keys these are: `operator` or `webchat:<userId>`. */
  id: string;
  /** The web chat user this connection chats as (the operator: the owner's web chat id). */
  userId: string;
}

export interface ConnHandle {
  /** `logs.tail {follow:true}`: this connection gets `log` events from now on. */
  followLogs(on: boolean): void;
}

export interface MethodContext {
  principal: Principal;
  conn: ConnHandle;
}

export interface MethodDef<P = unknown> {
  name: string;
  /** Roles that may call it; anyone else gets `forbidden`. */
  roles: readonly Role[];
  /** Acts on the gateway: requires params.idempotencyKey and answers a retry with the first answer. */
  sideEffect?: boolean;
  params: z.ZodType<P>;
  run(params: P, ctx: MethodContext): Promise<unknown>;
}

/** Defines a method with its params type inferred from the schema. */
export function method<S extends z.ZodType>(def: Omit<MethodDef<z.output<S>>, 'params'> & { params: S }): MethodDef<unknown> {
  return def as unknown as MethodDef<unknown>;
}

/** What the gateway offers the control plane beyond the chat-facing API. */
export interface PlaneGateway extends GatewayApi {
  readonly ready: boolean;
  handleInbound(m: Inbound): Promise<void>;
  /** Queues a message for a known session (operator chat.send into a session), bypassing access and routing. */
  submit(m: Inbound, agentId: string, sessionKey: string): Promise<{ accepted: boolean }>;
}

export interface ControlPlaneDeps {
  config(): Config;
  home: string;
  clock: Clock;
  log: Logger;
  version: string;
  gatewayToken: string;
  /** undefined while the gateway is still being built. */
  gateway(): PlaneGateway | undefined;
  sessions: SessionStore;
  transcripts: TranscriptStore;
  state: JsonDoc<GatewayState>;
  audit: AuditLog;
  approvals(): Approvals | undefined;
  redact(value: unknown): unknown;
  providerIds(): string[];
  profileHealth(): { profileId: string; status: string }[];
  /** A fresh transcript under the same key (what /new does). */
  resetSession(agentId: string, sessionKey: string): Promise<{ oldSessionId?: string; newSessionId: string }>;
}

/** The deps plus the plane's own parts: what method modules are built from. */
export interface PlaneServices extends ControlPlaneDeps {
  hub: EventHub;
  runs: RunTracker;
  channels: ChannelStatusBoard;
  logs: LogRing;
  webchatUsers: WebchatUsers;
  webchat: WebchatHub;
  startedAt: number;
  connections(): { operator: number; webchat: number };
  /** The gateway, or `unavailable` (retryable) while it starts. */
  need(): PlaneGateway;
  /** The approval record, for events. */
  approval(id: string): ApprovalRecord | undefined;
}
