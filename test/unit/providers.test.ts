// The real SDK-based providers against fake model APIs on 127.0.0.1.
import net from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { createAnthropicProvider } from '../../runtime/providers/anthropic.js';
import { createOpenAIProvider } from '../../runtime/providers/openai.js';
import type { Credential, ModelMessage, ModelRequest, ProviderEvent, ToolCall, ToolSpec } from '../../runtime/types/provider.js';
import { startFakeAnthropic } from '../fakes/fake-anthropic.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { startFakeOpenAI } from '../fakes/fake-openai.js';
import { useProviderOnFake } from '../fakes/provider-fixture.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const key = (secret: string): Credential => ({ profileId: 'test:key', mode: 'api_key', secret });
const token = (secret: string): Credential => ({ profileId: 'test:token', mode: 'token', secret });

const weatherTool: ToolSpec = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

function request(over: Partial<ModelRequest> = {}): ModelRequest {
  return { model: 'test-model', system: 'You are terse.', messages: [{ role: 'user', text: 'hi' }], tools: [], ...over };
}

function last(events: ProviderEvent[]): ProviderEvent {
  return events[events.length - 1]!;
}

/** A port nothing listens on: bind one, then let it go. */
async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('Anthropic provider (real @anthropic-ai/sdk → fake API)', () => {
  const api = useProviderOnFake(startFakeAnthropic, (baseUrl) => createAnthropicProvider({ id: 'anthropic', baseUrl }));

  it('streams text deltas, then done with text, usage and stop reason', async () => {
    api.fake.script('sk-a', { text: 'Hello there, friend.', usage: { input: 42, output: 7 } });
    const events = await collect(api.provider.stream(request({ credential: key('sk-a') })));
    expect(events.filter((e) => e.type === 'text').map((e) => (e as { delta: string }).delta)).toEqual(['Hello ', 'there, ', 'friend.']);
    expect(last(events)).toEqual({
      type: 'done',
      text: 'Hello there, friend.',
      toolCalls: [],
      usage: { inputTokens: 42, outputTokens: 7 },
      stopReason: 'end',
    });
    const body = api.fake.requests[0]!.body;
    expect(body).toMatchObject({ model: 'test-model', system: 'You are terse.', stream: true, max_tokens: 4096 });
    expect(body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  });

  it('sends an API key as x-api-key and a token as Authorization: Bearer, never both', async () => {
    await collect(api.provider.stream(request({ credential: key('sk-key') })));
    await collect(api.provider.stream(request({ credential: token('oauth-token') })));
    const [a, b] = api.fake.requests;
    expect(a).toMatchObject({ auth: 'x-api-key', key: 'sk-key' });
    expect(a!.headers.authorization).toBeUndefined();
    expect(b).toMatchObject({ auth: 'bearer', key: 'oauth-token' });
    expect(b!.headers['x-api-key']).toBeUndefined();
  });

  it('ignores ANTHROPIC_* variables: only the given credential is sent', async () => {
    vi.stubEnv('ANTHROPIC_API_KEY', 'sk-from-env');
    vi.stubEnv('ANTHROPIC_AUTH_TOKEN', 'token-from-env');
    try {
      const p = createAnthropicProvider({ id: 'anthropic', baseUrl: api.fake.url });
      await collect(p.stream(request({ credential: token('mine') })));
    } finally {
      vi.unstubAllEnvs();
    }
    expect(api.fake.requests[0]).toMatchObject({ auth: 'bearer', key: 'mine' });
    expect(api.fake.requests[0]!.headers['x-api-key']).toBeUndefined();
  });

  it('uses defaultMaxTokens and the request maxTokens', async () => {
    const p = createAnthropicProvider({ id: 'anthropic', baseUrl: api.fake.url, defaultMaxTokens: 1000 });
    await collect(p.stream(request({ credential: key('k') })));
    await collect(p.stream(request({ credential: key('k'), maxTokens: 55 })));
    expect(api.fake.requests.map((r) => r.body.max_tokens)).toEqual([1000, 55]);
  });

  it('tool call round trip: tool_use → ToolCall, then the tool result in the shape the API accepts', async () => {
    api.fake.script('sk-a', { text: 'Let me check.', toolCalls: [{ id: 'toolu_1', name: 'get_weather', args: { city: 'Oslo' } }] });
    api.fake.script('sk-a', { text: 'It is -3°C in Oslo.' });
    const first = await collect(api.provider.stream(request({ credential: key('sk-a'), tools: [weatherTool], messages: [{ role: 'user', text: 'Weather in Oslo?' }] })));
    const done = last(first);
    expect(done).toMatchObject({
      type: 'done',
      text: 'Let me check.',
      toolCalls: [{ id: 'toolu_1', name: 'get_weather', args: { city: 'Oslo' } }],
      stopReason: 'tool_use',
    });
    expect(api.fake.requests[0]!.body.tools).toEqual([{ name: 'get_weather', description: 'Current weather for a city', input_schema: weatherTool.parameters }]);

    const history: ModelMessage[] = [
      { role: 'user', text: 'Weather in Oslo?' },
      { role: 'assistant', text: 'Let me check.', toolCalls: [{ id: 'toolu_1', name: 'get_weather', args: { city: 'Oslo' } }] },
      { role: 'tool', results: [{ callId: 'toolu_1', name: 'get_weather', content: '-3°C' }] },
    ];
    const second = await collect(api.provider.stream(request({ credential: key('sk-a'), tools: [weatherTool], messages: history })));
    expect(last(second)).toMatchObject({ type: 'done', text: 'It is -3°C in Oslo.', stopReason: 'end' });
    expect(api.fake.requests[1]!.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '-3°C' }] },
    ]);
  });

  it('a tool-only assistant turn, an error result and a following user message', async () => {
    const history: ModelMessage[] = [
      { role: 'user', text: 'read it' },
      {
        role: 'assistant',
        text: '',
        toolCalls: [
          { id: 't1', name: 'read', args: {} },
          { id: 't2', name: 'read', args: { p: 1 } },
        ],
      },
      {
        role: 'tool',
        results: [
          { callId: 't1', name: 'read', content: 'ok' },
          { callId: 't2', name: 'read', content: 'ENOENT', isError: true },
        ],
      },
      { role: 'user', text: 'and now?' },
    ];
    const events = await collect(api.provider.stream(request({ credential: key('k'), messages: history })));
    expect(last(events).type).toBe('done');
    expect(api.fake.requests[0]!.body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'read it' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 't1', name: 'read', input: {} },
          { type: 'tool_use', id: 't2', name: 'read', input: { p: 1 } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: 'ok' },
          { type: 'tool_result', tool_use_id: 't2', content: 'ENOENT', is_error: true },
          { type: 'text', text: 'and now?' },
        ],
      },
    ]);
  });

  it('broken tool-call JSON is reported on the call', async () => {
    api.fake.script('k', { toolCalls: [{ id: 'x', name: 'get_weather', args: '{"city": "Os' }], stopReason: 'max_tokens' });
    const done = last(await collect(api.provider.stream(request({ credential: key('k') }))));
    expect(done).toMatchObject({ type: 'done', stopReason: 'max_tokens', toolCalls: [{ id: 'x', args: {} }] });
    expect((done as { toolCalls: { argsError?: string }[] }).toolCalls[0]!.argsError).toMatch(/not valid JSON/);
  });

  const failures: [string, object, object][] = [
    ['429 with retry-after', { status: 429, headers: { 'retry-after': '7' } }, { kind: 'rate_limit', status: 429, retryAfterMs: 7000 }],
    ['529 overloaded', { status: 529 }, { kind: 'overloaded', status: 529 }],
    ['401', { status: 401 }, { kind: 'auth', status: 401 }],
    ['403', { status: 403 }, { kind: 'auth_permanent', status: 403 }],
    ['402', { status: 402 }, { kind: 'billing', status: 402 }],
    [
      '400 credit balance',
      { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'Your credit balance is too low to access the Anthropic API.' } } },
      { kind: 'billing', status: 400 },
    ],
    [
      '400 prompt too long',
      { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' } } },
      { kind: 'context_overflow', status: 400 },
    ],
    ['500', { status: 500 }, { kind: 'server_error', status: 500 }],
  ];
  it.each(failures)('%s → typed error, never a throw', async (_name, failure, expected) => {
    api.fake.script('k', failure as { status: number });
    const events = await collect(api.provider.stream(request({ credential: key('k') })));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', error: expected });
    expect((events[0] as { error: { message: string } }).error.message).toMatch(/^anthropic: /);
  });

  it('an error event mid-stream (overloaded) → overloaded', async () => {
    api.fake.script('k', { text: 'Partial answer here', streamError: { type: 'overloaded_error', message: 'Overloaded' } });
    const events = await collect(api.provider.stream(request({ credential: key('k') })));
    expect(events[0]).toEqual({ type: 'text', delta: 'Partial ' });
    expect(last(events)).toMatchObject({ type: 'error', error: { kind: 'overloaded', message: 'anthropic: Overloaded' } });
  });

  it('a connection dropped mid-stream → server_error', async () => {
    api.fake.script('k', { text: 'Partial answer here', drop: true });
    const events = await collect(api.provider.stream(request({ credential: key('k') })));
    expect(events.map((e) => e.type)).toEqual(['text', 'error']);
    expect(last(events)).toMatchObject({ type: 'error', error: { kind: 'server_error' } });
  });

  it('abort mid-stream → aborted, and the HTTP request is cancelled', async () => {
    api.fake.script('k', { text: 'one two three', hang: true });
    const ac = new AbortController();
    const events: ProviderEvent[] = [];
    for await (const e of api.provider.stream(request({ credential: key('k'), signal: ac.signal }))) {
      events.push(e);
      if (e.type === 'text') ac.abort();
    }
    expect(events.map((e) => e.type)).toEqual(['text', 'error']);
    expect(last(events)).toMatchObject({ type: 'error', error: { kind: 'aborted' } });
    await vi.waitFor(() => expect(api.fake.requests[0]!.closedEarly).toBe(true));
  });

  it('a consumer that stops reading cancels the HTTP request', async () => {
    api.fake.script('k', { text: 'one two three', hang: true });
    for await (const e of api.provider.stream(request({ credential: key('k') }))) {
      if (e.type === 'text') break;
    }
    await vi.waitFor(() => expect(api.fake.requests[0]!.closedEarly).toBe(true));
  });

  it('abort before the call → aborted without a request', async () => {
    const ac = new AbortController();
    ac.abort();
    const events = await collect(api.provider.stream(request({ credential: key('k'), signal: ac.signal })));
    expect(events).toMatchObject([{ type: 'error', error: { kind: 'aborted' } }]);
  });

  it('no stream event for timeoutMs (on the injected clock) → timeout', async () => {
    const clock = new FakeClock();
    const p = createAnthropicProvider({ id: 'anthropic', baseUrl: api.fake.url, clock, timeoutMs: 5000 });
    api.fake.script('k', { text: 'one two', hang: true });
    const it = p.stream(request({ credential: key('k') }))[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual({ type: 'text', delta: 'one ' });
    const next = it.next();
    await clock.advance(5000);
    expect((await next).value).toMatchObject({ type: 'error', error: { kind: 'timeout' } });
    expect((await it.next()).done).toBe(true);
  });

  it('connection refused → server_error', async () => {
    const p = createAnthropicProvider({ id: 'anthropic', baseUrl: `http://127.0.0.1:${await deadPort()}` });
    const events = await collect(p.stream(request({ credential: key('k') })));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', error: { kind: 'server_error' } });
    expect((events[0] as { error: { message: string } }).error.message).toMatch(/ECONNREFUSED|Connection error/);
  });

  it('no credential → auth error without a request', async () => {
    const events = await collect(api.provider.stream(request()));
    expect(events).toMatchObject([{ type: 'error', error: { kind: 'auth' } }]);
    expect(api.fake.requests).toHaveLength(0);
  });
});

describe('OpenAI provider (real openai SDK → fake Chat Completions API)', () => {
  const api = useProviderOnFake(startFakeOpenAI, (baseUrl) => createOpenAIProvider({ id: 'local', baseUrl }));

  it('streams text deltas, then done with usage; system first; usage requested', async () => {
    api.fake.script('sk-o', { text: 'Hi there you', usage: { input: 30, output: 4 } });
    const events = await collect(api.provider.stream(request({ credential: key('sk-o') })));
    expect(events.filter((e) => e.type === 'text').map((e) => (e as { delta: string }).delta)).toEqual(['Hi ', 'there ', 'you']);
    expect(last(events)).toEqual({ type: 'done', text: 'Hi there you', toolCalls: [], usage: { inputTokens: 30, outputTokens: 4 }, stopReason: 'end' });
    const req = api.fake.requests[0]!;
    expect(req).toMatchObject({ auth: 'bearer', key: 'sk-o' });
    expect(req.body).toMatchObject({ model: 'test-model', stream: true, stream_options: { include_usage: true } });
    expect(req.body.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(req.body.max_tokens).toBeUndefined();
  });

  it('keyless: no credential sends the placeholder key a local server ignores', async () => {
    expect(api.provider.keyOptional).toBe(true);
    const events = await collect(api.provider.stream(request()));
    expect(last(events).type).toBe('done');
    expect(api.fake.requests[0]).toMatchObject({ auth: 'bearer', key: 'no-key' });
  });

  it('token limit: max_tokens for compatible servers, max_completion_tokens for api.openai.com', async () => {
    await collect(api.provider.stream(request({ maxTokens: 77 })));
    expect(api.fake.requests[0]!.body.max_tokens).toBe(77);
    const official = createOpenAIProvider({ id: 'openai', baseUrl: api.fake.url, maxTokensField: 'max_completion_tokens' });
    await collect(official.stream(request({ maxTokens: 88, credential: key('k') })));
    expect(api.fake.requests[1]!.body).toMatchObject({ max_completion_tokens: 88 });
    expect(api.fake.requests[1]!.body.max_tokens).toBeUndefined();
    expect(createOpenAIProvider({ id: 'openai' }).keyOptional).toBe(false);
  });

  it('tool call round trip: tool_calls deltas by index → ToolCalls; results as tool messages', async () => {
    api.fake.script('k', {
      toolCalls: [
        { id: 'call_a', name: 'get_weather', args: { city: 'Oslo' } },
        { id: 'call_b', name: 'get_weather', args: { city: 'Bergen' } },
      ],
    });
    api.fake.script('k', { text: 'Cold in both.' });
    const first = await collect(api.provider.stream(request({ credential: key('k'), tools: [weatherTool] })));
    expect(last(first)).toMatchObject({
      type: 'done',
      text: '',
      stopReason: 'tool_use',
      toolCalls: [
        { id: 'call_a', name: 'get_weather', args: { city: 'Oslo' } },
        { id: 'call_b', name: 'get_weather', args: { city: 'Bergen' } },
      ],
    });
    expect(api.fake.requests[0]!.body.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: weatherTool.parameters } },
    ]);

    const calls = (last(first) as { toolCalls: ToolCall[] }).toolCalls;
    const history: ModelMessage[] = [
      { role: 'user', text: 'hi' },
      { role: 'assistant', text: '', toolCalls: calls },
      {
        role: 'tool',
        results: [
          { callId: 'call_a', name: 'get_weather', content: '-3°C' },
          { callId: 'call_b', name: 'get_weather', content: 'station offline', isError: true },
        ],
      },
    ];
    const second = await collect(api.provider.stream(request({ credential: key('k'), tools: [weatherTool], messages: history })));
    expect(last(second)).toMatchObject({ type: 'done', text: 'Cold in both.' });
    expect(api.fake.requests[1]!.body.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'hi' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
          { id: 'call_b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bergen"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_a', content: '-3°C' },
      { role: 'tool', tool_call_id: 'call_b', content: 'Error: station offline' },
    ]);
  });

  it('the fake refuses a tool result whose call is missing (as the real API does)', async () => {
    const events = await collect(api.provider.stream(request({ messages: [{ role: 'tool', results: [{ callId: 'nope', name: 'x', content: '' }] }] })));
    expect(last(events)).toMatchObject({ type: 'error', error: { kind: 'bad_request', status: 400 } });
  });

  const failures: [string, object, object][] = [
    ['429 with retry-after-ms', { status: 429, headers: { 'retry-after-ms': '1500' } }, { kind: 'rate_limit', retryAfterMs: 1500 }],
    [
      '429 insufficient_quota',
      {
        status: 429,
        body: {
          error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', code: 'insufficient_quota' },
        },
      },
      { kind: 'billing', status: 429 },
    ],
    ['401', { status: 401 }, { kind: 'auth', status: 401 }],
    ['503', { status: 503 }, { kind: 'overloaded', status: 503 }],
    [
      '400 context_length_exceeded',
      {
        status: 400,
        body: { error: { message: "This model's maximum context length is 8192 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded' } },
      },
      { kind: 'context_overflow', status: 400 },
    ],
  ];
  it.each(failures)('%s → typed error', async (_name, failure, expected) => {
    api.fake.script('k', failure as { status: number });
    const events = await collect(api.provider.stream(request({ credential: key('k') })));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', error: expected });
  });

  it('an error chunk mid-stream → typed error', async () => {
    api.fake.script('k', { text: 'Partial answer', streamError: { type: 'server_error', message: 'upstream failed' } });
    const events = await collect(api.provider.stream(request({ credential: key('k') })));
    expect(last(events)).toMatchObject({ type: 'error', error: { kind: 'server_error', message: 'local: upstream failed' } });
  });

  it('a connection dropped mid-stream → server_error', async () => {
    api.fake.script('k', { text: 'Partial answer here', drop: true });
    const events = await collect(api.provider.stream(request({ credential: key('k') })));
    expect(events.map((e) => e.type)).toEqual(['text', 'error']);
    expect(last(events)).toMatchObject({ type: 'error', error: { kind: 'server_error' } });
  });

  it('abort mid-stream → aborted', async () => {
    api.fake.script('k', { text: 'one two three', hang: true });
    const ac = new AbortController();
    const events: ProviderEvent[] = [];
    for await (const e of api.provider.stream(request({ credential: key('k'), signal: ac.signal }))) {
      events.push(e);
      if (e.type === 'text') ac.abort();
    }
    expect(events.map((e) => e.type)).toEqual(['text', 'error']);
    expect(last(events)).toMatchObject({ error: { kind: 'aborted' } });
    await vi.waitFor(() => expect(api.fake.requests[0]!.closedEarly).toBe(true));
  });

  it('connection refused → server_error', async () => {
    const p = createOpenAIProvider({ id: 'local', baseUrl: `http://127.0.0.1:${await deadPort()}/v1` });
    const events = await collect(p.stream(request()));
    expect(events).toMatchObject([{ type: 'error', error: { kind: 'server_error' } }]);
  });
});
