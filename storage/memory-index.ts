// memory-index/<agentId>.json: the memory search index of an agent (what files were indexed, at which hash, their
// chunks and the keyword index), replaced atomically; memory-index/embeddings/<key>.jsonl: embeddings by content
// hash, appended as they are computed and rewritten when most of them are stale. Both can be deleted at any time:
// the index is rebuilt from the memory files (and the embeddings asked for again).
import { readFile } from 'node:fs/promises';
import type { MemoryIndexStore, StoredEmbedding } from '../runtime/types/storage.js';
import { appendLinesNow, defaultLog, isErrno, isRecord, readJsonl, serialised, writeFileAtomicNow, type Log } from './jsonl.js';
import { statePaths } from './paths.js';

export function createMemoryIndexStore(home: string, log: Log = defaultLog): MemoryIndexStore {
  const paths = statePaths(home);
  return {
    async load(agentId) {
      const file = paths.memoryIndex(agentId);
      try {
        return JSON.parse(await serialised(file, () => readFile(file, 'utf8'))) as unknown;
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return undefined;
        log(`storage: ${file} could not be read (${err instanceof Error ? err.message : String(err)}); the memory index is rebuilt`);
        return undefined;
      }
    },
    save(agentId, snapshot) {
      const file = paths.memoryIndex(agentId);
      // Serialised now, not when the write's turn comes: the caller may change the object meanwhile.
      const text = JSON.stringify(snapshot);
      return serialised(file, () => writeFileAtomicNow(file, text));
    },
    async loadEmbeddings(key) {
      const file = paths.embeddingCache(key);
      const lines = await serialised(file, () => readJsonl(file, log));
      const out: StoredEmbedding[] = [];
      for (const { value } of lines ?? []) {
        if (isRecord(value) && typeof value.hash === 'string' && typeof value.vector === 'string') out.push({ hash: value.hash, vector: value.vector });
      }
      return out;
    },
    appendEmbeddings(key, entries) {
      if (entries.length === 0) return Promise.resolve();
      const file = paths.embeddingCache(key);
      const lines = entries.map((e) => JSON.stringify({ hash: e.hash, vector: e.vector }));
      return serialised(file, () => appendLinesNow(file, lines, { create: true, sync: false, log }));
    },
    rewriteEmbeddings(key, entries) {
      const file = paths.embeddingCache(key);
      const text = entries.map((e) => JSON.stringify({ hash: e.hash, vector: e.vector }) + '\n').join('');
      return serialised(file, () => writeFileAtomicNow(file, text));
    },
  };
}
