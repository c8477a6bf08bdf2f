// Context governance figures: memory search over 10,000 chunks (keyword-only and hybrid), the index's build, reload
// and memory, and history assembly for a session of 5,000 transcript entries. Prints Markdown tables.
//
//   node --expose-gc --import tsx bench/context.ts [--chunks 10000] [--dims 768] [--queries 500] [--entries 5000]
//
// Everything runs in this process on a temp state directory; the embeddings come from a fake OpenAI-compatible
// server on 127.0.0.1 (deterministic vectors of --dims dimensions), so the hybrid figures hold the index's cost and
// a cached query vector, not a real embedding model's time (a query's round trip to the local fake is printed apart).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../runtime/clock.js';
import { createOpenAIEmbedder } from '../runtime/context/memory/embedder.js';
import { createMemoryIndex, type MemoryIndex } from '../runtime/context/memory/memory-index.js';
import { viewFromTranscript, viewMessages } from '../runtime/agent/history.js';
import { pruneMessages } from '../runtime/context/pruning.js';
import { configSchema } from '../runtime/config/schema.js';
import type { Logger, TranscriptEntry } from '../runtime/types/index.js';
import { createMemoryIndexStore } from '../storage/memory-index.js';
import { createTranscriptStore } from '../storage/transcripts.js';
import { markdownTable, mib, ms, summarize } from './lib/stats.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CHUNKS = arg('chunks', 10_000);
const DIMS = arg('dims', 768);
const QUERIES = arg('queries', 500);
const ENTRIES = arg('entries', 5_000);

const quiet: Logger = { info: () => {}, warn: () => {}, error: (m, d) => console.error(m, d), debug: () => {} };
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};
const rss = () => {
  gc();
  return process.memoryUsage().rss;
};

// ---- a deterministic corpus: Zipf-distributed words from a 30,000-word vocabulary whose most frequent words are
// English function words (as in real notes, where they are ~40% of the words), plus identifiers ----
let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const FUNCTION_WORDS =
  'the of and to a in is it you that was for on are with as i his they be at one have this from or had by but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more go see no way could people my than first been call who its now find long down day did get come made may part'.split(
    ' ',
  );
const V = 30_000;
const vocab = [...FUNCTION_WORDS, ...Array.from({ length: V - FUNCTION_WORDS.length }, (_, i) => `w${i.toString(36)}`)];
const cdf = new Float64Array(V);
let acc = 0;
for (let r = 0; r < V; r++) cdf[r] = acc += 1 / (r + 1);
const word = () => {
  const u = rnd() * acc;
  let lo = 0;
  let hi = V - 1;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (cdf[m]! < u) lo = m + 1;
    else hi = m;
  }
  return vocab[lo]!;
};

/** ~1,280 new characters per chunk (1,600 with 320 overlap): 20 chunks a file. */
async function writeCorpus(ws: string, chunks: number): Promise<number> {
  const files = Math.ceil(chunks / 20);
  await mkdir(join(ws, 'memory'), { recursive: true });
  for (let f = 0; f < files; f++) {
    const lines: string[] = [`# Notes ${f}`];
    let chars = 0;
    let n = 0;
    while (chars < 20 * 1280) {
      // An identifier now and then (a ticket, an order number), as notes have them.
      const line = `${Array.from({ length: 10 }, word).join(' ')}${n % 16 === 0 ? ` K${f}x${n}` : ''}`;
      n++;
      lines.push(line);
      chars += line.length + 1;
    }
    await writeFile(join(ws, 'memory', `${String(f).padStart(4, '0')}.md`), lines.join('\n'));
  }
  return files;
}

/** A fake /v1/embeddings: a pseudo-random unit vector per text (hashed), of DIMS dimensions. */
async function startEmbeddingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const vec = (text: string) => {
    let h = 2166136261;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
    let s = h || 1;
    const v = new Array<number>(DIMS);
    for (let i = 0; i < DIMS; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      v[i] = s / 4294967296 - 0.5;
    }
    return v;
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { input: string[] };
      const out = JSON.stringify({ object: 'list', data: body.input.map((t, index) => ({ object: 'embedding', index, embedding: vec(t) })) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1`, close: () => new Promise((r) => server.close(() => r())) };
}

async function memoryBench(mode: 'keyword' | 'hybrid', embedUrl: string) {
  const home = await mkdtemp(join(tmpdir(), 'sy-bench-mem-'));
  const ws = join(home, 'workspace');
  const files = await writeCorpus(ws, CHUNKS);
  const make = () =>
    createMemoryIndex({
      agentId: 'main',
      workspace: ws,
      store: createMemoryIndexStore(home, () => {}),
      embedder: mode === 'hybrid' ? createOpenAIEmbedder({ providerId: 'bench', baseUrl: embedUrl, model: 'fake' }) : undefined,
      weights: { vector: 0.7, text: 0.3 },
      clock: systemClock,
      log: quiet,
    });
  const before = heap();
  const rssBefore = rss();
  let index: MemoryIndex | undefined = make();
  let t = performance.now();
  await index.sync();
  const buildMs = performance.now() - t;
  t = performance.now();
  await index.flush(); // the background save of the whole index
  const saveMs = performance.now() - t;
  const size = await index.size();
  const held = heap() - before;
  const rssHeld = rss() - rssBefore;

  // One query in five is an identifier; the others are two content words (ranks 150-5,150) and one word as it
  // comes (often a frequent one: the worst case for a keyword index, which scores every chunk holding it).
  const content = () => vocab[150 + Math.floor(rnd() * 5000)]!;
  const queries = Array.from({ length: QUERIES }, (_, i) => (i % 5 === 0 ? `K${i % files}x${16 * (i % 20)}` : `${content()} ${content()} ${word()}`));
  // Query vectors are cached after the first search of a query: warm them (and the JIT) first.
  const embedTimes: number[] = [];
  for (const q of queries) {
    const s = performance.now();
    await index.searchIndexed(q, { maxResults: 6, includePrivate: true });
    embedTimes.push(performance.now() - s);
  }
  const times: number[] = [];
  for (const q of queries) {
    const s = performance.now();
    await index.searchIndexed(q, { maxResults: 6, includePrivate: true });
    times.push(performance.now() - s);
  }
  const syncTimes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const s = performance.now();
    await index.sync();
    syncTimes.push(performance.now() - s);
  }
  await index.flush();
  index = undefined;
  gc();
  const again = make();
  t = performance.now();
  await again.sync();
  const reloadMs = performance.now() - t;
  await again.flush();
  await rm(home, { recursive: true, force: true });
  return { mode, size, buildMs, saveMs, held, rssHeld, search: summarize(times), first: summarize(embedTimes), sync: summarize(syncTimes), reloadMs };
}

function transcriptEntries(n: number): TranscriptEntry[] {
  const out: TranscriptEntry[] = [];
  let id = 0;
  const next = () => `e${id++}`;
  for (let r = 0; out.length < n; r++) {
    const runId = `run-${r}`;
    out.push({
      type: 'message',
      id: next(),
      ts: r,
      runId,
      message: { role: 'user', text: `question ${r} ${Array.from({ length: 40 }, word).join(' ')}` },
      inboundIds: [`in-${r}`],
    });
    out.push({
      type: 'message',
      id: next(),
      ts: r,
      runId,
      message: { role: 'assistant', text: '', toolCalls: [{ id: `c${r}`, name: 'read', args: { path: `notes/${r}.md` } }] },
    });
    out.push({
      type: 'message',
      id: next(),
      ts: r,
      runId,
      message: { role: 'tool', results: [{ callId: `c${r}`, name: 'read', content: Array.from({ length: 300 }, word).join(' ') }] },
    });
    out.push({ type: 'message', id: next(), ts: r, runId, message: { role: 'assistant', text: Array.from({ length: 60 }, word).join(' ') } });
    out.push({ type: 'event', id: next(), ts: r, runId, name: 'run-end', data: { status: 'ok' } });
    if (r === 500) out.push({ type: 'compaction', id: next(), summary: 'an earlier summary', firstKeptEntryId: 'e2000', tokensBefore: 1, tokensAfter: 1, ts: r });
  }
  return out.slice(0, n);
}

async function historyBench() {
  const home = await mkdtemp(join(tmpdir(), 'sy-bench-hist-'));
  const store = createTranscriptStore(home, () => {});
  await store.create({ sessionId: 'bench', sessionKey: 'agent:main:main', agentId: 'main', createdAt: 0 });
  const entries = transcriptEntries(ENTRIES + 5 * 60);
  for (const e of entries.slice(0, ENTRIES)) await store.append('main', 'bench', e);
  const settings = configSchema.parse({}).agents.defaults.contextPruning;
  const cold: number[] = [];
  const warm: number[] = [];
  const assemble: number[] = [];
  const total: number[] = [];
  let kept = 0;
  let next = ENTRIES;
  for (let i = 0; i < 60; i++) {
    // Cold: the first read of the session in this process (a new store: nothing parsed yet).
    let t0 = performance.now();
    await createTranscriptStore(home, () => {}).read('main', 'bench');
    const coldMs = performance.now() - t0;
    // Warm: what a run does: a turn (5 entries) was appended since the previous read.
    for (const e of entries.slice(next, next + 5)) await store.append('main', 'bench', e);
    next += 5;
    t0 = performance.now();
    const got = await store.read('main', 'bench');
    const t1 = performance.now();
    const history = viewMessages(viewFromTranscript(got, ['next']));
    const sent = pruneMessages(history, { settings, windowTokens: 200_000, systemChars: 20_000 }).messages;
    const t2 = performance.now();
    kept = sent.length;
    if (i >= 10) {
      cold.push(coldMs);
      warm.push(t1 - t0);
      assemble.push(t2 - t1);
      total.push(t2 - t0);
    }
  }
  await rm(home, { recursive: true, force: true });
  return { cold: summarize(cold), warm: summarize(warm), assemble: summarize(assemble), total: summarize(total), kept };
}

const embed = await startEmbeddingServer();
try {
  console.log(
    `Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, ${CHUNKS} chunks, ${DIMS} dims, ${QUERIES} queries`,
  );
  const rows: string[][] = [];
  for (const mode of ['keyword', 'hybrid'] as const) {
    const r = await memoryBench(mode, embed.url);
    rows.push([
      mode,
      `${r.size.chunks} / ${r.size.files}`,
      `${ms(r.search.p50)} / ${ms(r.search.p99)}`,
      mode === 'hybrid' ? `${ms(r.first.p50)} / ${ms(r.first.p99)}` : 'n/a',
      ms(r.sync.p50),
      `${(r.buildMs / 1000).toFixed(1)} s + ${(r.saveMs / 1000).toFixed(1)} s`,
      ms(r.reloadMs, 0),
      `${mib(r.held)} / ${mib(r.rssHeld)}`,
    ]);
  }
  console.log(
    markdownTable(
      [
        'mode',
        'chunks / files',
        'search p50 / p99',
        'first search of a query (embeds it) p50 / p99',
        'sync, nothing changed (p50)',
        'build from scratch + save',
        'reload after restart',
        'index heap / RSS growth',
      ],
      rows,
    ),
  );
  const h = await historyBench();
  console.log(`\nHistory assembly, ${ENTRIES} transcript entries (a compaction among them; ${h.kept} messages sent):`);
  console.log(
    markdownTable(
      ['step', 'p50', 'p99'],
      [
        ['first read of the session (whole JSONL parsed)', ms(h.cold.p50), ms(h.cold.p99)],
        ["a run's read (5 entries appended since the last)", ms(h.warm.p50), ms(h.warm.p99)],
        ['view (runs, compaction) + pruning', ms(h.assemble.p50), ms(h.assemble.p99)],
        ["a run's history assembly: read + view + pruning", ms(h.total.p50), ms(h.total.p99)],
      ],
    ),
  );
} finally {
  await embed.close();
}
