// One memory index per agent workspace, created on first use, with the embedder memory.embedding names. Without
// one, search is keyword-only, which the log says once.
import type { Clock } from '../../clock.js';
import type { Config } from '../../config/schema.js';
import { resolveCredentials } from '../../providers/credentials.js';
import { OPENAI_BASE_URL } from '../../providers/openai.js';
import type { Logger } from '../../types/channel.js';
import type { MemoryIndexStore } from '../../types/storage.js';
import { createOpenAIEmbedder, type Embedder } from './embedder.js';
import { createMemoryIndex, type MemoryIndex } from './memory-index.js';

export interface MemoryServiceDeps {
  config: () => Config;
  env: NodeJS.ProcessEnv;
  store: MemoryIndexStore;
  clock: Clock;
  log: Logger;
  fetch?: typeof globalThis.fetch;
}

/** The embedder memory.embedding configures, or undefined (keyword-only). */
export function embedderFor(config: Config, env: NodeJS.ProcessEnv, fetch?: typeof globalThis.fetch): Embedder | undefined {
  const e = config.memory.embedding;
  if (!e) return undefined;
  const p = config.models.providers[e.provider];
  const envBase = env.OPENAI_BASE_URL?.trim();
  const baseUrl = p?.baseUrl ?? (e.provider === 'openai' ? envBase || OPENAI_BASE_URL : undefined);
  if (!baseUrl) return undefined;
  const apiKey = resolveCredentials(config, env).get(e.provider)?.[0]?.secret;
  return createOpenAIEmbedder({ providerId: e.provider, baseUrl, model: e.model, apiKey, fetch });
}

export function createMemoryService(deps: MemoryServiceDeps) {
  const indexes = new Map<string, MemoryIndex>();
  let told = false;
  return {
    /** The index of an agent's workspace (one per agent and workspace, kept for the process). */
    indexFor(agentId: string, workspace: string): MemoryIndex {
      const key = `${agentId}\0${workspace}`;
      let index = indexes.get(key);
      if (!index) {
        const config = deps.config();
        const embedder = embedderFor(config, deps.env, deps.fetch);
        if (!told) {
          told = true;
          if (embedder) deps.log.info('memory search is hybrid (keyword + vectors)', { embeddings: embedder.label });
          else {
            deps.log.info(
              'memory search is keyword-only (BM25): set memory.embedding { provider, model } to a provider with an OpenAI-compatible /v1/embeddings (OpenAI, Ollama) for hybrid search',
            );
          }
        }
        index = createMemoryIndex({ agentId, workspace, store: deps.store, embedder, weights: config.memory.weights, clock: deps.clock, log: deps.log });
        indexes.set(key, index);
      }
      return index;
    },
    /** Waits for the indexes' background saves (at shutdown). */
    async flush(): Promise<void> {
      await Promise.all([...indexes.values()].map((i) => i.flush()));
    },
  };
}

export type MemoryService = ReturnType<typeof createMemoryService>;
