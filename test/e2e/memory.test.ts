// Memory through the whole gateway: MEMORY.md only in the owner's private session (not in a group), memory_search
// and memory_get as tools the model calls (hybrid with the fake OpenAI embeddings, keyword-only without), the index
// in the state directory.
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useGateway } from '../fakes/gateway-fixture.js';
import { tempHome } from '../fakes/gateway-harness.js';
import { GROUP, OWNER, requestText, startTelegramGateway, type TelegramGateway } from '../fakes/telegram-gateway.js';

async function seed(ws: string) {
  await mkdir(join(ws, 'memory'), { recursive: true });
  await writeFile(join(ws, 'MEMORY.md'), '# Private\n\nSECRET-FLOWERPOT: the spare key is under the blue flowerpot.\n');
  await writeFile(join(ws, 'memory', '2026-01-02.md'), '# Friday\n\nOpened ticket INC-48213 about the flaky deploy script.\n');
  await writeFile(join(ws, 'memory', '2026-01-03.md'), '# Saturday\n\nThe car needs new brakes before the trip to Porto.\n');
}

describe('MEMORY.md privacy (Telegram)', () => {
  let g: TelegramGateway | undefined;
  afterEach(async () => {
    await g?.stop();
    g = undefined;
  });

  it("is in the owner's DM prompt, never in a group's; memory tools there leave it out", async () => {
    const home = await tempHome();
    await seed(join(home, 'workspace'));
    g = await startTelegramGateway({ home });
    g.dm(OWNER, 'hello');
    await g.sent((m) => m.chatId === OWNER);
    expect(String(g.model.requests[0]!.body.system)).toContain('SECRET-FLOWERPOT');

    g.model.script(
      'key-a',
      {
        toolCalls: [
          { id: 'call_s', name: 'memory_search', args: { query: 'spare key flowerpot' } },
          { id: 'call_g', name: 'memory_get', args: { path: 'MEMORY.md' } },
        ],
      },
      { text: 'nothing to share' },
    );
    g.inTopic(OWNER, 7, 'where is the key?');
    await g.sent((m) => m.chatId === GROUP && m.text === 'nothing to share');
    const groupReqs = g.model.requests.slice(1);
    expect(String(groupReqs[0]!.body.system)).not.toContain('SECRET-FLOWERPOT');
    const after = requestText(groupReqs[1]!.body);
    expect(after).not.toContain('SECRET-FLOWERPOT');
    expect(after).toContain('MEMORY.md is private to the owner');
  });
});

describe('memory tools (web chat)', () => {
  const web = useGateway({ openai: true });
  const config = (embeddings: boolean) => ({
    models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url }, local: { api: 'openai-completions', baseUrl: web.openai.url } } },
    agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
    ...(embeddings ? { memory: { embedding: { provider: 'local', model: 'embed-test' } } } : {}),
  });

  it('memory_search finds a paraphrase by vector; the index lives in the state directory', async () => {
    const home = await tempHome();
    await seed(join(home, 'workspace'));
    const h = await web.start({ home, config: config(true), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.script('key-a', { toolCalls: [{ id: 'call_s', name: 'memory_search', args: { query: 'automobile maintenance' } }] }, { text: 'brakes, before Porto' });
    const alice = await web.connect('alice');
    alice.send('what did I say about my automobile maintenance?');
    expect((await alice.reply()).text).toBe('brakes, before Porto');
    const result = requestText(web.fake.requests[1]!.body);
    expect(result).toMatch(/result(s)? \(keyword \+ vector\)/);
    expect(result).toContain('memory/2026-01-03.md:1-4');
    expect(result).toContain('brakes');
    expect(web.openai.extra.requests.length).toBeGreaterThan(0);
    await access(join(h.home, 'memory-index', 'main.json'));
    expect(h.log.lines.some((l) => l.msg === 'memory search is hybrid (keyword + vectors)')).toBe(true);
  });

  it('without memory.embedding search is keyword-only, said once in the log; memory_get reads lines', async () => {
    const home = await tempHome();
    await seed(join(home, 'workspace'));
    const h = await web.start({ home, config: config(false), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.script(
      'key-a',
      { toolCalls: [{ id: 'c1', name: 'memory_search', args: { query: 'INC-48213' } }] },
      { toolCalls: [{ id: 'c2', name: 'memory_search', args: { query: 'automobile maintenance' } }] },
      { toolCalls: [{ id: 'c3', name: 'memory_get', args: { path: 'memory/2026-01-02.md', from: 3, lines: 1 } }] },
      { text: 'done' },
    );
    const alice = await web.connect('alice');
    alice.send('look it up');
    expect((await alice.reply()).text).toBe('done');
    const texts = web.fake.requests.map((r) => requestText(r.body));
    expect(texts[1]).toContain('memory/2026-01-02.md:1-4');
    expect(texts[1]).toContain('(keyword only)');
    expect(texts[2]).toContain('No memory matches \\"automobile maintenance\\" (keyword only)');
    expect(texts[3]).toContain('memory/2026-01-02.md:3-3\\nOpened ticket INC-48213');
    expect(h.log.lines.filter((l) => /memory search is keyword-only/.test(l.msg))).toHaveLength(1);
    expect(web.openai.extra.requests).toHaveLength(0);
  });
});
