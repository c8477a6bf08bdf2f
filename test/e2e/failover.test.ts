// Self-healing through the whole gateway: keys rotate, a fallback model answers, and when every candidate is cooling
// down the user gets one short notice, the message stays queued and is answered exactly once after the cooldown.
import { describe, expect, it } from 'vitest';
import { RETRY_BASE_MS } from '../../runtime/failover/caller.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { useGateway } from '../fakes/gateway-fixture.js';

const web = useGateway({ openai: true });

const config = (extra: Record<string, unknown> = {}) => ({
  models: {
    providers: {
      anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url },
      openai: { api: 'openai-completions', baseUrl: web.openai.url },
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

const rateLimited = { status: 429, headers: { 'retry-after': '30' } };

describe('self-healing model access through the gateway', () => {
  it('key A rate-limited → key B answers; /status shows A cooling, never a secret', async () => {
    await web.start({ config: config() });
    web.fake.script('key-a', rateLimited);
    web.fake.script('key-b', { text: 'answered by B' });
    const owner = await web.connect('owner');
    owner.send('hello');
    expect((await owner.reply()).text).toBe('answered by B');
    expect(web.fake.requests.map((r) => r.key)).toEqual(['key-a', 'key-b']);

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
    await web.start({ config: cfg, env: { OPENAI_API_KEY: 'sk-openai-test' } });
    web.fake.script('key-a', rateLimited);
    web.fake.script('key-b', rateLimited);
    web.openai.script('sk-openai-test', { text: 'answered by the fallback' });
    const u = await web.connect('u1');
    u.send('hello');
    expect((await u.reply()).text).toBe('answered by the fallback');
    expect(web.openai.requests[0].body.model).toBe('gpt-test');
  });

  it('all unavailable → one notice, the message stays queued, answered once after the cooldown', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    const h = await web.start({ config: config(), clock });
    web.fake.script('key-a', rateLimited);
    web.fake.script('key-b', rateLimited);
    const u = await web.connect('u1');
    u.send('please answer eventually');
    const notice = await u.reply();
    expect(notice.text).toMatch(/unavailable right now \(rate limited\)/);
    expect(notice.text).toMatch(/12:01 UTC/); // the 1-minute cooldown beats retry-after 30 s
    expect(web.fake.requests).toHaveLength(2);

    // Nothing is retried before the cooldown ends.
    await clock.advance(30_000);
    expect(web.fake.requests).toHaveLength(2);

    web.fake.script('key-a', { text: 'finally, an answer' });
    await clock.advance(31_000);
    const answer = await u.reply();
    expect(answer.text).toBe('finally, an answer');
    await h.gw.gateway.lanes.idle();
    const messages = u.frames.filter((f) => f.type === 'message').map((f) => f.text);
    expect(messages).toEqual([notice.text, 'finally, an answer']);
    expect(web.fake.requests.filter((r) => JSON.stringify(r.body).includes('please answer eventually'))).toHaveLength(3);
  });

  // One bad response from the only key's server used to cool the key down and answer every chat "all models
  // unavailable" for a minute. Now the turn retries after a short pause and the user gets the answer.
  const oneKey = () => config({ auth: { profiles: { 'anthropic:a': { provider: 'anthropic', mode: 'api_key', key: 'key-a' } } } });
  it.each([
    ['HTTP 500', { status: 500 }],
    ['HTTP 529 overloaded', { status: 529 }],
    ['a stream cut off mid-answer', { text: 'half an answer', drop: true }],
    ['a malformed stream', { raw: ['event: message_start\ndata: {"type":"message_start","message":{oops\n\n'] }],
    ['an empty 200', { raw: [''], status: 200 }],
  ] as const)('one fault (%s) on the only key → the user still gets the answer, and so does the next user', async (_name, fault) => {
    const clock = new FakeClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    await web.start({ config: oneKey(), clock });
    web.fake.script('key-a', fault as never, { text: 'the answer after all' });
    const u = await web.connect('u1');
    u.send('hello');
    // The retry waits on the gateway's clock: move it on in small steps until the answer is there.
    let answered: string | undefined;
    void u.reply().then((f) => (answered = f.text));
    while (answered === undefined) {
      await clock.advance(RETRY_BASE_MS / 5);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(answered).toBe('the answer after all');
    const other = await web.connect('u2');
    other.send('and me?');
    expect((await other.reply()).text).not.toMatch(/unavailable/);
    expect(u.frames.filter((f) => f.type === 'message').map((f) => f.text)).toEqual(['the answer after all']);
  });
});
