// The providers a gateway can call, by id. `anthropic` and `openai` always exist (base URLs from
// ANTHROPIC_BASE_URL / OPENAI_BASE_URL when set); `models.providers` entries add more (e.g. `ollama` with
// api openai-completions and a local baseUrl) or override the built-ins.
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { Provider, ProviderApi } from '../types/provider.js';
import { ANTHROPIC_BASE_URL, createAnthropicProvider } from './anthropic.js';
import { createOpenAIProvider, OPENAI_BASE_URL } from './openai.js';

export type ProvidersConfig = Config['models']['providers'];

/** Injected for tests and benchmarks; production passes nothing. */
export interface ProviderRuntimeOptions {
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  clock?: Clock;
}

interface ProviderSpec {
  api: ProviderApi;
  baseUrl?: string;
  maxTokens?: number;
}

export function createProviders(config: ProvidersConfig, env: NodeJS.ProcessEnv, runtime: ProviderRuntimeOptions = {}): Map<string, Provider> {
  const specs = new Map<string, ProviderSpec>([
    ['anthropic', { api: 'anthropic-messages', baseUrl: nonEmpty(env.ANTHROPIC_BASE_URL) ?? ANTHROPIC_BASE_URL }],
    ['openai', { api: 'openai-completions', baseUrl: nonEmpty(env.OPENAI_BASE_URL) ?? OPENAI_BASE_URL }],
  ]);
  for (const [id, p] of Object.entries(config)) {
    const builtIn = specs.get(id);
    // A built-in entry without baseUrl keeps its default (or env) URL, so `models.providers.anthropic`
    // can set maxTokens alone.
    const inheritUrl = builtIn && builtIn.api === p.api ? builtIn.baseUrl : undefined;
    specs.set(id, { api: p.api, baseUrl: p.baseUrl ?? inheritUrl, maxTokens: p.maxTokens });
  }
  const providers = new Map<string, Provider>();
  for (const [id, spec] of specs) providers.set(id, createProvider(id, spec, runtime));
  return providers;
}

function createProvider(id: string, spec: ProviderSpec, runtime: ProviderRuntimeOptions): Provider {
  const common = {
    id,
    ...(spec.baseUrl !== undefined ? { baseUrl: spec.baseUrl } : {}),
    ...(spec.maxTokens !== undefined ? { defaultMaxTokens: spec.maxTokens } : {}),
    ...(runtime.fetch ? { fetch: runtime.fetch } : {}),
    ...(runtime.timeoutMs !== undefined ? { timeoutMs: runtime.timeoutMs } : {}),
    ...(runtime.clock ? { clock: runtime.clock } : {}),
  };
  return spec.api === 'anthropic-messages' ? createAnthropicProvider(common) : createOpenAIProvider(common);
}

function nonEmpty(s: string | undefined): string | undefined {
  return s && s.trim() !== '' ? s.trim() : undefined;
}
