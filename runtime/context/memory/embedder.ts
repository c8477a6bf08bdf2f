// Embeddings from an OpenAI-compatible POST <baseUrl>/embeddings (OpenAI, Ollama, llama.cpp, LM Studio, vLLM).
// Plain fetch: the request is one JSON body, and the float format every such server speaks is asked for.
import { createHash } from 'node:crypto';
import { normalise } from './vectors.js';

export interface Embedder {
  /** Names the provider and model: vectors of different models are never mixed (the cache is per key). */
  readonly key: string;
  readonly label: string;
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

export interface EmbedderOptions {
  providerId: string;
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

/** Inputs per request, and the characters of one input sent (a chunk is ~1,600; a query is short). */
const BATCH = 32;
const MAX_INPUT_CHARS = 8_000;

export class EmbeddingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EmbeddingError';
  }
}

export function createOpenAIEmbedder(opts: EmbedderOptions): Embedder {
  const url = `${opts.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const doFetch = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const label = `${opts.providerId}/${opts.model}`;
  const key = `${label.replace(/[^a-z0-9_-]+/gi, '_').slice(0, 80)}-${createHash('sha256').update(`${label}\0${url}`).digest('hex').slice(0, 8)}`;

  async function batch(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
        body: JSON.stringify({ model: opts.model, input: texts.map((t) => t.slice(0, MAX_INPUT_CHARS)) }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      throw new EmbeddingError(`${label}: ${url} could not be reached (${err instanceof Error ? err.message : String(err)})`);
    }
    const text = await res.text();
    if (!res.ok) throw new EmbeddingError(`${label}: ${url} answered ${res.status}: ${errorMessage(text)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new EmbeddingError(`${label}: ${url} did not answer JSON`);
    }
    const data = (body as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length !== texts.length) throw new EmbeddingError(`${label}: expected ${texts.length} embeddings in "data"`);
    const out: Float32Array[] = new Array(texts.length);
    data.forEach((d: { index?: unknown; embedding?: unknown }, i) => {
      const at = typeof d.index === 'number' ? d.index : i;
      const e = d.embedding;
      if (!Array.isArray(e) || e.length === 0 || !e.every((x) => typeof x === 'number' && Number.isFinite(x)) || at < 0 || at >= texts.length) {
        throw new EmbeddingError(`${label}: embedding ${i} is not a list of numbers`);
      }
      out[at] = normalise(e as number[]);
    });
    const dims = out[0]?.length;
    if (out.some((v) => v === undefined || v.length !== dims)) throw new EmbeddingError(`${label}: embeddings of different lengths`);
    return out;
  }

  return {
    key,
    label,
    async embed(texts, signal) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += BATCH) out.push(...(await batch(texts.slice(i, i + BATCH), signal)));
      return out;
    },
  };
}

function errorMessage(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: { message?: unknown } | string }).error;
    const m = typeof e === 'string' ? e : e?.message;
    if (typeof m === 'string') return m.slice(0, 200);
  } catch {
    // not JSON: an HTML page from a proxy, say
  }
  return text.replace(/\s+/g, ' ').slice(0, 200);
}
