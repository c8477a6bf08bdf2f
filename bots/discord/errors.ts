// What a failed Discord REST call means for us. @discordjs/rest throws RateLimitError (a 429, or a bucket known to
// be empty: we ask it to reject instead of sleeping so the wait runs on our clock, bounded), DiscordAPIError (a
// 4xx with Discord's JSON error), HTTPError (5xx) or the HTTP client's own error (connection failed, timeout).
// All are recognised by shape, so this file needs no runtime import of discord.js.

export type DiscordFailure =
  /** 429 or an exhausted bucket: wait `retryAfterMs` and try again. */
  | { kind: 'rate-limit'; retryAfterMs: number; global: boolean; detail: string }
  /** 5xx: Discord did not process the request; retrying is safe. */
  | { kind: 'server'; status: number; detail: string }
  /** 401: the token is wrong or was reset. */
  | { kind: 'unauthorized'; detail: string }
  /** 403 / 404 / 400 …: the request itself cannot succeed (missing permission, unknown channel, bad body). */
  | { kind: 'rejected'; status: number; code?: number; detail: string }
  /** The request never reached Discord (connection refused, DNS): retrying is safe. */
  | { kind: 'network-unsent'; detail: string }
  /** The connection failed after the request may have been sent: only idempotent calls may be retried. */
  | { kind: 'network-unknown'; detail: string };

/** The longest wait a rate limit can ask of us: one day. Beyond 2^31-1 ms Node's timers fire at once. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;
/** The shortest: Discord's waits are fractions of a second, but 0 (or junk) must not become a busy loop. */
export const MIN_RETRY_AFTER_MS = 100;

const UNSENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

const isRec = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** What to tell a person about common Discord error codes. */
const HINTS: Record<number, string> = {
  50001: 'the bot cannot see that channel (Missing Access): add it to the channel or give its role View Channel',
  50013: 'the bot lacks a permission there (Missing Permissions): give its role Send Messages (and Send Messages in Threads)',
  10003: 'the channel does not exist (Unknown Channel) or the bot is not in that server',
  50007: 'Discord refused to open a DM with that user (they do not share a server with the bot or block DMs)',
  50035: 'Discord refused the message body (Invalid Form Body)',
};

export function classifyDiscordError(err: unknown): DiscordFailure {
  if (isRec(err) && typeof err.name === 'string' && err.name.startsWith('RateLimitError')) {
    const after = Math.max(finite(err.retryAfter) ?? 0, finite(err.timeToReset) ?? 0);
    const retryAfterMs = Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, after));
    const global = err.global === true;
    return { kind: 'rate-limit', retryAfterMs, global, detail: `429 rate limited${global ? ' (global)' : ''} on ${String(err.route ?? '?')}` };
  }
  const status = isRec(err) ? finite(err.status) : undefined;
  if (status !== undefined) {
    const message = err instanceof Error ? err.message.split('\n')[0] : 'no message';
    const code = isRec(err) ? finite(err.code) : undefined;
    const hint = code !== undefined ? HINTS[code] : undefined;
    const detail = `${status}${code !== undefined ? ` (code ${code})` : ''}: ${hint ?? message}`;
    if (status === 401) return { kind: 'unauthorized', detail };
    if (status === 429) return { kind: 'rate-limit', retryAfterMs: 1000, global: false, detail };
    if (status >= 500) return { kind: 'server', status, detail };
    return { kind: 'rejected', status, ...(code !== undefined ? { code } : {}), detail };
  }
  const code = networkCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const detail = code ? `${code}: ${message}` : message;
  if (code && UNSENT_CODES.has(code)) return { kind: 'network-unsent', detail };
  return { kind: 'network-unknown', detail };
}

/** The system error code of a failed HTTP exchange: on the error itself or on its `cause` (fetch/undici). */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; isRec(e) && depth < 4; e = e.cause, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}
