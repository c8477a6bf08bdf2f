// memory.embedding must name a provider that serves OpenAI's /v1/embeddings (OpenAI itself, Ollama, llama.cpp,
// any openai-completions entry of models.providers), so a typo fails at start instead of at the first search.
import type { ConfigProblem } from './errors.js';
import type { Config } from './schema.js';

export function checkMemory(config: Config): ConfigProblem[] {
  const e = config.memory.embedding;
  const problems: ConfigProblem[] = [];
  if (e) {
    const p = config.models.providers[e.provider];
    const speaksOpenAI = p ? p.api === 'openai-completions' : e.provider === 'openai';
    if (!speaksOpenAI) {
      const ids = [
        'openai',
        ...Object.entries(config.models.providers)
          .filter(([, v]) => v.api === 'openai-completions')
          .map(([k]) => k),
      ];
      problems.push({
        path: 'memory.embedding.provider',
        expected: `a provider with an OpenAI-compatible /v1/embeddings endpoint (${[...new Set(ids)].join(', ')})`,
        found: JSON.stringify(e.provider) + (p ? ` (api ${p.api})` : ' (not in models.providers)'),
      });
    }
  }
  const w = config.memory.weights;
  if (w.vector + w.text <= 0) problems.push({ path: 'memory.weights', expected: 'a vector or text weight above 0', found: JSON.stringify(w) });
  return problems;
}
