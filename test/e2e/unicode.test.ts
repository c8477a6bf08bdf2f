// Text cut to a limit must never split an emoji (a UTF-16 surrogate pair): the real Anthropic API refuses a request
// holding half of one ("no low surrogate in string"), and when the half sits in the system prompt or in the
// history, every later request of the session fails. The fake refuses such requests the same way.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../fakes/gateway-fixture.js';
import { tempHome } from '../fakes/gateway-harness.js';

const web = useGateway();

const config = {
  models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: '' } } },
  agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
};
const withUrl = () => ({ ...config, models: { providers: { anthropic: { ...config.models.providers.anthropic, baseUrl: web.fake.url } } } });

describe('cuts never split an emoji', () => {
  it('a long workspace file cut for the system prompt keeps its emoji whole', async () => {
    const home = await tempHome();
    const workspace = join(home, 'workspace');
    await mkdir(workspace, { recursive: true });
    // Emoji everywhere: wherever the head/tail cut lands, it lands between or inside a pair.
    await writeFile(join(workspace, 'AGENTS.md'), 'x' + '😀'.repeat(15_000));
    await web.start({ home, config: withUrl(), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.setDefault(() => ({ text: 'fine' }));
    const alice = await web.connect('alice');
    alice.send('hello', 'q1');
    expect((await alice.reply()).text).toBe('fine');
    expect(String(web.fake.requests[0].body.system ?? JSON.stringify(web.fake.requests[0].body))).toContain('characters cut');
  });

  it('a tool result cut at the read cap keeps its emoji whole, and the session keeps working', async () => {
    const home = await tempHome();
    const workspace = join(home, 'workspace');
    await mkdir(workspace, { recursive: true });
    await writeFile(join(workspace, 'big.txt'), 'y' + '🎉'.repeat(30_000) + '\n');
    await web.start({ home, config: withUrl(), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.script('key-a', { toolCalls: [{ id: 'call_1', name: 'read', args: { path: 'big.txt' } }] }, { text: 'read it' }, { text: 'still fine' });
    const alice = await web.connect('alice');
    alice.send('read big.txt', 'q1');
    expect((await alice.reply()).text).toBe('read it');
    expect(JSON.stringify(web.fake.requests[1].body.messages)).toContain('output cut');
    alice.send('and now?', 'q2');
    expect((await alice.reply()).text).toBe('still fine');
  });
});
