import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { classifyError, errorInputFromThrown, modelErrorFromThrown, parseRetryAfter, type ErrorInput } from '../../runtime/providers/errors.js';
import { decodeToolCall } from '../../runtime/providers/tool-args.js';
import type { ModelErrorKind } from '../../runtime/types/provider.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('classifyError', () => {
  const cases: [string, ErrorInput, ModelErrorKind][] = [
    ['429', { status: 429, message: 'Number of request tokens has exceeded your per-minute rate limit' }, 'rate_limit'],
    ['529', { status: 529, message: 'Overloaded' }, 'overloaded'],
    ['503', { status: 503 }, 'overloaded'],
    ['overloaded_error without status (mid-stream)', { type: 'overloaded_error', message: 'Overloaded' }, 'overloaded'],
    ['overloaded_error with a 500', { status: 500, type: 'overloaded_error' }, 'overloaded'],
    ['401', { status: 401, message: 'invalid x-api-key' }, 'auth'],
    ['403', { status: 403, message: 'not allowed' }, 'auth_permanent'],
    ['402', { status: 402 }, 'billing'],
    ['400 credit balance', { status: 400, message: 'Your credit balance is too low to access the Anthropic API.' }, 'billing'],
    ['429 insufficient_quota code', { status: 429, code: 'insufficient_quota', message: 'You exceeded your current quota' }, 'billing'],
    ['429 insufficient_quota type', { status: 429, type: 'insufficient_quota' }, 'billing'],
    ['quota exceeded wording', { status: 403, message: 'Quota exceeded for this project' }, 'billing'],
    ['billing wording', { status: 400, message: 'This organization has billing issues' }, 'billing'],
    ['prompt is too long', { status: 400, message: 'prompt is too long: 210000 tokens > 200000 maximum' }, 'context_overflow'],
    ['context_length_exceeded code', { status: 400, code: 'context_length_exceeded', message: 'too long' }, 'context_overflow'],
    [
      'maximum context length',
      { status: 400, message: "This model's maximum context length is 128000 tokens. However, you requested 130000 tokens." },
      'context_overflow',
    ],
    [
      'input + max_tokens over the limit',
      { status: 400, message: 'input length and `max_tokens` exceed context limit: 198000 + 8192 > 200000, decrease input length or `max_tokens` and try again' },
      'context_overflow',
    ],
    ['llama.cpp context size', { status: 400, message: 'the request exceeds the available context size, try increasing it' }, 'context_overflow'],
    ['max_tokens too large is not overflow', { status: 400, message: 'max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens' }, 'bad_request'],
    ['too many tokens', { status: 400, message: 'Too many tokens in request' }, 'context_overflow'],
    ['413', { status: 413 }, 'context_overflow'],
    ['other 400', { status: 400, message: 'messages: field required' }, 'bad_request'],
    ['404', { status: 404, message: 'model: not found' }, 'bad_request'],
    ['422', { status: 422 }, 'bad_request'],
    ['408', { status: 408 }, 'timeout'],
    ['500', { status: 500, message: 'Internal server error' }, 'server_error'],
    ['502', { status: 502 }, 'server_error'],
    ['504', { status: 504 }, 'server_error'],
    ['ECONNREFUSED code', { code: 'ECONNREFUSED', message: 'Connection error.' }, 'server_error'],
    ['ECONNRESET message', { message: 'read ECONNRESET' }, 'server_error'],
    ['fetch failed', { message: 'fetch failed' }, 'server_error'],
    ['ETIMEDOUT', { code: 'ETIMEDOUT' }, 'timeout'],
    ['timedOut flag', { timedOut: true, message: 'Request timed out.' }, 'timeout'],
    ['aborted flag wins', { aborted: true, status: 500 }, 'aborted'],
    ['api_error type mid-stream', { type: 'api_error', message: 'Internal server error' }, 'server_error'],
    ['rate_limit_error type mid-stream', { type: 'rate_limit_error' }, 'rate_limit'],
    ['unknown without status', { message: 'something odd' }, 'server_error'],
  ];
  it.each(cases)('%s', (_name, input, kind) => {
    expect(classifyError(input, NOW).kind).toBe(kind);
  });

  it('keeps the status and the message', () => {
    expect(classifyError({ status: 401, message: 'invalid x-api-key' }, NOW)).toEqual({
      kind: 'auth',
      status: 401,
      message: 'invalid x-api-key',
    });
  });

  it('reads retry-after into retryAfterMs', () => {
    expect(classifyError({ status: 429, headers: { 'Retry-After': '20' } }, NOW).retryAfterMs).toBe(20_000);
  });
});

describe('parseRetryAfter', () => {
  const cases: [string, Headers | Record<string, string> | undefined, number | undefined][] = [
    ['seconds', { 'retry-after': '7' }, 7000],
    ['fractional seconds', { 'retry-after': '1.5' }, 1500],
    ['HTTP date', { 'retry-after': new Date(NOW + 30_000).toUTCString() }, 30_000],
    ['HTTP date in the past', { 'retry-after': new Date(NOW - 30_000).toUTCString() }, 0],
    ['retry-after-ms wins', { 'retry-after-ms': '250', 'retry-after': '9' }, 250],
    ['Headers object', new Headers({ 'retry-after': '3' }), 3000],
    ['case-insensitive record', { 'Retry-After-Ms': '40' }, 40],
    ['garbage', { 'retry-after': 'soon' }, undefined],
    ['negative', { 'retry-after': '-5' }, undefined],
    ['absent', {}, undefined],
    ['no headers', undefined, undefined],
  ];
  it.each(cases)('%s', (_name, headers, expected) => {
    expect(parseRetryAfter(headers, NOW)).toBe(expected);
  });
});

describe('errors thrown by the real SDKs', () => {
  it('Anthropic RateLimitError: status, API message and retry-after', () => {
    const err = new Anthropic.RateLimitError(
      429,
      { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } },
      undefined,
      new Headers({ 'retry-after': '12' }),
    );
    expect(classifyError(errorInputFromThrown(err), NOW)).toEqual({ kind: 'rate_limit', status: 429, message: 'slow down', retryAfterMs: 12_000 });
  });

  it('Anthropic mid-stream error event (no status): type decides', () => {
    const err = new Anthropic.APIError(undefined, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, undefined, new Headers());
    expect(classifyError(errorInputFromThrown(err), NOW)).toMatchObject({ kind: 'overloaded', message: 'Overloaded' });
  });

  it('OpenAI insufficient_quota 429 is billing, not a rate limit', () => {
    const err = OpenAI.APIError.generate(
      429,
      { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', code: 'insufficient_quota' } },
      undefined,
      new Headers(),
    );
    expect(classifyError(errorInputFromThrown(err), NOW).kind).toBe('billing');
  });

  it('connection error: the network code is found in the cause chain', () => {
    const netErr = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = new OpenAI.APIConnectionError({ cause: new TypeError('fetch failed', { cause: netErr }) });
    const input = errorInputFromThrown(err);
    expect(input.code).toBe('ECONNREFUSED');
    expect(classifyError(input, NOW).kind).toBe('server_error');
  });

  it('SDK timeout and user abort', () => {
    expect(classifyError(errorInputFromThrown(new Anthropic.APIConnectionTimeoutError()), NOW).kind).toBe('timeout');
    expect(classifyError(errorInputFromThrown(new Anthropic.APIUserAbortError()), NOW).kind).toBe('aborted');
  });

  it('our own call control overrides the SDK view and the message names the provider', () => {
    const e = modelErrorFromThrown(new Anthropic.APIUserAbortError(), 'timeout', NOW, 'anthropic');
    expect(e.kind).toBe('timeout');
    expect(e.message).toMatch(/^anthropic: /);
  });

  it('non-Error throwables', () => {
    expect(classifyError(errorInputFromThrown('boom'), NOW)).toMatchObject({ kind: 'server_error', message: 'boom' });
  });
});

describe('decodeToolCall', () => {
  it('parses a JSON object', () => {
    expect(decodeToolCall('c1', 'read', '{"path":"a.txt"}')).toEqual({ id: 'c1', name: 'read', args: { path: 'a.txt' } });
  });
  it('empty arguments are an empty object', () => {
    expect(decodeToolCall('c1', 'now', '')).toEqual({ id: 'c1', name: 'now', args: {} });
  });
  it('broken JSON is reported, not dropped', () => {
    const c = decodeToolCall('c1', 'read', '{"path":"a.t');
    expect(c.args).toEqual({});
    expect(c.argsError).toMatch(/not valid JSON/);
  });
  it('a non-object is reported', () => {
    expect(decodeToolCall('c1', 'read', '[1,2]').argsError).toMatch(/must be a JSON object/);
  });
});
