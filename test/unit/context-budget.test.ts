import { describe, expect, it } from 'vitest';
import { configSchema } from '../../runtime/config/schema.js';
import { contextWindowFor, estimateRequestTokens, usageAfterCall } from '../../runtime/context/budget.js';

const config = configSchema.parse({
  models: {
    providers: {
      anthropic: { api: 'anthropic-messages', models: { 'claude-small': { contextWindow: 50_000 } } },
      ollama: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:11434/v1', contextWindow: 8192, models: { big: { contextWindow: 65_536 } } },
    },
  },
});

describe('context window', () => {
  it.each([
    ['anthropic', 'claude-small', 50_000, 'model'],
    ['anthropic', 'claude-sonnet-4-6', 200_000, 'built-in'],
    ['ollama', 'big', 65_536, 'model'],
    ['ollama', 'llama3.2', 8192, 'provider'],
    ['openai', 'gpt-4o-mini', 128_000, 'built-in'],
    ['openai', 'gpt-4o', 128_000, 'built-in'],
    ['openai', 'mystery-7b', 32_000, 'default'],
  ])('%s/%s → %i (%s)', (provider, model, tokens, source) => {
    expect(contextWindowFor(config, { provider, model })).toEqual({ tokens, source });
  });
});

describe('usage', () => {
  it('prefers the tokens the provider reported, input plus the answer', () => {
    expect(usageAfterCall({ inputTokens: 1000, outputTokens: 20 }, () => 5)).toEqual({ tokens: 1020, source: 'provider' });
  });
  it('estimates at chars ÷ 4 when the provider reported nothing', () => {
    const est = () => estimateRequestTokens('x'.repeat(400), [], [{ role: 'user', text: 'y'.repeat(400) }]);
    expect(usageAfterCall({ inputTokens: 0, outputTokens: 0 }, est)).toEqual({ tokens: 200, source: 'estimate' });
  });
});
