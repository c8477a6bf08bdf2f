// What the control plane (runtime/protocol) needs from storage/: its replayable event log, its idempotency
// records, and the web chat users' credentials (kept in state.json). storage/ implements these.
import type { Inbound } from './channel.js';

/** One control-plane event as persisted and replayed: `seq` is gateway-wide, monotonic across restarts. */
export interface ControlEventRecord {
  seq: number;
  ts: number;
  event: string;
  payload: Record<string, unknown>;
}

export interface ControlEventStore {
  /** The persisted events, oldest first; torn or foreign lines are skipped. */
  load(): Promise<ControlEventRecord[]>;
  /** Appends in order (not fsync'd: a process crash keeps them, a power cut may cost the newest). */
  append(events: ControlEventRecord[]): Promise<void>;
  /** Replaces the file with exactly these events (atomic), to drop what fell out of the retention window. */
  rewrite(events: ControlEventRecord[]): Promise<void>;
  /** Releases what the store holds open (at shutdown). */
  close?(): Promise<void>;
}

/** The first answer to a side-effecting request, kept so that a retry with the same key gets it again. */
export interface IdempotencyRecord {
  /** `<principal>\n<idempotencyKey>`: keys are per caller, so two callers cannot see each other's answers. */
  key: string;
  ts: number;
  method: string;
  ok: boolean;
  payload?: unknown;
  error?: { code: string; message: string; retryable?: boolean; retryAfterMs?: number };
}

export interface IdempotencyStore {
  load(): Promise<IdempotencyRecord[]>;
  /** Appends and fsyncs: once this resolves the answer survives a crash. */
  append(rec: IdempotencyRecord): Promise<void>;
  rewrite(recs: IdempotencyRecord[]): Promise<void>;
}

/** A web chat user invited by an owner: the personal token itself is never stored, only its sha256. */
export interface WebchatUser {
  userId: string;
  /** hex sha256 of the personal token. */
  tokenHash: string;
  createdAt: number;
  /** `<channel>:<userId>` of the owner who invited them. */
  createdBy: string;
}

/**
 * How the web chat adapter (bots/webchat) meets its users: the control plane owns the sockets and the protocol,
 * and hands the adapter each `chat.send` of a web chat identity; the adapter's replies go back as events.
 */
export interface WebchatTransport {
  /**
   * Registers the adapter's handler for messages users send; it resolves with the Inbound the adapter made once
   * the gateway accepted it (the control plane locates its session from it).
   */
  onMessage(handler: (m: WebchatMessageIn) => Promise<Inbound>): void;
  /** A message for every open tab of this user (and kept for replay). */
  deliver(userId: string, m: { messageId: string; text: string; format: 'markdown' | 'plain'; replyToId?: string }): void;
  /** A typing indicator for this user's tabs (not kept). */
  typing(userId: string): void;
}

export interface WebchatMessageIn {
  userId: string;
  messageId: string;
  text: string;
  receivedAt: number;
}

/** Thrown by a WebchatTransport handler when the gateway is not taking messages (starting or stopping). */
export class WebchatNotReadyError extends Error {
  constructor() {
    super('the gateway is starting or stopping and did not take this message; send it again in a moment');
    this.name = 'WebchatNotReadyError';
  }
}
