// The config keys of context governance: defaults as documented, and references that must resolve.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../runtime/config/schema.js';
import { checkConfig } from '../../runtime/config/semantic.js';

describe('context config', () => {
  it('defaults', () => {
    const c = configSchema.parse({});
    expect(c.agents.defaults.compaction).toEqual({ reserveTokens: 20000, keepRecentTokens: 20000, memoryFlush: true });
    expect(c.memory).toEqual({ weights: { vector: 0.7, text: 0.3 } });
  });

  it.each([
    ['a built-in OpenAI', { memory: { embedding: { provider: 'openai', model: 'text-embedding-3-small' } } }, []],
    [
      'an OpenAI-compatible provider',
      {
        models: { providers: { ollama: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:11434/v1' } } },
        memory: { embedding: { provider: 'ollama', model: 'nomic-embed-text' } },
      },
      [],
    ],
    ['Anthropic (no embeddings API)', { memory: { embedding: { provider: 'anthropic', model: 'x' } } }, ['memory.embedding.provider']],
    ['an unknown provider', { memory: { embedding: { provider: 'olama', model: 'x' } } }, ['memory.embedding.provider']],
    ['both weights 0', { memory: { weights: { vector: 0, text: 0 } } }, ['memory.weights']],
  ])('memory.embedding: %s', (_l, input, paths) => {
    expect(checkConfig(configSchema.parse(input), {}, []).map((p) => p.path)).toEqual(paths);
  });
});
