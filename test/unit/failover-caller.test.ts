// The failover model caller: credential rotation, the fallback chain, stickiness, what never fails over, and
// "all unavailable" — real providers against the fake servers (see failover-harness.ts).
import { describe, expect, it } from 'vitest';
import { runAgent, type RunResult } from '../../runtime/agent/loop.js';
import type { ModelCallEvent } from '../../runtime/agent/model-caller.js';
import { agentModelCandidates } from '../../runtime/config/agents.js';
import { configSchema } from '../../runtime/config/schema.js';
import { sessionSticky } from '../../runtime/failover/order.js';
import { openSessionStore } from '../../storage/session-store.js';
import {
  doneText,
  FALLBACK,
  failovers,
  keysSeen,
  label,
  MIN,
  PRIMARY,
  quietLog,
  rateLimited,
  TWO_KEYS_AND_FALLBACK,
  useFailoverFixture,
} from '../fakes/failover-harness.js';

const fx = useFailoverFixture();

describe('credential rotation', () => {
  it('key A rate-limited → key B answers at once; one failover event and one audit line, no secrets', async () => {
    const h = await fx.harness();
    fx.anthropic.script('key-a', rateLimited);
    const events = await h.call();
    expect(keysSeen(fx.anthropic)).toEqual(['key-a', 'key-b']);
    expect(fx.openai.requests).toHaveLength(0);
    expect(failovers(events)).toEqual([{ type: 'failover', from: label(PRIMARY, 'anthropic:a'), to: label(PRIMARY, 'anthropic:b'), reason: 'rate_limit' }]);
    expect(events.findIndex((e) => e.type === 'failover')).toBe(0); // A failed before streaming anything
    expect(doneText(events)).toEqual(['from anthropic']);
    // A cools for the ladder's first step; B is recorded as good.
    const now = h.clock.now();
    expect(h.state.data.profiles['anthropic:a']).toMatchObject({ errorCount: 1, cooldownUntil: now + MIN, cooldownReason: 'rate_limit' });
    expect(h.state.data.profiles['anthropic:b']).toMatchObject({ errorCount: 0, lastGoodAt: now });
    const audit = await h.audit.tail(10);
    expect(audit).toEqual([
      expect.objectContaining({ kind: 'failover', from: label(PRIMARY, 'anthropic:a'), to: label(PRIMARY, 'anthropic:b'), reason: 'rate_limit', status: 429 }),
    ]);
    expect(JSON.stringify(audit)).not.toMatch(/key-a|key-b/);
  });

  it('A and B rate-limited → the fallback model on the other provider answers', async () => {
    const h = await fx.harness();
    fx.anthropic.script('key-a', rateLimited);
    fx.anthropic.script('key-b', rateLimited);
    const events = await h.call();
    expect(keysSeen(fx.anthropic)).toEqual(['key-a', 'key-b']);
    expect(keysSeen(fx.openai)).toEqual(['key-o']);
    expect(fx.openai.requests[0]!.body.model).toBe('gpt-test');
    expect(failovers(events)).toEqual([
      { type: 'failover', from: label(PRIMARY, 'anthropic:a'), to: label(PRIMARY, 'anthropic:b'), reason: 'rate_limit' },
      { type: 'failover', from: label(PRIMARY, 'anthropic:b'), to: label(FALLBACK, 'openai:o'), reason: 'rate_limit' },
    ]);
    expect(doneText(events)).toEqual(['from openai']);
    expect(h.sticky.get('main', 'agent:main:main')).toBe('openai:o');
    expect((await h.audit.tail(10)).map((r) => r.to)).toEqual([label(PRIMARY, 'anthropic:b'), label(FALLBACK, 'openai:o')]);

    // The next turn does not knock on the cooling keys again: straight to the fallback.
    const next = await h.call();
    expect(keysSeen(fx.anthropic)).toEqual(['key-a', 'key-b']);
    expect(keysSeen(fx.openai)).toEqual(['key-o', 'key-o']);
    expect(failovers(next)).toEqual([]);
  });

  it('a token profile is preferred over an API key (bearer header), unless auth.order says otherwise', async () => {
    const profiles = {
      'anthropic:key': { provider: 'anthropic', mode: 'api_key' as const, key: 'key-a' },
      'anthropic:tok': { provider: 'anthropic', mode: 'token' as const, token: 'tok-t' },
    };
    const h = await fx.harness({ config: fx.makeConfig({ profiles }) });
    await h.call();
    expect(fx.anthropic.requests.map((r) => [r.auth, r.key])).toEqual([['bearer', 'tok-t']]);
    expect(fx.anthropic.requests[0]!.headers['x-api-key']).toBeUndefined();

    fx.anthropic.requests.length = 0;
    const ordered = await fx.harness({ config: fx.makeConfig({ profiles, order: { anthropic: ['anthropic:key'] } }), state: h.state });
    await ordered.call('another-session');
    expect(fx.anthropic.requests.map((r) => [r.auth, r.key])).toEqual([['x-api-key', 'key-a']]);
  });

  it('a session sticks to the key that worked even when least-recent-use would pick another; new sessions spread', async () => {
    const sessions = await openSessionStore(fx.home, quietLog.warn, ['main']);
    fx.track(sessions);
    for (const key of ['s1', 's2']) sessions.put({ sessionId: `id-${key}`, sessionKey: key, agentId: 'main', createdAt: 0, updatedAt: 0 });
    const h = await fx.harness({ sticky: sessionSticky(sessions) });

    await h.call('s1'); // both unused: config order → A
    await h.clock.advance(1000);
    await h.call('s1'); // LRU alone would pick B (never used); s1 sticks to A (warm prompt cache)
    await h.clock.advance(1000);
    await h.call('s2'); // a new session: least recently used → B
    await h.clock.advance(1000);
    await h.call('s2'); // LRU would pick A (used longer ago); s2 sticks to B
    expect(keysSeen(fx.anthropic)).toEqual(['key-a', 'key-a', 'key-b', 'key-b']);
    expect(sessions.get('main', 's1')?.stickyProfile).toBe('anthropic:a');
    expect(sessions.get('main', 's2')?.stickyProfile).toBe('anthropic:b');
  });

  it('a sticky profile that cools down is let go: the session moves on and sticks to the new one', async () => {
    const h = await fx.harness();
    await h.call('s1');
    expect(h.sticky.get('main', 's1')).toBe('anthropic:a');

    fx.anthropic.script('key-a', rateLimited);
    const events = await h.call('s1'); // sticky A fails → B at once
    expect(keysSeen(fx.anthropic)).toEqual(['key-a', 'key-a', 'key-b']);
    expect(failovers(events)).toHaveLength(1);
    expect(h.sticky.get('main', 's1')).toBe('anthropic:b');

    // A sticky profile found cooling (it failed for another session) is skipped without a call.
    h.sticky.set('main', 's4', 'anthropic:a');
    const skipped = await h.call('s4');
    expect(keysSeen(fx.anthropic)).toEqual(['key-a', 'key-a', 'key-b', 'key-b']);
    expect(failovers(skipped)).toEqual([]);
    expect(h.sticky.get('main', 's4')).toBe('anthropic:b');
  });
});

describe('when nothing is available, and what never fails over', () => {
  it('all unavailable → one unavailable event with the soonest retry time; after it, answered once', async () => {
    const h = await fx.harness();
    fx.anthropic.script('key-a', { status: 429, headers: { 'retry-after': '300' } });
    fx.anthropic.script('key-b', rateLimited); // ladder: 1 min — the soonest
    fx.openai.script('key-o', { status: 429, headers: { 'retry-after': '120' } });
    const start = h.clock.now();
    const events = await h.call();
    expect(events.map((e) => e.type)).toEqual(['failover', 'failover', 'unavailable']);
    expect(events[2]).toMatchObject({ type: 'unavailable', retryAt: start + MIN, error: { kind: 'rate_limit' } });
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    expect((await h.audit.tail(10)).at(-1)).toMatchObject({ kind: 'failover', outcome: 'unavailable', to: null });

    // Retried too early (e.g. another message): still unavailable, and nobody is called.
    await h.clock.advance(30_000);
    const early = await h.call();
    expect(early).toEqual([
      { type: 'unavailable', retryAt: start + MIN, error: expect.objectContaining({ kind: 'rate_limit', message: expect.stringContaining('anthropic:b') }) },
    ]);
    expect(fx.anthropic.requests.length + fx.openai.requests.length).toBe(3);

    // At the retry time the soonest profile (B) answers — once.
    await h.clock.advance(start + MIN - h.clock.now());
    const later = await h.call();
    expect(doneText(later)).toEqual(['from anthropic']);
    expect(keysSeen(fx.anthropic)).toEqual(['key-a', 'key-b', 'key-b']);
    expect(fx.openai.requests).toHaveLength(1);
  });

  it('context overflow is reported as it is: no other key, no fallback, no cooldown', async () => {
    const h = await fx.harness();
    fx.anthropic.script('key-a', {
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' } },
    });
    const events = await h.call();
    expect(events).toEqual([{ type: 'error', error: expect.objectContaining({ kind: 'context_overflow' }) }]);
    expect(keysSeen(fx.anthropic)).toEqual(['key-a']);
    expect(fx.openai.requests).toHaveLength(0);
    expect(h.state.data.profiles['anthropic:a']?.cooldownUntil).toBeUndefined();
  });

  it("the user's /stop (abort) mid-stream never falls back and does not blame the key", async () => {
    const h = await fx.harness();
    fx.anthropic.script('key-a', { text: 'partial answer that hangs', hang: true });
    const ac = new AbortController();
    const events: ModelCallEvent[] = [];
    for await (const e of h.stream('s1', ac.signal)) {
      events.push(e);
      if (e.type === 'text') ac.abort(new Error('/stop'));
    }
    expect(events.map((e) => e.type)).toEqual(['text', 'error']);
    expect(events[1]).toMatchObject({ type: 'error', error: { kind: 'aborted' } });
    expect(keysSeen(fx.anthropic)).toEqual(['key-a']);
    expect(fx.openai.requests).toHaveLength(0);
    expect(h.state.data.profiles['anthropic:a']).toMatchObject({ errorCount: 0 });
    expect(h.state.data.profiles['anthropic:a']?.cooldownUntil).toBeUndefined();
  });

  it('a mid-stream failure after text was streamed fails over; done carries only the answer that worked', async () => {
    const h = await fx.harness();
    fx.anthropic.script('key-a', { text: 'half of a', streamError: { type: 'overloaded_error', message: 'Overloaded' } });
    fx.anthropic.script('key-b', { text: 'the whole answer' });
    const events = await h.call();
    const types = events.map((e) => e.type);
    // The failed attempt's delta came first; the failover event marks it void; then the new attempt.
    expect(types[0]).toBe('text');
    expect(types.indexOf('failover')).toBe(1);
    expect(failovers(events)[0]).toMatchObject({ reason: 'overloaded' });
    expect(doneText(events)).toEqual(['the whole answer']);
    const afterFailover = events
      .slice(2)
      .filter((e) => e.type === 'text')
      .map((e) => (e as { delta: string }).delta)
      .join('');
    expect(afterFailover).toBe('the whole answer');
  });

  it('falls back to a keyless local OpenAI-compatible server as its own implicit profile', async () => {
    const config = fx.makeConfig({ profiles: { 'anthropic:a': { provider: 'anthropic', mode: 'api_key', key: 'key-a' } } });
    const h = await fx.harness({ config });
    fx.anthropic.script('key-a', { status: 500 });
    const events = await h.call();
    expect(failovers(events)).toEqual([{ type: 'failover', from: label(PRIMARY, 'anthropic:a'), to: label(FALLBACK, 'openai:keyless'), reason: 'server_error' }]);
    expect(doneText(events)).toEqual(['from openai']);
    expect(fx.openai.requests[0]!.key).toBe('no-key');
  });

  it('a candidate that cannot be called at all is skipped; with none left the config error is reported', async () => {
    const config = configSchema.parse({
      models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: fx.anthropic.url } } },
      agents: { defaults: { model: { primary: 'nowhere/model', fallbacks: [PRIMARY] } } },
    });
    const h = await fx.harness({ config });
    const events = await h.call();
    expect(events).toEqual([{ type: 'error', error: expect.objectContaining({ kind: 'bad_request', message: expect.stringContaining("no provider 'nowhere'") }) }]);

    const withKey = await fx.harness({
      config: configSchema.parse({ ...config, auth: TWO_KEYS_AND_FALLBACK }),
      state: h.state,
    });
    expect(doneText(await withKey.call())).toEqual(['from anthropic']);
  });

  it('through the agent loop: the run ends "unavailable" with the retry time, and the retried run is answered once', async () => {
    const h = await fx.harness();
    fx.anthropic.script('key-a', rateLimited);
    fx.anthropic.script('key-b', rateLimited);
    fx.openai.script('key-o', rateLimited);
    const events: string[] = [];
    const run = (): Promise<RunResult> =>
      runAgent({
        runId: 'run-1',
        sessionKey: 'agent:main:main',
        agentId: 'main',
        system: 'be brief',
        history: [],
        userText: 'hello',
        candidates: agentModelCandidates(h.config, 'main', undefined, {}),
        tools: [],
        executeTool: () => Promise.reject(new Error('no tools in this test')),
        takeSteered: () => [],
        signal: new AbortController().signal,
        timeoutMs: 60_000,
        maxRounds: 3,
        modelCaller: h.caller,
        clock: h.clock,
        emit: (e) => events.push(e.stream === 'lifecycle' ? `${e.stream}:${e.phase}` : e.stream),
        onMessage: async () => {},
      });
    const first = await run();
    expect(first).toMatchObject({ status: 'unavailable', retryAt: h.clock.now() + MIN, error: { kind: 'rate_limit' } });
    expect(events).toEqual(['lifecycle:failover', 'lifecycle:failover']);

    await h.clock.advance(MIN);
    events.length = 0;
    const second = await run();
    expect(second).toMatchObject({ status: 'ok', text: 'from anthropic' });
    expect(events.filter((e) => e !== 'assistant')).toEqual([]);
    expect(fx.anthropic.requests.length + fx.openai.requests.length).toBe(4); // 3 failed + 1 answer
  });
});
