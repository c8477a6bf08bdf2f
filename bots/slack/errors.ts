// What a failed Web API call means for us. @slack/web-api throws errors with a `code`: a platform error (Slack
// answered ok:false with an `error` name), an HTTP error (a status other than 200/429), a rate-limited error (429
// with Retry-After, thrown because the client is built with rejectRateLimitedCalls so the wait is ours), or a
// request error (the HTTP exchange itself failed). They are recognised by shape, so this file needs no runtime
// import of the SDK.

export type SlackFailure =
  /** 429 or `ratelimited`: wait `retryAfterMs`, then try again. */
  | { kind: 'rate-limit'; retryAfterMs: number; detail: string }
  /** The token is wrong, revoked, or its workspace/app is gone: the account cannot work. */
  | { kind: 'unauthorized'; error: string; detail: string }
  /** 5xx or Slack's own `internal_error`/`fatal_error`/`service_unavailable`: retrying is safe. */
  | { kind: 'server'; detail: string }
  /** Slack refused the request itself (channel_not_found, not_in_channel, …): retrying cannot help. */
  | { kind: 'rejected'; error: string; detail: string }
  /** The request never reached Slack (connection refused, DNS): retrying is safe. */
  | { kind: 'network-unsent'; detail: string }
  /** The connection failed after the request may have been sent: only idempotent calls may be retried. */
  | { kind: 'network-unknown'; detail: string };

/** Slack's answers that mean the token (or what it belongs to) no longer works. */
export const AUTH_ERRORS = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'team_disabled',
  'user_removed_from_team',
  'not_allowed_token_type',
]);

const SERVER_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** The longest wait a 429 can ask of us: one day (a larger timer overflows Node's into a 1 ms wait). */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL']);

const isRec = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** What Slack calls the failure (`invalid_auth`, `channel_not_found`, …) when it answered ok:false. */
export function slackErrorName(err: unknown): string | undefined {
  if (!isRec(err) || err.code !== 'slack_webapi_platform_error' || !isRec(err.data)) return undefined;
  return typeof err.data.error === 'string' ? err.data.error : undefined;
}

export function classifySlackError(err: unknown): SlackFailure {
  const code = isRec(err) && typeof err.code === 'string' ? err.code : undefined;
  if (code === 'slack_webapi_rate_limited_error') {
    const after = isRec(err) && typeof err.retryAfter === 'number' ? err.retryAfter : 1;
    return { kind: 'rate-limit', retryAfterMs: retryAfterMs(after), detail: `rate limited (Retry-After ${after}s)` };
  }
  const name = slackErrorName(err);
  if (name !== undefined) {
    if (name === 'ratelimited') return { kind: 'rate-limit', retryAfterMs: retryAfterMs(1), detail: name };
    if (AUTH_ERRORS.has(name)) return { kind: 'unauthorized', error: name, detail: name };
    if (SERVER_ERRORS.has(name)) return { kind: 'server', detail: name };
    return { kind: 'rejected', error: name, detail: name };
  }
  if (code === 'slack_webapi_http_error') {
    const status = isRec(err) && typeof err.statusCode === 'number' ? err.statusCode : 0;
    const detail = `HTTP ${status}`;
    return status >= 500 ? { kind: 'server', detail } : { kind: 'rejected', error: `http_${status}`, detail };
  }
  const inner = code === 'slack_webapi_request_error' && isRec(err) ? err.original : err;
  const cause = isRec(inner) && isRec(inner.cause) ? inner.cause : undefined;
  const sysCode = [cause?.code, isRec(inner) ? inner.code : undefined].find((c): c is string => typeof c === 'string');
  const message = inner instanceof Error ? inner.message : String(inner);
  const detail = sysCode ? `${sysCode}: ${message}` : message;
  if (sysCode && UNSENT_CODES.has(sysCode)) return { kind: 'network-unsent', detail };
  return { kind: 'network-unknown', detail };
}

/** Bounded both ways: 0 would retry at once (a busy loop), a huge value would overflow the timer. */
function retryAfterMs(seconds: number): number {
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(1000, seconds * 1000));
}

/** What a person can do about a refused call, named after Slack's error. */
export function hintFor(error: string): string {
  switch (error) {
    case 'not_in_channel':
      return ': invite the bot to the channel first (/invite @yourbot in that channel)';
    case 'channel_not_found':
      return ': the channel does not exist or the bot cannot see it (invite it, or check the id)';
    case 'missing_scope':
      return ': the app lacks a scope; reinstall it from the manifest in the README';
    case 'is_archived':
      return ': the channel is archived';
    case 'msg_too_long':
      return ': the message is longer than Slack accepts';
    default:
      return '';
  }
}
