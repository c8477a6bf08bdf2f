// What OpenAI-compatible servers (Ollama, llama.cpp, LM Studio, vLLM, proxies) and Anthropic-compatible ones
// send that OpenAI / Anthropic themselves do not: streams without usage, tool calls without index or id, whole
// or split arguments, errors inside the stream, HTML error pages, bare string errors, missing usage fields.
// The real SDKs talk to the fakes on 127.0.0.1; each quirk is written as the exact bytes such a server sends.
import { describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../../runtime/providers/anthropic.js';
import { createOpenAIProvider } from '../../runtime/providers/openai.js';
import { failureEffect } from '../../runtime/failover/classes.js';
import type { ModelMessage, ModelRequest, ProviderEvent, ToolCall, ToolSpec } from '../../runtime/types/provider.js';
import { startFakeAnthropic } from '../fakes/fake-anthropic.js';
import { startFakeOpenAI, type FakeModelServer, type FakeRaw } from '../fakes/fake-openai.js';
import { useGateway } from '../fakes/gateway-fixture.js';
import { useProviderOnFake } from '../fakes/provider-fixture.js';

async function collect(it: AsyncIterable<ProviderEvent>): Promise<ProviderEvent[]> {
  const out: ProviderEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const last = (events: ProviderEvent[]) => events[events.length - 1]!;
const texts = (events: ProviderEvent[]) => events.flatMap((e) => (e.type === 'text' ? [e.delta] : []));

const weatherTool: ToolSpec = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

function request(over: Partial<ModelRequest> = {}): ModelRequest {
  return { model: 'llama3.2', system: 'Be brief.', messages: [{ role: 'user', text: 'hi' }], tools: [weatherTool], ...over };
}

// ---- OpenAI-compatible SSE, byte for byte ----

const data = (payload: unknown) => `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  data({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model: 'llama3.2', choices: [{ index: 0, delta, finish_reason: finish }] });
const sseOf = (...pieces: string[]): FakeRaw => ({ raw: pieces });

describe('OpenAI-compatible servers (real openai SDK → quirky fake)', () => {
  const api = useProviderOnFake(startFakeOpenAI, (baseUrl) => createOpenAIProvider({ id: 'ollama', baseUrl }));
  const run = async (...responses: Parameters<FakeModelServer['script']>[1][]) => {
    api.fake.script('no-key', ...responses);
    return collect(api.provider.stream(request()));
  };

  it('no usage chunk (the server ignores stream_options): the reply still completes, usage 0', async () => {
    const events = await run(sseOf(chunk({ role: 'assistant', content: 'Hel' }), chunk({ content: 'lo' }), chunk({}, 'stop'), data('[DONE]')));
    expect(texts(events)).toEqual(['Hel', 'lo']);
    expect(last(events)).toEqual({ type: 'done', text: 'Hello', toolCalls: [], usage: { inputTokens: 0, outputTokens: 0 }, stopReason: 'end' });
  });

  it('usage on the finish chunk itself (llama.cpp, vLLM) is read', async () => {
    const withUsage = data({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'm',
      choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    });
    const events = await run(sseOf(chunk({ content: 'ok' }), withUsage, data('[DONE]')));
    expect(last(events)).toMatchObject({ type: 'done', usage: { inputTokens: 12, outputTokens: 3 } });
  });

  it('SSE comments and keep-alive lines between chunks are ignored', async () => {
    const events = await run(sseOf(': keep-alive\n\n', chunk({ content: 'a' }), ': PROCESSING\n\n', chunk({ content: 'b' }, 'stop'), data('[DONE]')));
    expect(last(events)).toMatchObject({ type: 'done', text: 'ab', stopReason: 'end' });
  });

  it("finish_reason 'stop' with tool calls (Ollama) is still a tool-use turn", async () => {
    const call = { index: 0, id: 'call_x1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } };
    const events = await run(sseOf(chunk({ role: 'assistant', content: '', tool_calls: [call] }), chunk({}, 'stop'), data('[DONE]')));
    expect(last(events)).toMatchObject({
      type: 'done',
      stopReason: 'tool_use',
      toolCalls: [{ id: 'call_x1', name: 'get_weather', args: { city: 'Oslo' } }],
    });
  });

  it('arguments split across many chunks, id and name only on the first', async () => {
    const first = { index: 0, id: 'call_s', type: 'function', function: { name: 'get_weather', arguments: '' } };
    const rest = ['{"ci', 'ty": "Ber', 'gen"}'].map((a) => chunk({ tool_calls: [{ index: 0, function: { arguments: a } }] }));
    const events = await run(sseOf(chunk({ tool_calls: [first] }), ...rest, chunk({}, 'tool_calls'), data('[DONE]')));
    expect((last(events) as { toolCalls: ToolCall[] }).toolCalls).toEqual([{ id: 'call_s', name: 'get_weather', args: { city: 'Bergen' } }]);
  });

  it('a server that repeats the id and name on every argument chunk', async () => {
    const piece = (a: string) => chunk({ tool_calls: [{ index: 0, id: 'call_r', type: 'function', function: { name: 'get_weather', arguments: a } }] });
    const events = await run(sseOf(piece('{"city":'), piece('"Oslo"}'), chunk({}, 'tool_calls'), data('[DONE]')));
    expect((last(events) as { toolCalls: ToolCall[] }).toolCalls).toEqual([{ id: 'call_r', name: 'get_weather', args: { city: 'Oslo' } }]);
  });

  it('two whole calls in separate chunks without index are two calls, not one glued together', async () => {
    const whole = (id: string, city: string) => chunk({ tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: JSON.stringify({ city }) } }] });
    const events = await run(sseOf(whole('call_1', 'Oslo'), whole('call_2', 'Bergen'), chunk({}, 'tool_calls'), data('[DONE]')));
    expect((last(events) as { toolCalls: ToolCall[] }).toolCalls).toEqual([
      { id: 'call_1', name: 'get_weather', args: { city: 'Oslo' } },
      { id: 'call_2', name: 'get_weather', args: { city: 'Bergen' } },
    ]);
  });

  it('two whole calls in one chunk without index or id', async () => {
    const calls = ['Oslo', 'Bergen'].map((city) => ({ type: 'function', function: { name: 'get_weather', arguments: JSON.stringify({ city }) } }));
    const events = await run(sseOf(chunk({ tool_calls: calls }), chunk({}, 'tool_calls'), data('[DONE]')));
    const calls2 = (last(events) as { toolCalls: ToolCall[] }).toolCalls;
    expect(calls2.map((c) => c.args)).toEqual([{ city: 'Oslo' }, { city: 'Bergen' }]);
    expect(new Set(calls2.map((c) => c.id)).size).toBe(2);
  });

  it('calls without id get ids unique across turns, and the next request pairs results with them', async () => {
    const noId = (city: string) =>
      sseOf(
        chunk({ tool_calls: [{ index: 0, type: 'function', function: { name: 'get_weather', arguments: JSON.stringify({ city }) } }] }),
        chunk({}, 'tool_calls'),
        data('[DONE]'),
      );
    const a = (last(await run(noId('Oslo'))) as { toolCalls: ToolCall[] }).toolCalls[0]!;
    const b = (last(await run(noId('Bergen'))) as { toolCalls: ToolCall[] }).toolCalls[0]!;
    expect(a.id).toMatch(/^[A-Za-z0-9_-]+$/); // also a valid Anthropic tool_use id, should the session fail over
    expect(a.id).not.toBe(b.id);

    const history: ModelMessage[] = [
      { role: 'user', text: 'weather?' },
      { role: 'assistant', text: '', toolCalls: [a] },
      { role: 'tool', results: [{ callId: a.id, name: 'get_weather', content: '-3°C' }] },
      { role: 'assistant', text: 'Cold. Bergen?', toolCalls: [b] },
      { role: 'tool', results: [{ callId: b.id, name: 'get_weather', content: '4°C' }] },
    ];
    api.fake.script('no-key', { text: 'Oslo -3, Bergen 4.' });
    const events = await collect(api.provider.stream(request({ messages: history })));
    expect(last(events)).toMatchObject({ type: 'done', text: 'Oslo -3, Bergen 4.' });
  });

  it('arguments sent as a JSON object instead of a string (some servers) are taken as the object', async () => {
    const call = { index: 0, id: 'call_o', type: 'function', function: { name: 'get_weather', arguments: { city: 'Oslo' } } };
    const events = await run(sseOf(chunk({ tool_calls: [call] }), chunk({}, 'tool_calls'), data('[DONE]')));
    expect((last(events) as { toolCalls: ToolCall[] }).toolCalls).toEqual([{ id: 'call_o', name: 'get_weather', args: { city: 'Oslo' } }]);
  });

  it('reasoning deltas (reasoning_content / reasoning) are not shown as reply text', async () => {
    const events = await run(
      sseOf(chunk({ reasoning_content: 'Let me think' }), chunk({ reasoning: 'more thought' }), chunk({ content: 'Answer.' }, 'stop'), data('[DONE]')),
    );
    expect(texts(events)).toEqual(['Answer.']);
    expect(last(events)).toMatchObject({ type: 'done', text: 'Answer.' });
  });

  it('an error object inside the stream → typed error, text before it kept as deltas only', async () => {
    const events = await run(sseOf(chunk({ content: 'Part' }), data({ error: { message: 'llama runner process has terminated', type: 'api_error' } })));
    expect(texts(events)).toEqual(['Part']);
    expect(last(events)).toMatchObject({ type: 'error', error: { kind: 'server_error', message: 'ollama: llama runner process has terminated' } });
  });

  it('an in-stream error with a numeric code (llama.cpp) and a context-size message → context_overflow', async () => {
    const events = await run(
      sseOf(data({ error: { code: 400, message: 'the request exceeds the available context size, try increasing it', type: 'exceed_context_size_error' } })),
    );
    expect(last(events)).toMatchObject({ type: 'error', error: { kind: 'context_overflow' } });
  });

  it('an in-stream error that is a bare string', async () => {
    const events = await run(sseOf(data({ error: 'out of memory' })));
    expect(last(events)).toMatchObject({ type: 'error', error: { kind: 'server_error', message: 'ollama: out of memory' } });
  });

  it('a stream that ends without finish_reason → server_error (the answer may be cut)', async () => {
    const events = await run(sseOf(chunk({ content: 'Half an ans' })));
    expect(last(events)).toMatchObject({ type: 'error', error: { kind: 'server_error' } });
  });

  it("404 model not found (Ollama: try pulling it first) → bad_request: no cooldown, the message says what's wrong", async () => {
    const events = await run({
      status: 404,
      body: { error: { message: 'model "llama3.2" not found, try pulling it first', type: 'api_error', param: null, code: null } },
    });
    expect(events).toHaveLength(1);
    const err = (events[0] as { error: { kind: string; message: string; status: number } }).error;
    expect(err).toMatchObject({ kind: 'bad_request', status: 404 });
    expect(err.message).toBe('ollama: model "llama3.2" not found, try pulling it first');
    expect(failureEffect('bad_request')).toBe('none'); // the profile is not cooled down for a missing model
  });

  it('404 with a bare string error (llama.cpp / LM Studio style body)', async () => {
    const events = await run({ status: 404, body: { error: "Model 'qwen' not found" } });
    expect(events[0]).toMatchObject({ type: 'error', error: { kind: 'bad_request', status: 404, message: "ollama: Model 'qwen' not found" } });
  });

  it('a 404 that is not about the model (a base URL without /v1: "404 page not found") names the base URL to check', async () => {
    const events = await run({ raw: ['404 page not found'], status: 404, headers: { 'content-type': 'text/plain' } });
    const err = (events[0] as { error: { kind: string; message: string } }).error;
    expect(err.kind).toBe('bad_request');
    expect(err.message).toContain('404 page not found');
    expect(err.message).toContain(`check the base URL ${api.fake.url}`);
    expect(err.message).toContain('/v1');
  });

  it('500 with {"error":"..."} (a string, not an object) → server_error with the plain message', async () => {
    const events = await run({ status: 500, body: { error: 'failed to load model: out of memory' } });
    expect(events[0]).toMatchObject({
      type: 'error',
      error: { kind: 'server_error', status: 500, message: 'ollama: failed to load model: out of memory' },
    });
  });

  it('502 with an HTML page from a reverse proxy → server_error with a short, tag-free message', async () => {
    const html =
      '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
      `<hr><center>nginx/1.24.0</center>\r\n${'<!-- padding -->\r\n'.repeat(200)}</body>\r\n</html>\r\n`;
    const events = await run({ raw: [html], status: 502, headers: { 'content-type': 'text/html' } });
    const err = (events[0] as { error: { kind: string; message: string; status: number } }).error;
    expect(err).toMatchObject({ kind: 'server_error', status: 502 });
    expect(err.message).toContain('502 Bad Gateway');
    expect(err.message).not.toMatch(/<[a-z]/i);
    expect(err.message.length).toBeLessThan(300);
  });

  it('503 "loading model" while the server warms up → overloaded (a short cooldown, then retried)', async () => {
    const events = await run({ status: 503, body: { error: { message: 'Loading model', type: 'unavailable_error', code: 503 } } });
    expect(events[0]).toMatchObject({ type: 'error', error: { kind: 'overloaded', status: 503, message: 'ollama: Loading model' } });
  });

  it('a plain-text 400 body is passed on as the message', async () => {
    const events = await run({ raw: ["invalid character 'x' looking for beginning of value"], status: 400, headers: { 'content-type': 'text/plain' } });
    expect(events[0]).toMatchObject({ type: 'error', error: { kind: 'bad_request', status: 400 } });
    expect((events[0] as { error: { message: string } }).error.message).toContain("invalid character 'x'");
  });
});

// ---- Anthropic-compatible SSE ----

const ev = (event: string, payload: Record<string, unknown>) => `event: ${event}\ndata: ${JSON.stringify({ type: event, ...payload })}\n\n`;
const messageStart = (usage: Record<string, unknown> | undefined) =>
  ev('message_start', {
    message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: null, stop_sequence: null, ...(usage ? { usage } : {}) },
  });
const textBlock = (index: number, ...pieces: string[]) => [
  ev('content_block_start', { index, content_block: { type: 'text', text: '' } }),
  ...pieces.map((text) => ev('content_block_delta', { index, delta: { type: 'text_delta', text } })),
  ev('content_block_stop', { index }),
];
const ping = ev('ping', {});

describe('Anthropic-compatible servers (real @anthropic-ai/sdk → quirky fake)', () => {
  const api = useProviderOnFake(startFakeAnthropic, (baseUrl) => createAnthropicProvider({ id: 'anthropic', baseUrl }));
  const cred = { profileId: 'anthropic:test', mode: 'api_key' as const, secret: 'sk-ant-test' };
  const run = async (raw: FakeRaw) => {
    api.fake.script('sk-ant-test', raw);
    return collect(api.provider.stream(request({ credential: cred })));
  };

  it('ping events anywhere in the stream are ignored', async () => {
    const events = await run(
      sseOf(
        messageStart({ input_tokens: 9, output_tokens: 1 }),
        ping,
        ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
        ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi' } }),
        ping,
        ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ' there' } }),
        ev('content_block_stop', { index: 0 }),
        ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }),
        ping,
        ev('message_stop', {}),
      ),
    );
    expect(last(events)).toEqual({ type: 'done', text: 'Hi there', toolCalls: [], usage: { inputTokens: 9, outputTokens: 2 }, stopReason: 'end' });
  });

  it('message_delta without usage (some compatible servers) still completes', async () => {
    const events = await run(
      sseOf(
        messageStart({ input_tokens: 5, output_tokens: 1 }),
        ...textBlock(0, 'Fine.'),
        ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null } }),
        ev('message_stop', {}),
      ),
    );
    expect(last(events)).toEqual({ type: 'done', text: 'Fine.', toolCalls: [], usage: { inputTokens: 5, outputTokens: 1 }, stopReason: 'end' });
  });

  it('message_start without usage still completes', async () => {
    const events = await run(
      sseOf(
        messageStart(undefined),
        ...textBlock(0, 'Fine.'),
        ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } }),
        ev('message_stop', {}),
      ),
    );
    expect(last(events)).toEqual({ type: 'done', text: 'Fine.', toolCalls: [], usage: { inputTokens: 0, outputTokens: 3 }, stopReason: 'end' });
  });

  it('usage fields sent as null are treated as unknown', async () => {
    const events = await run(
      sseOf(
        messageStart({ input_tokens: null, output_tokens: null }),
        ...textBlock(0, 'x'),
        ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: null } }),
        ev('message_stop', {}),
      ),
    );
    expect(last(events)).toMatchObject({ type: 'done', text: 'x', usage: { inputTokens: 0, outputTokens: 0 } });
  });

  it('overloaded_error inside the stream → overloaded (a server fault: retried, then failover)', async () => {
    const events = await run(
      sseOf(messageStart({ input_tokens: 5, output_tokens: 1 }), ping, ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } })),
    );
    expect(events).toHaveLength(1);
    expect(last(events)).toMatchObject({ type: 'error', error: { kind: 'overloaded', message: 'anthropic: Overloaded' } });
    expect(failureEffect('overloaded')).toBe('transient');
  });

  it('a tool call whose whole input comes in content_block_start, no deltas', async () => {
    const events = await run(
      sseOf(
        messageStart({ input_tokens: 5, output_tokens: 1 }),
        ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } } }),
        ev('content_block_stop', { index: 0 }),
        ev('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 8 } }),
        ev('message_stop', {}),
      ),
    );
    expect(last(events)).toMatchObject({ type: 'done', stopReason: 'tool_use', toolCalls: [{ id: 'toolu_1', name: 'get_weather', args: { city: 'Oslo' } }] });
  });

  it('a 529 with an HTML body (proxy) → overloaded', async () => {
    const events = await run({ raw: ['<html><body><h1>529 Site is overloaded</h1></body></html>'], status: 529, headers: { 'content-type': 'text/html' } });
    const err = (events[0] as { error: { kind: string; message: string } }).error;
    expect(err.kind).toBe('overloaded');
    expect(err.message).not.toMatch(/<[a-z]/i);
  });
});

// ---- the whole gateway, as a Raspberry Pi owner runs it: OPENAI_BASE_URL + SWITCHYARD_MODEL, no key ----

describe('a local OpenAI-compatible server through the whole gateway (web chat)', () => {
  const web = useGateway({ anthropic: false, openai: true });
  const startPi = async () => {
    await web.start({ env: { OPENAI_BASE_URL: web.openai.url, SWITCHYARD_MODEL: 'openai/llama3.2' } });
    return web.connect('me');
  };

  it('answers with no key; an Ollama-style tool round (finish "stop", no ids, no usage) works', async () => {
    const timeCall = { type: 'function', function: { name: 'time', arguments: '{}' } };
    web.openai.script(
      'no-key',
      sseOf(chunk({ role: 'assistant', content: '', tool_calls: [timeCall] }), chunk({}, 'stop'), data('[DONE]')),
      sseOf(chunk({ role: 'assistant', content: 'It is late.' }), chunk({}, 'stop'), data('[DONE]')),
    );
    const me = await startPi();
    me.send('what time is it?');
    expect((await me.reply()).text).toBe('It is late.');

    expect(web.openai.requests).toHaveLength(2);
    for (const r of web.openai.requests) expect(r).toMatchObject({ auth: 'bearer', key: 'no-key', body: { model: 'llama3.2' } });
    // The second request answers the call the server made, under the id the gateway gave it.
    const msgs = web.openai.requests[1]!.body.messages as { role: string; tool_calls?: { id: string }[]; tool_call_id?: string }[];
    const assistant = msgs.find((m) => m.role === 'assistant' && m.tool_calls)!;
    const tool = msgs.find((m) => m.role === 'tool')!;
    expect(tool.tool_call_id).toBe(assistant.tool_calls![0]!.id);
  });

  it("a model that is not pulled: the user reads the server's words, the profile is not cooled down, the next message is tried", async () => {
    const notFound = { status: 404, body: { error: { message: 'model "llama3.2" not found, try pulling it first', type: 'api_error', param: null, code: null } } };
    web.openai.script('no-key', notFound, { text: 'pulled and ready' });
    const me = await startPi();
    me.send('hi');
    expect((await me.reply()).text).toMatch(/model "llama3\.2" not found, try pulling it first/);
    // A cooled-down (keyless, only) profile would make this "all models are unavailable, retried at …".
    me.send('hi again');
    expect((await me.reply()).text).toBe('pulled and ready');
    expect(me.frames.filter((f) => f.type === 'message').map((f) => f.text)).not.toContainEqual(expect.stringMatching(/unavailable/));
  });
});
