// Pruning through the gateway: an old, long tool result is sent trimmed once the context passes the soft ratio,
// while the transcript keeps it whole.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../fakes/gateway-fixture.js';
import { tempHome } from '../fakes/gateway-harness.js';

const web = useGateway();

describe('pruning through the gateway', () => {
  it('trims an old tool result in what is sent, never in the transcript', async () => {
    const home = await tempHome();
    await mkdir(join(home, 'workspace'), { recursive: true });
    await writeFile(join(home, 'workspace', 'log.txt'), `HEAD-MARK ${'m'.repeat(12_000)} MIDDLE-MARK ${'n'.repeat(12_000)} TAIL-MARK`);
    const h = await web.start({
      home,
      env: { ANTHROPIC_API_KEY: 'key-a' },
      config: {
        models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url, models: { 'claude-test': { contextWindow: 20_000 } } } } },
        agents: { defaults: { model: { primary: 'anthropic/claude-test' }, compaction: { reserveTokens: 0 } } },
        messages: { queue: { debounceMs: 0 } },
      },
    });
    web.fake.script('key-a', { toolCalls: [{ id: 'call_1', name: 'read', args: { path: 'log.txt' } }] }, { text: 'read it' });
    web.fake.setDefault(() => ({ text: 'fine', usage: { input: 100, output: 1 } }));
    const alice = await web.connect('alice');
    for (const q of ['read log.txt', 'a', 'b', 'c']) {
      alice.send(q);
      await alice.reply();
    }
    const sent = (i: number) => JSON.stringify(web.fake.requests[i]!.body.messages);
    // While the result is within the last three assistant messages, it goes whole.
    expect(sent(2)).toContain('MIDDLE-MARK');
    const last = sent(web.fake.requests.length - 1);
    expect(last).toContain('HEAD-MARK');
    expect(last).toContain('TAIL-MARK');
    expect(last).not.toContain('MIDDLE-MARK');
    expect(last).toContain('[Tool result trimmed: kept the first 1500 and last 1500 of');
    await h.gw.gateway.lanes.idle();
    const dir = join(home, 'agents', 'main', 'sessions');
    const file = (await readdir(dir)).find((f) => f.endsWith('.jsonl'))!;
    expect(await readFile(join(dir, file), 'utf8')).toContain('MIDDLE-MARK');
  });
});
