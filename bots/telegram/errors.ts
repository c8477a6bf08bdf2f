// What a failed Bot API call means for us. grammY throws GrammyError (Telegram answered ok:false, with
// error_code/description/parameters) or HttpError (the HTTP exchange itself failed, wrapping the fetch error).
// Both are recognised by shape, so this file needs no runtime import of grammY.

export type TelegramFailure =
  /** 429: wait `retryAfterMs` and try again. */
  | { kind: 'rate-limit'; retryAfterMs: number; detail: string }
  /** 5xx: Telegram did not accept the call; retrying is safe. */
  | { kind: 'server'; status: number; detail: string }
  /** 401: the token is wrong or revoked. */
  | { kind: 'unauthorized'; detail: string }
  /** 409 on getUpdates: a webhook is set or another process polls the same token. */
  | { kind: 'conflict'; detail: string }
  /** Other 4xx: the request itself is wrong; retrying cannot help. */
  | { kind: 'rejected'; status: number; detail: string }
  /** The request never reached Telegram (connection refused, DNS): retrying is safe. */
  | { kind: 'network-unsent'; detail: string }
  /** The connection failed after the request may have been sent: only idempotent calls may be retried. */
  | { kind: 'network-unknown'; detail: string }
  /** Our own abort (stop()). */
  | { kind: 'aborted'; detail: string };

/** The longest wait a 429 can ask of us: one day. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL']);

const isRec = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export function classifyTelegramError(err: unknown): TelegramFailure {
  if (isRec(err) && typeof err.error_code === 'number') {
    const status = err.error_code;
    const detail = `${status}: ${typeof err.description === 'string' ? err.description : 'no description'}`;
    const params = isRec(err.parameters) ? err.parameters : {};
    if (status === 429) {
      const after = typeof params.retry_after === 'number' ? params.retry_after : 1;
      // Bounded both ways: a timer beyond 2^31-1 ms fires after 1 ms in Node, and 0 would retry at once — either
      // turns an odd retry_after into a busy loop against the API.
      return { kind: 'rate-limit', retryAfterMs: Math.min(MAX_RETRY_AFTER_MS, Math.max(1000, after * 1000)), detail };
    }
    if (status === 401) return { kind: 'unauthorized', detail };
    if (status === 409) return { kind: 'conflict', detail };
    if (status >= 500) return { kind: 'server', status, detail };
    return { kind: 'rejected', status, detail };
  }
  const inner = isRec(err) && 'error' in err ? err.error : err;
  const code = isRec(inner) && typeof inner.code === 'string' ? inner.code : undefined;
  const name = isRec(inner) && typeof inner.name === 'string' ? inner.name : '';
  const message = inner instanceof Error ? inner.message : String(inner);
  const detail = code ? `${code}: ${message}` : message;
  if (name === 'AbortError' || /aborted/i.test(message)) return { kind: 'aborted', detail };
  if (code && UNSENT_CODES.has(code)) return { kind: 'network-unsent', detail };
  return { kind: 'network-unknown', detail };
}

/** Telegram's answer when parse_mode markup is invalid. */
export function isEntityParseError(err: unknown): boolean {
  return isRec(err) && err.error_code === 400 && typeof err.description === 'string' && /can't parse entities/i.test(err.description);
}

export function isNotModified(err: unknown): boolean {
  return isRec(err) && err.error_code === 400 && typeof err.description === 'string' && /message is not modified/i.test(err.description);
}
