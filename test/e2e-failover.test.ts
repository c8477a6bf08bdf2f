// Issue 6 through the whole gateway: keys rotate, a fallback model answers, and when every candidate is cooling
// down the user gets one short notice, the message stays queued and is answered exactly once after the cooldown.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeModelServer } from './fakes/fake-anthropic.js';
import { startFakeOpenAI } from './fakes/fake-openai.js';
import { FakeClock } from './fakes/fake-clock.js';
import { ChatClient, startHarness, type Harness } from './fakes/gateway-harness.js';

let anthropic: FakeModelServer;
let openai: FakeModelServer;
let h: Harness | undefined;
const clients: ChatClient[] = [];

const config = (extra: Record<string, unknown> = {}) => ({
  models: {
    providers: {
      anthropic: { api: 'anthropic-messages', baseUrl: anthropic.url },
      openai: { api: 'openai-completions', baseUrl: openai.url },
    },
  },
  auth: {
    profiles: {
      'anthropic:a': { provider: 'anthropic', mode: 'api_key', key: 'key-a' },
      'anthropic:b': { provider: 'anthropic', mode: 'api_key', key: 'key-b' },
    },
    order: { anthropic: ['anthropic:a', 'anthropic:b'] },
  },
  agents: { defaults: { model: { primary: 'anthropic/claude-test', fallbacks: [] as string[] } } },
  commands: { ownerAllowFrom: ['webchat:owner'] },
  ...extra,
});

beforeEach(async () => {
  anthropic = await startFakeAnthropic();
  openai = await startFakeOpenAI();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await h?.stop();
  h = undefined;
  await anthropic.close();
  await openai.close();
});

async function connect(user: string) {
  const c = await ChatClient.connect(h!.gw.http.url, h!.gw.token, user);
  clients.push(c);
  return c;
}

const rateLimited = { status: 429, headers: { 'retry-after': '30' } };

describe('self-healing model access through the gateway', () => {
  it('key A rate-limited → key B answers; /status shows A cooling, never a secret', async () => {
    h = await startHarness({ config: config() });
    anthropic.script('key-a', rateLimited);
    anthropic.script('key-b', { text: 'answered by B' });
    const owner = await connect('owner');
    owner.send('hello');
    expect((await owner.reply()).text).toBe('answered by B');
    expect(anthropic.requests.map((r) => r.key)).toEqual(['key-a', 'key-b']);

    owner.send('/status');
    const status = (await owner.reply()).text!;
    expect(status).toMatch(/anthropic:a/);
    expect(status).toMatch(/cooling until/);
    expect(status).toMatch(/errors: rate_limit 1/);
    expect(status).not.toContain('key-a');
    expect(status).not.toContain('key-b');
  });

  it('both keys rate-limited → the fallback model on the other provider answers', async () => {
    const cfg = config();
    cfg.agents.defaults.model.fallbacks = ['openai/gpt-test'];
    h = await startHarness({ config: cfg, env: { OPENAI_API_KEY: 'sk-openai-test' } });
    anthropic.script('key-a', rateLimited);
    anthropic.script('key-b', rateLimited);
    openai.script('sk-openai-test', { text: 'answered by the fallback' });
    const u = await connect('u1');
    u.send('hello');
    expect((await u.reply()).text).toBe('answered by the fallback');
    expect(openai.requests[0].body.model).toBe('gpt-test');
  });

  it('all unavailable → one notice, the message stays queued, answered once after the cooldown', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    h = await startHarness({ config: config(), clock });
    anthropic.script('key-a', rateLimited);
    anthropic.script('key-b', rateLimited);
    const u = await connect('u1');
    u.send('please answer eventually');
    const notice = await u.reply();
    expect(notice.text).toMatch(/unavailable right now \(rate limited\)/);
    expect(notice.text).toMatch(/12:01 UTC/); // the 1-minute cooldown beats retry-after 30 s
    expect(anthropic.requests).toHaveLength(2);

    // Nothing is retried before the cooldown ends.
    await clock.advance(30_000);
    expect(anthropic.requests).toHaveLength(2);

    anthropic.script('key-a', { text: 'finally, an answer' });
    await clock.advance(31_000);
    const answer = await u.reply();
    expect(answer.text).toBe('finally, an answer');
    await h.gw.gateway.lanes.idle();
    const messages = u.frames.filter((f) => f.type === 'message').map((f) => f.text);
    expect(messages).toEqual([notice.text, 'finally, an answer']);
    expect(anthropic.requests.filter((r) => JSON.stringify(r.body).includes('please answer eventually'))).toHaveLength(3);
  });
});
