// Provider registry and credential resolution, with real providers (through the gateway's caller) against the fakes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelCallEvent } from '../../runtime/agent/model-caller.js';
import { testModelCaller } from '../fakes/model-caller.js';
import { configSchema, type ConfigInput } from '../../runtime/config/schema.js';
import { resolveCredentials } from '../../runtime/providers/credentials.js';
import { createProviders } from '../../runtime/providers/registry.js';
import { startFakeAnthropic, type FakeModelServer } from '../fakes/fake-anthropic.js';
import { startFakeOpenAI } from '../fakes/fake-openai.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const e of it) out.push(e);
  return out;
}

function config(input: ConfigInput = {}) {
  return configSchema.parse(input);
}

describe('registry and credentials', () => {
  let anthropic: FakeModelServer;
  let openai: FakeModelServer;
  beforeAll(async () => {
    [anthropic, openai] = await Promise.all([startFakeAnthropic(), startFakeOpenAI()]);
  });
  afterAll(() => Promise.all([anthropic.close(), openai.close()]));
  beforeEach(() => {
    anthropic.requests.length = 0;
    openai.requests.length = 0;
  });

  const call = (candidates: { provider: string; model: string }[]) => ({
    runId: 'r1',
    sessionKey: 'agent:main:main',
    agentId: 'main',
    candidates,
    system: '',
    messages: [{ role: 'user' as const, text: 'hi' }],
    tools: [],
  });

  it('built-in providers always exist; OPENAI_BASE_URL points openai elsewhere and makes it keyless', () => {
    const plain = createProviders({}, {});
    expect([...plain.keys()].sort()).toEqual(['anthropic', 'openai']);
    expect(plain.get('anthropic')!.api).toBe('anthropic-messages');
    expect(plain.get('openai')!.keyOptional).toBe(false);
    expect(createProviders({}, { OPENAI_BASE_URL: openai.url }).get('openai')!.keyOptional).toBe(true);
  });

  it('a missing key names exactly what to set, and sends nothing', async () => {
    const caller = testModelCaller({ providers: createProviders({}, {}), credentials: resolveCredentials(config(), {}) });
    const [a] = (await collect(caller.stream(call([{ provider: 'anthropic', model: 'claude-x' }])))) as ModelCallEvent[];
    expect(a).toMatchObject({ type: 'error', error: { kind: 'auth' } });
    const msg = (a as { error: { message: string } }).error.message;
    expect(msg).toContain('model anthropic/claude-x');
    expect(msg).toContain('ANTHROPIC_API_KEY');
    expect(msg).toContain('auth.profiles');
    const [o] = (await collect(caller.stream(call([{ provider: 'openai', model: 'gpt-x' }])))) as ModelCallEvent[];
    const omsg = (o as { error: { message: string } }).error.message;
    expect(omsg).toContain('OPENAI_API_KEY');
    expect(omsg).toContain('OPENAI_BASE_URL');
  });

  it('an unknown provider → bad_request naming the fix', async () => {
    const caller = testModelCaller({ providers: createProviders({}, {}), credentials: new Map() });
    const events = await collect(caller.stream(call([{ provider: 'foo', model: 'x' }])));
    expect(events).toEqual([
      {
        type: 'error',
        error: { kind: 'bad_request', message: "model foo/x: no provider 'foo' — add models.providers.foo or fix the model name in agents.defaults.model" },
      },
    ]);
  });

  it('no candidates → bad_request', async () => {
    const caller = testModelCaller({ providers: new Map(), credentials: new Map() });
    expect(await collect(caller.stream(call([])))).toMatchObject([{ type: 'error', error: { kind: 'bad_request' } }]);
  });

  it('end to end: config providers + env key → the first candidate with its first credential', async () => {
    const cfg = config({ models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: anthropic.url } } } });
    const env = { ANTHROPIC_API_KEY: 'sk-env' };
    const caller = testModelCaller({ providers: createProviders(cfg.models.providers, env), credentials: resolveCredentials(cfg, env) });
    anthropic.script('sk-env', { text: 'from anthropic' });
    const events = await collect(
      caller.stream(
        call([
          { provider: 'anthropic', model: 'claude-x' },
          { provider: 'openai', model: 'gpt' },
        ]),
      ),
    );
    expect(events[events.length - 1]).toMatchObject({ type: 'done', text: 'from anthropic' });
    expect(anthropic.requests[0]).toMatchObject({ auth: 'x-api-key', key: 'sk-env' });
    expect(openai.requests).toHaveLength(0);
  });

  it('a keyless OpenAI-compatible provider from config (ollama) works without credentials', async () => {
    const cfg = config({ models: { providers: { ollama: { api: 'openai-completions', baseUrl: openai.url } } } });
    const caller = testModelCaller({ providers: createProviders(cfg.models.providers, {}), credentials: resolveCredentials(cfg, {}) });
    openai.script('no-key', { text: 'local llama says hi' });
    const events = await collect(caller.stream(call([{ provider: 'ollama', model: 'llama3.2' }])));
    expect(events[events.length - 1]).toMatchObject({ type: 'done', text: 'local llama says hi' });
    expect(openai.requests[0]!.body.model).toBe('llama3.2');
  });

  it('credentials: tokens before keys, auth.order first, config and env profiles, duplicates merged', () => {
    const cfg = config({
      auth: {
        profiles: {
          'anthropic:work': { provider: 'anthropic', mode: 'api_key', key: 'sk-work' },
          'anthropic:max': { provider: 'anthropic', mode: 'token', token: 'tok-max' },
          'openai:main': { provider: 'openai', mode: 'api_key', key: 'sk-o' },
        },
        order: { openai: ['openai:env', 'openai:main'] },
      },
      models: { providers: { ollama: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'ollama-key' } } },
    });
    const creds = resolveCredentials(cfg, { ANTHROPIC_API_KEY: 'sk-work', OPENAI_API_KEY: 'sk-o-env' });
    expect(creds.get('anthropic')!.map((c) => c.profileId)).toEqual(['anthropic:max', 'anthropic:work']);
    expect(creds.get('openai')!.map((c) => c.profileId)).toEqual(['openai:env', 'openai:main']);
    expect(creds.get('ollama')).toEqual([{ profileId: 'ollama:config', mode: 'api_key', secret: 'ollama-key' }]);
  });

  it('env tokens come before env keys; the same secret twice is one credential', () => {
    const creds = resolveCredentials(config(), { ANTHROPIC_API_KEY: 'sk-a', ANTHROPIC_AUTH_TOKEN: 'tok-a', OPENAI_API_KEY: ' ' });
    expect(creds.get('anthropic')).toEqual([
      { profileId: 'anthropic:env-token', mode: 'token', secret: 'tok-a' },
      { profileId: 'anthropic:env', mode: 'api_key', secret: 'sk-a' },
    ]);
    expect(creds.has('openai')).toBe(false);
  });

  it('a config entry overrides a built-in provider (openai pointed at a compatible server)', async () => {
    const cfg = config({ models: { providers: { openai: { api: 'openai-completions', baseUrl: openai.url, maxTokens: 64 } } } });
    const env = { OPENAI_API_KEY: 'sk-o' };
    const caller = testModelCaller({ providers: createProviders(cfg.models.providers, env), credentials: resolveCredentials(cfg, env) });
    const events = await collect(caller.stream(call([{ provider: 'openai', model: 'gpt-x' }])));
    expect(events[events.length - 1]).toMatchObject({ type: 'done' });
    expect(openai.requests[0]).toMatchObject({ key: 'sk-o', body: { model: 'gpt-x', max_tokens: 64 } });
  });
});
