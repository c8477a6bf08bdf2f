// The context budget through the whole gateway: the window from config or built in, usage as the provider reported
// it for the last call (else the estimate), shown by /status and /context list.
import { describe, expect, it } from 'vitest';
import { useGateway } from '../fakes/gateway-fixture.js';

const web = useGateway();
const env = { ANTHROPIC_API_KEY: 'key-a' };

function config(model = 'claude-test', providerExtra: Record<string, unknown> = {}) {
  return {
    models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url, ...providerExtra } } },
    agents: { defaults: { model: { primary: `anthropic/${model}` } } },
    commands: { ownerAllowFrom: ['webchat:alice'] },
  };
}

describe('context budget', () => {
  it('/status and /context show the tokens the provider reported against the built-in window', async () => {
    await web.start({ config: config(), env });
    web.fake.script('key-a', { text: 'hello', usage: { input: 150_000, output: 50 } });
    const alice = await web.connect('alice');
    alice.send('hi');
    expect((await alice.reply()).text).toBe('hello');
    alice.send('/status');
    expect((await alice.reply()).text).toContain('Context: 150,050 / 200,000 tokens (75%, reported by the provider for the last call)');
    alice.send('/context list');
    const ctx = (await alice.reply()).text!;
    expect(ctx).toContain('Model: anthropic/claude-test (window 200,000 tokens, built in)');
    expect(ctx).toContain('Used: 150,050 / 200,000 tokens (75%, reported by the provider for the last call)');
  });

  it('a per-model window overrides the provider one; without reported tokens usage is estimated', async () => {
    await web.start({ config: config('local-model', { contextWindow: 8000, models: { 'local-model': { contextWindow: 4000 } } }), env });
    web.fake.script('key-a', { text: 'x'.repeat(3000), usage: { input: 0, output: 0 } });
    const alice = await web.connect('alice');
    alice.send('hi');
    await alice.reply();
    alice.send('/context list');
    const ctx = (await alice.reply()).text!;
    expect(ctx).toContain('Model: anthropic/local-model (window 4,000 tokens, from models.providers.<p>.models.<m>)');
    const used = Number(/Used: ([\d,]+) \/ 4,000 tokens \(\d+%, estimate: chars ÷ 4\)/.exec(ctx)?.[1]?.replace(/,/g, ''));
    // The 3,000-character answer alone is 750 tokens; the system prompt and tool schemas add the rest.
    expect(used).toBeGreaterThan(750);
  });
});
