// The memory index against a real fake OpenAI /v1/embeddings on 127.0.0.1 and the real storage: keyword hits,
// paraphrase hits by vector, incremental updates by file hash, the embedding cache, restarts, privacy of MEMORY.md
// and the fall-back to keyword-only search.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chunkText } from '../../runtime/context/memory/chunk.js';
import { createOpenAIEmbedder } from '../../runtime/context/memory/embedder.js';
import { createMemoryIndex } from '../../runtime/context/memory/memory-index.js';
import { isMemoryPath } from '../../runtime/context/memory/files.js';
import { createMemoryIndexStore } from '../../storage/memory-index.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { startFakeOpenAI, type FakeModelServer } from '../fakes/fake-openai.js';
import { memoryLogger } from '../fakes/gateway-harness.js';

describe('chunks', () => {
  it('~1,600 characters each, cut at line ends, overlapping by up to ~320, with line ranges', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${String(i + 1).padStart(3, '0')} ${'w'.repeat(60)}`);
    const chunks = chunkText(lines.join('\n'));
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(1600);
    expect(chunks[0]!.startLine).toBe(1);
    expect(chunks.at(-1)!.endLine).toBe(100);
    for (let i = 1; i < chunks.length; i++) {
      const overlap = chunks[i - 1]!.endLine - chunks[i]!.startLine + 1;
      expect(overlap).toBeGreaterThan(0); // shared lines…
      expect(overlap * 69).toBeLessThanOrEqual(320 + 69); // …about 320 characters' worth
      expect(chunks[i]!.text.startsWith(lines[chunks[i]!.startLine - 1]!)).toBe(true);
    }
  });

  it('a line longer than a chunk is cut into pieces; blank text gives no chunk', () => {
    const chunks = chunkText('x'.repeat(4000));
    expect(chunks.map((c) => [c.startLine, c.endLine, c.text.length])).toEqual([
      [1, 1, 1600],
      [1, 1, 1600],
      [1, 1, 800],
    ]);
    expect(chunkText('\n\n   \n')).toEqual([]);
  });

  it.each([
    ['MEMORY.md', true],
    ['memory/2026-01-01.md', true],
    ['memory/sub/notes.md', true],
    ['memory/../AGENTS.md', false],
    ['memory/x.txt', false],
    ['AGENTS.md', false],
    ['/etc/memory/x.md', false],
  ])('%s is a memory path: %s', (p, ok) => expect(isMemoryPath(p)).toBe(ok));
});

describe('memory index', () => {
  let home: string;
  let ws: string;
  let openai: FakeModelServer;
  const clock = new FakeClock();

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'sy-mem-'));
    ws = join(home, 'workspace');
    await mkdir(join(ws, 'memory'), { recursive: true });
    await writeFile(join(ws, 'memory', '2026-01-02.md'), '# Friday\n\nOpened ticket INC-48213 about the flaky deploy script.\n');
    await writeFile(join(ws, 'memory', '2026-01-03.md'), '# Saturday\n\nThe car needs new brakes before the trip to Porto.\n');
    await writeFile(join(ws, 'memory', '2026-01-04.md'), '# Sunday\n\nBaked bread; the sourdough starter is alive.\n');
    await writeFile(join(ws, 'MEMORY.md'), '# Private\n\nThe owner keeps the spare key under the blue flowerpot.\n');
    openai = await startFakeOpenAI();
  });
  const made: { flush(): Promise<void> }[] = [];
  afterEach(async () => {
    // A stopped gateway waits for the background save; so does the test before removing the directory.
    for (const i of made.splice(0)) await i.flush();
    await openai.close();
    await rm(home, { recursive: true, force: true });
  });

  const make = (opts: { embeddings?: boolean; log?: ReturnType<typeof memoryLogger> } = {}) => {
    const index = createMemoryIndex({
      agentId: 'main',
      workspace: ws,
      store: createMemoryIndexStore(home, () => {}),
      embedder: opts.embeddings === false ? undefined : createOpenAIEmbedder({ providerId: 'local', baseUrl: openai.url, model: 'embed-test' }),
      weights: { vector: 0.7, text: 0.3 },
      clock,
      log: opts.log ?? memoryLogger(),
    });
    made.push(index);
    return index;
  };
  const inputs = () => openai.extra.requests.flatMap((r) => r.body.input as string[]);

  it('keyword-only finds an exact identifier, but not a paraphrase', async () => {
    const index = make({ embeddings: false });
    const exact = await index.search('INC-48213', { maxResults: 3, includePrivate: false });
    expect(exact.mode).toBe('keyword');
    expect(exact.hits[0]).toMatchObject({ path: 'memory/2026-01-02.md', startLine: 1, endLine: 4 });
    expect((await index.search('automobile maintenance', { maxResults: 3, includePrivate: false })).hits).toEqual([]);
    expect(openai.extra.requests).toHaveLength(0);
  });

  it('hybrid finds the paraphrase by vector and still the identifier first by keyword', async () => {
    const index = make();
    const para = await index.search('automobile maintenance', { maxResults: 3, includePrivate: false });
    expect(para.mode).toBe('hybrid');
    expect(para.hits[0]).toMatchObject({ path: 'memory/2026-01-03.md', snippet: expect.stringContaining('brakes') });
    const exact = await index.search('INC-48213', { maxResults: 3, includePrivate: false });
    expect(exact.hits[0]!.path).toBe('memory/2026-01-02.md');
  });

  it('MEMORY.md is searched only in the private session', async () => {
    const index = make();
    const shared = await index.search('spare key flowerpot', { maxResults: 5, includePrivate: false });
    expect(shared.hits.map((h) => h.path)).not.toContain('MEMORY.md');
    const own = await index.search('spare key flowerpot', { maxResults: 5, includePrivate: true });
    expect(own.hits[0]!.path).toBe('MEMORY.md');
  });

  it('survives a restart without embedding again; a changed file is re-chunked and only its new content embedded', async () => {
    const before = make();
    await before.sync();
    await before.flush(); // what a stopping gateway does
    const first = inputs().length;
    expect(first).toBe(4);
    openai.extra.requests.length = 0;
    const again = make(); // a new process over the same state directory
    expect((await again.search('INC-48213', { maxResults: 1, includePrivate: false })).hits[0]!.path).toBe('memory/2026-01-02.md');
    expect(inputs().filter((t) => t !== 'INC-48213')).toEqual([]); // only the query was embedded
    await writeFile(join(ws, 'memory', '2026-01-04.md'), '# Sunday\n\nBaked bread; the sourdough starter is alive. Also ticket INC-99000.\n');
    openai.extra.requests.length = 0;
    const hit = await again.search('INC-99000', { maxResults: 1, includePrivate: false });
    expect(hit.hits[0]!.path).toBe('memory/2026-01-04.md');
    expect(inputs()).toEqual([expect.stringContaining('INC-99000'), 'INC-99000']);
    expect(await again.size()).toMatchObject({ files: 4, chunks: 4 });
  });

  it('embeddings are cached by content hash: the same text in two files is embedded once; a removed file leaves', async () => {
    await writeFile(join(ws, 'memory', 'copy.md'), '# Saturday\n\nThe car needs new brakes before the trip to Porto.\n');
    const index = make();
    await index.sync();
    expect(inputs().filter((t) => t.includes('brakes'))).toHaveLength(1);
    await rm(join(ws, 'memory', 'copy.md'));
    await index.sync();
    expect(await index.size()).toMatchObject({ files: 4, chunks: 4 });
  });

  it('when embeddings fail, search is keyword-only and the log says so once', async () => {
    openai.extra.down = true;
    const log = memoryLogger();
    const index = make({ log });
    const a = await index.search('INC-48213', { maxResults: 1, includePrivate: false });
    const b = await index.search('INC-48213', { maxResults: 1, includePrivate: false });
    expect([a.mode, b.mode]).toEqual(['keyword', 'keyword']);
    expect(a.hits[0]!.path).toBe('memory/2026-01-02.md');
    expect(log.lines.filter((l) => /keyword-only until they work again/.test(l.msg))).toHaveLength(1);
    openai.extra.down = false;
    await clock.advance(61_000);
    expect((await index.search('automobile maintenance', { maxResults: 1, includePrivate: false })).mode).toBe('hybrid');
  });
});
