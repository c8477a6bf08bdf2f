// The search index of one agent's memory files: chunks in a MiniSearch keyword index (BM25) and, when an embedding
// provider is configured, their vectors; a search merges both (weights vector 0.7 / text 0.3 by default). It lives
// in the state directory (storage's MemoryIndexStore) and is brought up to date before every search, file by file:
// a file whose size and time are unchanged is not read, one whose content hash is unchanged is not re-chunked, and
// a chunk whose content was embedded before (by any file, in any earlier run) is not embedded again.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import MiniSearch, { type AsPlainObject } from 'minisearch';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../types/channel.js';
import type { MemoryIndexStore, StoredEmbedding } from '../../types/storage.js';
import { chunkText } from './chunk.js';
import type { Embedder } from './embedder.js';
import { listMemoryFiles, MEMORY_FILE } from './files.js';
import { dot, fromBase64, toBase64 } from './vectors.js';

const VERSION = 1;
/** After an embedding failure, how long searches stay keyword-only before embeddings are tried again. */
const EMBED_RETRY_MS = 60_000;
const SNIPPET_CHARS = 700;
const QUERY_CACHE = 200;

export interface MemoryHit {
  path: string;
  startLine: number;
  endLine: number;
  score: number;
  snippet: string;
}

export interface MemorySearchResult {
  hits: MemoryHit[];
  /** 'hybrid' when vectors took part in this search; 'keyword' otherwise. */
  mode: 'hybrid' | 'keyword';
}

interface ChunkRec {
  path: string;
  startLine: number;
  endLine: number;
  hash: string;
  text: string;
}

interface FileRec {
  size: number;
  mtimeMs: number;
  hash: string;
  chunks: string[];
}

interface Snapshot {
  version: number;
  nextId: number;
  files: Record<string, FileRec>;
  chunks: Record<string, ChunkRec>;
  keyword: AsPlainObject;
}

// Words too common to say anything about a chunk, and costly: a keyword search scores every chunk holding one.
const STOP = new Set(
  (
    'a about after all also am an and any are as at be been but by can could did do does for from had has have he her ' +
    'him his how i if in into is it its just me more my no not now of on one only or other our out she so some than ' +
    'that the their them then there these they this to too up us very was we were what when which who will with would ' +
    'you your'
  ).split(' '),
);

const miniSearchOptions = {
  fields: ['text'],
  processTerm: (term: string) => {
    const t = term.toLowerCase();
    return STOP.has(t) ? null : t;
  },
};

export interface MemoryIndexDeps {
  agentId: string;
  workspace: string;
  store: MemoryIndexStore;
  embedder?: Embedder;
  weights: { vector: number; text: number };
  clock: Clock;
  log: Logger;
}

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

export function createMemoryIndex(deps: MemoryIndexDeps) {
  const { log, clock } = deps;
  let state: { snap: Snapshot; ms: MiniSearch } | undefined;
  let loading: Promise<{ snap: Snapshot; ms: MiniSearch }> | undefined;
  const vectors = new Map<string, Float32Array>(); // content hash → vector
  const queryVectors = new Map<string, Float32Array>();
  let embedDownUntil = 0;
  let embedCacheSize = 0;
  let syncing: Promise<void> | undefined;
  // Saving serialises the whole keyword index (a second or more at 10,000 chunks on a Pi), so a search does not
  // wait for it: a change marks the index dirty and one background save at a time writes it. A crash before it
  // costs only re-chunking the files changed since the last save (found by their hashes; embeddings are cached).
  let dirty = false;
  let saving: Promise<void> | undefined;
  // The chunks that have a vector, as one list (no object walk or map lookup per chunk in a search); rebuilt after
  // a change.
  let rows: { id: string; vec: Float32Array; priv: boolean }[] | undefined;

  async function open(): Promise<{ snap: Snapshot; ms: MiniSearch }> {
    if (state) return state;
    loading ??= (async () => {
      const raw = (await deps.store.load(deps.agentId)) as Partial<Snapshot> | undefined;
      let snap: Snapshot = { version: VERSION, nextId: 1, files: {}, chunks: {}, keyword: undefined as unknown as AsPlainObject };
      let ms: MiniSearch | undefined;
      if (raw && raw.version === VERSION && raw.keyword && raw.files && raw.chunks) {
        try {
          ms = await MiniSearch.loadJSAsync(raw.keyword, miniSearchOptions);
          snap = raw as Snapshot;
        } catch (err) {
          log.warn('the saved memory index could not be loaded; rebuilding it', { agentId: deps.agentId, err });
        }
      }
      if (deps.embedder) {
        const cached = await deps.store.loadEmbeddings(deps.embedder.key);
        embedCacheSize = cached.length;
        for (const e of cached) {
          const v = fromBase64(e.vector);
          if (v) vectors.set(e.hash, v);
        }
      }
      state = { snap, ms: ms ?? new MiniSearch(miniSearchOptions) };
      return state;
    })().finally(() => (loading = undefined));
    return loading;
  }

  /** Brings the index up to date with the files; concurrent callers share one pass. */
  function sync(): Promise<void> {
    syncing ??= syncNow().finally(() => (syncing = undefined));
    return syncing;
  }

  async function syncNow(): Promise<void> {
    const { snap, ms } = await open();
    const files = await listMemoryFiles(deps.workspace);
    let changed = false;
    const present = new Set<string>();
    for (const f of files) {
      present.add(f.rel);
      const known = snap.files[f.rel];
      if (known && known.size === f.size && known.mtimeMs === f.mtimeMs) continue;
      let text: string;
      try {
        text = await readFile(f.abs, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile: next sync drops it
        throw err;
      }
      const hash = hashText(text);
      if (known && known.hash === hash) {
        snap.files[f.rel] = { ...known, size: f.size, mtimeMs: f.mtimeMs };
        changed = true;
        continue;
      }
      if (known) drop(snap, ms, f.rel);
      const ids: string[] = [];
      const docs = chunkText(text).map((c) => {
        const id = `c${snap.nextId++}`;
        ids.push(id);
        snap.chunks[id] = { path: f.rel, startLine: c.startLine, endLine: c.endLine, hash: hashText(c.text), text: c.text };
        return { id, text: c.text };
      });
      ms.addAll(docs);
      snap.files[f.rel] = { size: f.size, mtimeMs: f.mtimeMs, hash, chunks: ids };
      changed = true;
    }
    for (const rel of Object.keys(snap.files)) {
      if (!present.has(rel)) {
        drop(snap, ms, rel);
        changed = true;
      }
    }
    await embedMissing(snap);
    if (changed) {
      rows = undefined;
      dirty = true;
      saving ??= saveWhileDirty().finally(() => (saving = undefined));
    }
  }

  async function saveWhileDirty(): Promise<void> {
    while (dirty && state) {
      dirty = false;
      const { snap, ms } = state;
      // Wait for a sync in progress: what is saved is always a state between syncs (files match their hashes).
      if (syncing) await syncing.catch(() => {});
      try {
        await deps.store.save(deps.agentId, { ...snap, keyword: ms.toJSON() });
      } catch (err) {
        log.error('the memory index could not be saved; it is rebuilt from the files when needed', { agentId: deps.agentId, err });
        return;
      }
    }
  }

  function drop(snap: Snapshot, ms: MiniSearch, rel: string) {
    for (const id of snap.files[rel]?.chunks ?? []) {
      if (ms.has(id)) ms.discard(id);
      delete snap.chunks[id];
    }
    delete snap.files[rel];
  }

  async function embedMissing(snap: Snapshot): Promise<void> {
    const embedder = deps.embedder;
    if (!embedder || clock.now() < embedDownUntil) return;
    const missing = new Map<string, string>();
    for (const c of Object.values(snap.chunks)) if (!vectors.has(c.hash)) missing.set(c.hash, c.text);
    if (missing.size === 0) return;
    const hashes = [...missing.keys()];
    let got: Float32Array[];
    try {
      got = await embedder.embed([...missing.values()]);
    } catch (err) {
      embeddingsDown(err);
      return;
    }
    const fresh: StoredEmbedding[] = hashes.map((h, i) => {
      vectors.set(h, got[i]!);
      return { hash: h, vector: toBase64(got[i]!) };
    });
    embedCacheSize += fresh.length;
    rows = undefined;
    // The cache only grows on disk; once it holds far more than the files need, it is rewritten with what they do.
    const live = new Set(Object.values(snap.chunks).map((c) => c.hash));
    if (embedCacheSize > 2 * live.size + 1000) {
      for (const h of [...vectors.keys()]) if (!live.has(h)) vectors.delete(h);
      const all = [...vectors].map(([hash, v]) => ({ hash, vector: toBase64(v) }));
      await deps.store.rewriteEmbeddings(embedder.key, all);
      embedCacheSize = all.length;
    } else await deps.store.appendEmbeddings(embedder.key, fresh);
  }

  function embeddingsDown(err: unknown) {
    if (embedDownUntil === 0 || clock.now() >= embedDownUntil) {
      log.warn('memory embeddings failed; memory search is keyword-only until they work again', {
        agentId: deps.agentId,
        err: err instanceof Error ? err.message : String(err),
      });
    }
    embedDownUntil = clock.now() + EMBED_RETRY_MS;
  }

  async function queryVector(query: string): Promise<Float32Array | undefined> {
    const embedder = deps.embedder;
    if (!embedder || clock.now() < embedDownUntil) return undefined;
    const hit = queryVectors.get(query);
    if (hit) return hit;
    try {
      const [v] = await embedder.embed([query]);
      if (queryVectors.size >= QUERY_CACHE) queryVectors.delete(queryVectors.keys().next().value as string);
      queryVectors.set(query, v!);
      if (embedDownUntil !== 0) {
        embedDownUntil = 0;
        log.info('memory embeddings work again; memory search is hybrid', { agentId: deps.agentId });
      }
      return v;
    } catch (err) {
      embeddingsDown(err);
      return undefined;
    }
  }

  /** Searches the index as it is (no sync): what the benchmark measures, and what search() does after syncing. */
  async function searchIndexed(query: string, opts: { maxResults: number; includePrivate: boolean }): Promise<MemorySearchResult> {
    const { snap, ms } = await open();
    const allowed = (id: string) => {
      const c = snap.chunks[id];
      return c !== undefined && (opts.includePrivate || c.path !== MEMORY_FILE);
    };
    const pool = Math.max(opts.maxResults * 5, 50);
    const scores = new Map<string, { text: number; vector: number }>();
    const keyword = ms
      .search(query, { combineWith: 'OR' })
      .filter((r) => allowed(String(r.id)))
      .slice(0, pool);
    const top = keyword[0]?.score ?? 0;
    for (const r of keyword) scores.set(String(r.id), { text: top > 0 ? r.score / top : 0, vector: 0 });

    const qv = await queryVector(query);
    let mode: MemorySearchResult['mode'] = 'keyword';
    if (qv) {
      mode = 'hybrid';
      const best: { id: string; s: number }[] = [];
      let floor = -Infinity;
      rows ??= Object.entries(snap.chunks).flatMap(([id, c]) => {
        const vec = vectors.get(c.hash);
        return vec ? [{ id, vec, priv: c.path === MEMORY_FILE }] : [];
      });
      for (const { id, vec, priv } of rows) {
        if (priv && !opts.includePrivate) continue;
        const s = dot(qv, vec);
        if (best.length >= pool && s <= floor) continue;
        best.push({ id, s });
        if (best.length > pool * 2) {
          best.sort((a, b) => b.s - a.s);
          best.length = pool;
          floor = best[best.length - 1]!.s;
        }
      }
      best.sort((a, b) => b.s - a.s);
      for (const { id, s } of best.slice(0, pool)) {
        const e = scores.get(id) ?? { text: 0, vector: 0 };
        e.vector = Math.max(0, s);
        scores.set(id, e);
      }
    }
    const w = deps.weights;
    const ranked = [...scores]
      .map(([id, s]) => ({ id, score: qv ? w.vector * s.vector + w.text * s.text : s.text }))
      .filter((r) => r.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, opts.maxResults);
    return {
      mode,
      hits: ranked.map(({ id, score }) => {
        const c = snap.chunks[id]!;
        return { path: c.path, startLine: c.startLine, endLine: c.endLine, score: Math.round(score * 1000) / 1000, snippet: c.text.slice(0, SNIPPET_CHARS) };
      }),
    };
  }

  return {
    sync,
    searchIndexed,
    async search(query: string, opts: { maxResults: number; includePrivate: boolean }): Promise<MemorySearchResult> {
      await sync();
      return searchIndexed(query, opts);
    },
    /** Waits for a background save (at shutdown). */
    async flush(): Promise<void> {
      while (saving) await saving;
    },
    /** Chunks and vectors held (for /context and the benchmark). */
    async size(): Promise<{ files: number; chunks: number; vectors: number }> {
      const { snap } = await open();
      return { files: Object.keys(snap.files).length, chunks: Object.keys(snap.chunks).length, vectors: vectors.size };
    },
  };
}

export type MemoryIndex = ReturnType<typeof createMemoryIndex>;
