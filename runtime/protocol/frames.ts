// The control protocol's wire shapes, limits and close codes (docs/protocol.md is the reference). Every frame is a
// text frame of one JSON object: `req` from the client, `res` and `event` from the gateway.
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

export const CLOSE = {
  /** Normal close (the client asked). */
  normal: 1000,
  /** The gateway is shutting down. */
  goingAway: 1001,
  /** No protocol version both sides speak. */
  protocolMismatch: 1002,
  /** Invalid UTF-8 in a text frame (the WebSocket library closes with this itself). */
  invalidData: 1007,
  /** Anything else the first frame got wrong: not JSON, not a connect req, bad params, wrong token; handshake too slow. */
  policy: 1008,
  /** A frame over the size limit. */
  tooBig: 1009,
  /** The client reads too slowly (its send buffer grew past the bound), or the gateway has too many connections. */
  tryAgainLater: 1013,
} as const;

export const LIMITS = {
  /** Frames before a successful connect (bytes). */
  preConnectFrameBytes: 64 * 1024,
  /** Any frame after connect (bytes); the WebSocket server closes with 1009 above it. */
  frameBytes: 256 * 1024,
  /** A connect not completed within this is closed (1008). */
  handshakeMs: 10_000,
  tickMs: 15_000,
  /** Requests one connection may have unanswered at once; more are answered `busy` (retryable). */
  inflightPerConnection: 64,
  /** Bytes queued to one client before it is closed as too slow (1013; it reconnects with resumeFrom). */
  sendBufferBytes: 4 * 1024 * 1024,
  /** Open connections, handshaking or not; more are closed at once (1013). */
  connections: 1000,
} as const;

export type Role = 'operator' | 'webchat';

/** A request the gateway cannot fulfil: answered as `{ok:false, error}`; the connection stays open. */
export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { retryable?: boolean; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export type ErrorCode =
  | 'bad_frame'
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'protocol_mismatch'
  | 'unknown_method'
  | 'not_found'
  | 'conflict'
  | 'unavailable'
  | 'busy'
  | 'internal';

export interface ErrorShape {
  code: string;
  message: string;
  retryable?: boolean;
  retryAfterMs?: number;
}

export function errorShape(err: RequestError): ErrorShape {
  return { code: err.code, message: err.message, ...err.extra };
}

export const ID = z.string().min(1).max(128);

export const reqFrameSchema = z.object({
  type: z.literal('req'),
  id: ID,
  method: z.string().min(1).max(64),
  params: z.unknown().optional(),
});

export const connectParamsSchema = z.object({
  minProtocol: z.number().int().min(0),
  maxProtocol: z.number().int().min(0),
  client: z.object({ id: z.string().min(1).max(64), version: z.string().min(1).max(64) }),
  role: z.enum(['operator', 'webchat']),
  auth: z.object({ token: z.string().min(1).max(512) }),
  /** The newest seq this client has seen: every later event it may see is replayed before live ones. */
  resumeFrom: z.number().int().min(0).optional(),
});

export type ConnectParams = z.output<typeof connectParamsSchema>;

/** Side-effecting methods carry one: letters, digits and `_.:-`, up to 128 (a UUID fits). */
export const idempotencyKeySchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected 1–128 letters, digits, _ . : or -');

/** A zod failure as one line naming each bad field. */
export function describeIssues(error: z.ZodError, prefix = 'params'): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${[prefix, ...i.path.map(String)].join('.')}: ${i.message}`)
    .join('; ');
}
