// Turns whatever went wrong talking to a model API (HTTP status, error body, network failure, abort) into a
// typed ModelError. Failover reads only `kind` and `retryAfterMs`, so every rule that decides between
// "try again later", "try another credential" and "give up" lives here, in one table-testable place.
import type { ModelError, ModelErrorKind } from '../types/provider.js';
import { headOf } from '../text-cut.js';

export interface ErrorInput {
  status?: number;
  message?: string;
  /** Error type from the body, e.g. Anthropic `overloaded_error`, OpenAI `insufficient_quota`. */
  type?: string;
  /** Error code from the body (`context_length_exceeded`) or from the network (`ECONNREFUSED`). */
  code?: string;
  headers?: Headers | Record<string, string>;
  aborted?: boolean;
  timedOut?: boolean;
}

const BILLING = [/credit balance/i, /insufficient[_ ]quota/i, /\bbilling/i, /quota exceeded/i, /exceeded your current quota/i, /payment required/i];

const CONTEXT_OVERFLOW = [
  /prompt is too long/i,
  /context[_ ]length[_ ]exceeded/i,
  /maximum context length/i,
  /too many tokens/i,
  /context window/i,
  /context (limit|size)/i, // Anthropic "input length and `max_tokens` exceed context limit", llama.cpp "context size"
  /exceeds the context/i,
  /input is too long/i,
  /request_too_large/i,
];

const NETWORK = [
  /ECONNREFUSED/,
  /ECONNRESET/,
  /ENOTFOUND/,
  /EAI_AGAIN/,
  /EPIPE/,
  /EHOSTUNREACH/,
  /ENETUNREACH/,
  /UND_ERR_SOCKET/,
  /fetch failed/i,
  /socket hang up/i,
  /connection error/i,
  /network/i,
  /terminated/i,
];

const TIMEOUT = [/ETIMEDOUT/, /UND_ERR_(HEADERS|BODY|CONNECT)_TIMEOUT/, /timed? ?out/i];

/** Anthropic body error types (also seen mid-stream, where there is no HTTP status). */
const TYPE_KIND: Record<string, ModelErrorKind> = {
  overloaded_error: 'overloaded',
  rate_limit_error: 'rate_limit',
  authentication_error: 'auth',
  permission_error: 'auth_permanent',
  billing_error: 'billing',
  insufficient_quota: 'billing',
  timeout_error: 'timeout',
  api_error: 'server_error',
  server_error: 'server_error',
  request_too_large: 'context_overflow',
  context_length_exceeded: 'context_overflow',
  invalid_request_error: 'bad_request',
  not_found_error: 'bad_request',
};

function matches(patterns: RegExp[], ...texts: (string | undefined)[]): boolean {
  return texts.some((t) => t !== undefined && patterns.some((p) => p.test(t)));
}

function kindOf(input: ErrorInput): ModelErrorKind {
  const { status, message, type, code } = input;
  if (input.aborted) return 'aborted';
  if (input.timedOut) return 'timeout';
  // Billing wording wins over the status: OpenAI reports an exhausted quota as a 429, which must not be retried
  // like a rate limit.
  if (matches(BILLING, message, type, code) || status === 402) return 'billing';
  if (status === 429) return 'rate_limit';
  if (status === 529 || status === 503 || type === 'overloaded_error') return 'overloaded';
  if (status === 401) return 'auth';
  if (status === 403) return 'auth_permanent';
  if (status === 408) return 'timeout';
  if (status !== undefined && status >= 400 && status < 500) {
    if (status === 413 || matches(CONTEXT_OVERFLOW, message, type, code)) return 'context_overflow';
    return 'bad_request';
  }
  if (status !== undefined && status >= 500) return 'server_error';
  // No usable status: a mid-stream error event or a network failure.
  const byType = (type && TYPE_KIND[type]) || (code && TYPE_KIND[code]);
  if (byType) {
    if (byType === 'bad_request' && matches(CONTEXT_OVERFLOW, message)) return 'context_overflow';
    return byType;
  }
  if (matches(CONTEXT_OVERFLOW, message, code)) return 'context_overflow';
  if (matches(TIMEOUT, message, code)) return 'timeout';
  if (matches(NETWORK, message, code)) return 'server_error';
  // Unknown and status-less: treat as transient, so failover may try again rather than give up for good.
  return 'server_error';
}

function headerValue(headers: ErrorInput['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const rec = headers as Record<string, string>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : rec[key];
}

/** retry-after-ms, else retry-after as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(headers: ErrorInput['headers'], now: number): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && ms.trim() !== '') {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return Math.round(n);
  }
  const ra = headerValue(headers, 'retry-after');
  if (ra === undefined || ra.trim() === '') return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return secs >= 0 ? Math.round(secs * 1000) : undefined;
  const at = Date.parse(ra);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** `now` is only used to turn an HTTP-date retry-after into a delay. */
export function classifyError(input: ErrorInput, now: number = Date.now()): ModelError {
  const kind = kindOf(input);
  const error: ModelError = { kind, message: describe(input, kind) };
  if (input.status !== undefined) error.status = input.status;
  const retryAfterMs = parseRetryAfter(input.headers, now);
  if (retryAfterMs !== undefined) error.retryAfterMs = retryAfterMs;
  return error;
}

function describe(input: ErrorInput, kind: ModelErrorKind): string {
  if (input.message) return input.message;
  if (kind === 'aborted') return 'request aborted';
  if (kind === 'timeout') return 'request timed out';
  if (input.status !== undefined) return `HTTP ${input.status}`;
  return input.code ?? input.type ?? 'unknown error';
}

// ---- decoding errors thrown by the SDKs (both are Stainless-generated, so they share a shape) ----

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Reads status, headers, the API's own message/type/code and the network cause chain (undici's
 * `fetch failed` → `cause.code = ECONNREFUSED`) from anything an SDK call threw.
 */
export function errorInputFromThrown(err: unknown): ErrorInput {
  const e = rec(err);
  if (!e) return { message: String(err) };
  const out: ErrorInput = {};
  if (typeof e.status === 'number') out.status = e.status;
  if (e.headers instanceof Headers) out.headers = e.headers;
  // Anthropic: err.error = { type: 'error', error: { type, message } }; OpenAI: err.error = { message, type, code }.
  const body = rec(e.error);
  const inner = rec(body?.error) ?? body;
  out.type = str(e.type) ?? str(inner?.type);
  const apiCode = str(e.code) ?? str(inner?.code) ?? str(e.errorCode);
  // `{"error": "..."}` with a bare string (llama.cpp, LM Studio, Ollama's native API): the SDK quotes it as JSON
  // in its own message, so the string itself is the better message.
  out.message = plainMessage(str(e.apiMessage) ?? str(inner?.message) ?? str(e.error) ?? str(e.message));
  // Walk the cause chain for a network code and a more telling message.
  const messages: string[] = [];
  let netCode: string | undefined;
  let cause: unknown = e.cause;
  for (let depth = 0; depth < 5 && rec(cause); depth++) {
    const c = rec(cause)!;
    if (!netCode && str(c.code)) netCode = str(c.code);
    if (str(c.message)) messages.push(str(c.message)!);
    cause = c.cause;
  }
  out.code = apiCode ?? netCode;
  if (messages.length > 0 && out.status === undefined) {
    out.message = [out.message, ...messages]
      .filter((m): m is string => Boolean(m))
      .map((m) => m.replace(/\.$/, ''))
      .join(': ');
  }
  const name = str(e.name) ?? '';
  if (name === 'APIUserAbortError' || name === 'AbortError') out.aborted = true;
  if (name === 'APIConnectionTimeoutError') out.timedOut = true;
  return out;
}

const HTML = /<\s*(!doctype|html|head|body|title|h1|center)\b/i;
const MAX_MESSAGE = 400;

/**
 * An error body that is not the API's JSON (an HTML page from a reverse proxy, a long plain-text dump) made
 * fit for a chat message and a log line: the page's title or its text without tags, and never very long.
 */
export function plainMessage(message: string | undefined): string | undefined {
  if (message === undefined || !HTML.test(message)) return message && clipMessage(message);
  // The SDKs prefix the status ("502 <html>…"); keep it once.
  const status = /^(\d{3})\s/.exec(message)?.[1];
  const page = status ? message.slice(status.length) : message;
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(page)?.[1];
  const text = (title ?? page.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<[^>]*>/g, ' '))
    .replace(/&nbsp;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const head = status && !text.startsWith(status) ? `${status} ${text}` : text;
  return clipMessage(`${head} (an HTML page instead of an API error: is a proxy in front of the model server?)`);
}

function clipMessage(m: string): string {
  return m.length > MAX_MESSAGE ? `${headOf(m, MAX_MESSAGE - 1)}…` : m;
}

/**
 * The ModelError for something a provider call threw. `reason` is what our own call control saw (caller abort or
 * idle timeout) and wins over the SDK's view, which reports both as a plain abort.
 */
export function modelErrorFromThrown(err: unknown, reason: 'aborted' | 'timeout' | undefined, now: number, providerId: string): ModelError {
  const input = errorInputFromThrown(err);
  if (reason === 'aborted') Object.assign(input, { aborted: true, timedOut: false });
  if (reason === 'timeout') Object.assign(input, { aborted: false, timedOut: true });
  const error = classifyError(input, now);
  return { ...error, message: `${providerId}: ${error.message}` };
}

/** The ModelError for a call our own call control ended (the SDK stream just stopped, without throwing). */
export function modelErrorForReason(reason: 'aborted' | 'timeout', idleMs: number, providerId: string): ModelError {
  return reason === 'aborted'
    ? { kind: 'aborted', message: `${providerId}: request aborted` }
    : { kind: 'timeout', message: `${providerId}: no data from the model API for ${idleMs} ms` };
}
