// The agent loop against the real Anthropic provider and a fake server: rounds, steering, bounds, events.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAgent, type RunInput } from '../../runtime/agent/loop.js';
import { createAnthropicProvider } from '../../runtime/providers/anthropic.js';
import type { AgentEvent, AgentEventBody, ModelMessage, ToolCall } from '../../runtime/types/index.js';
import { startFakeAnthropic, type FakeModelServer } from '../fakes/fake-anthropic.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { systemClock } from '../../runtime/clock.js';
import { testModelCaller } from '../fakes/model-caller.js';

let fake: FakeModelServer;

beforeEach(async () => {
  fake = await startFakeAnthropic();
});
afterEach(async () => {
  await fake.close();
});

function input(over: Partial<RunInput> = {}): RunInput & { events: AgentEvent[]; persisted: ModelMessage[]; toolCalls: ToolCall[] } {
  const events: AgentEvent[] = [];
  const persisted: ModelMessage[] = [];
  const toolCalls: ToolCall[] = [];
  const provider = createAnthropicProvider({ id: 'anthropic', baseUrl: fake.url });
  return {
    runId: 'run-1',
    sessionKey: 'agent:main:webchat:direct:u1',
    agentId: 'main',
    system: 'You are a test.',
    history: [],
    userText: 'hello',
    candidates: [{ provider: 'anthropic', model: 'claude-test' }],
    tools: [{ name: 'time', description: 'current time', parameters: { type: 'object', properties: {} } }],
    executeTool: async (call) => {
      toolCalls.push(call);
      return { callId: call.id, name: call.name, content: '2026-11-25T12:00:00Z' };
    },
    takeSteered: () => [],
    signal: new AbortController().signal,
    timeoutMs: 60_000,
    maxRounds: 5,
    modelCaller: testModelCaller({
      providers: new Map([['anthropic', provider]]),
      credentials: new Map([['anthropic', [{ profileId: 'anthropic:test', mode: 'api_key', secret: 'key-a' }]]]),
    }),
    clock: systemClock,
    emit: (e) => events.push(e),
    onMessage: async (m) => void persisted.push(m),
    ...over,
    events,
    persisted,
    toolCalls,
  };
}

describe('agent loop', () => {
  it('streams text deltas as events and persists user + assistant', async () => {
    fake.script('key-a', { text: 'one two three' });
    const inp = input();
    const r = await runAgent(inp);
    expect(r).toMatchObject({ status: 'ok', text: 'one two three', rounds: 1 });
    expect(
      inp.events
        .filter((e) => e.stream === 'assistant')
        .map((e) => (e as { delta: string }).delta)
        .join(''),
    ).toBe('one two three');
    expect(inp.events.every((e) => e.runId === 'run-1' && e.sessionKey === inp.sessionKey)).toBe(true);
    expect(inp.persisted.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('runs tool rounds: model → tool → model', async () => {
    fake.script('key-a', { toolCalls: [{ id: 't1', name: 'time', args: {} }] }, { text: 'noon' });
    const inp = input();
    const r = await runAgent(inp);
    expect(r).toMatchObject({ status: 'ok', text: 'noon', rounds: 2 });
    expect(inp.toolCalls.map((c) => c.name)).toEqual(['time']);
    expect(inp.persisted.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
  });

  it('stops at max rounds', async () => {
    fake.setDefault(() => ({ toolCalls: [{ name: 'time', args: {} }], text: 'still going' }));
    const r = await runAgent(input({ maxRounds: 3 }));
    expect(r.status).toBe('max_rounds');
    expect(fake.requests).toHaveLength(3);
  });

  it('injects steered messages before the next model call', async () => {
    fake.script('key-a', { toolCalls: [{ id: 't1', name: 'time', args: {} }] }, { text: 'ok, steered' });
    let steered = ['actually, use UTC'];
    const r = await runAgent(input({ takeSteered: () => [...steered.splice(0)] }));
    expect(r.status).toBe('ok');
    const second = JSON.stringify(fake.requests[1].body.messages);
    expect(second).toContain('actually, use UTC');
    expect(JSON.stringify(fake.requests[0].body.messages)).not.toContain('actually, use UTC');
    steered = [];
  });

  it('an abort ends the run as aborted, mid-stream', async () => {
    fake.script('key-a', { text: 'this never ends', hang: true });
    const ac = new AbortController();
    const inp = input({ signal: ac.signal, emit: (e) => e.stream === 'assistant' && ac.abort(new Error('user pressed /stop')) });
    const r = await runAgent(inp);
    expect(r).toMatchObject({ status: 'aborted', reason: 'user pressed /stop' });
  });

  it('a per-run timeout on the clock ends the run as timeout', async () => {
    const clock = new FakeClock();
    fake.script('key-a', { text: 'slow', hang: true });
    const p = runAgent(input({ clock, timeoutMs: 5_000 }));
    await new Promise((r) => setTimeout(r, 200)); // the request reaches the fake
    await clock.advance(5_000);
    const r = await p;
    expect(r.status).toBe('timeout');
  });

  it('a provider error that no other model can fix ends the run with its typed kind', async () => {
    fake.script('key-a', {
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 250000 tokens > 200000 maximum' } },
    });
    const r = await runAgent(input());
    expect(r).toMatchObject({ status: 'error', error: { kind: 'context_overflow' } });
  });

  it('a rejected key with nothing to fail over to ends the run unavailable, naming the kind', async () => {
    fake.script('key-a', { status: 401 });
    const r = await runAgent(input());
    expect(r).toMatchObject({ status: 'unavailable', error: { kind: 'auth' } });
  });
});

describe('agent events are checked where they are built', () => {
  it('an event body must be a whole variant of AgentEvent (tsc rejects the others)', () => {
    const ok: AgentEventBody[] = [
      { stream: 'assistant', delta: 'hi' },
      { stream: 'lifecycle', phase: 'end', text: 'done', delivered: true },
    ];
    // @ts-expect-error an end event without its text is no event
    const missing: AgentEventBody = { stream: 'lifecycle', phase: 'end', delivered: true };
    // @ts-expect-error a misspelt field is no event either
    const misspelt: AgentEventBody = { stream: 'assistant', delt: 'hi' };
    expect([...ok, missing, misspelt].map((e) => e.stream)).toEqual(['assistant', 'lifecycle', 'lifecycle', 'assistant']);
  });
});
