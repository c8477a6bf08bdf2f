// What the agent loop calls to talk to a model: it names candidates (primary, then fallbacks) and gets one
// event stream back. The gateway's implementation, with credential rotation, cooldowns and the fallback chain,
// is runtime/failover/caller.ts (createFailoverModelCaller).
import type { ModelError, ModelErrorKind, ModelMessage, ModelRef, ProviderEvent, ToolSpec } from '../types/provider.js';

export interface ModelCallRequest {
  runId: string;
  sessionKey: string;
  agentId: string;
  /** Primary first, then fallbacks. */
  candidates: ModelRef[];
  system: string;
  messages: ModelMessage[];
  tools: ToolSpec[];
  signal?: AbortSignal;
  maxTokens?: number;
}

export type ModelCallEvent =
  | ProviderEvent
  /**
   * The call moved to another profile or model (`<provider>/<model>@<profileId>`). Text deltas streamed since the
   * call began (or since the previous failover) came from an attempt that failed: consumers showing them reset.
   */
  | { type: 'failover'; from: string; to: string; reason: ModelErrorKind }
  | { type: 'unavailable'; retryAt: number; error: ModelError };

export interface ModelCaller {
  stream(req: ModelCallRequest): AsyncIterable<ModelCallEvent>;
}

/** What to set so that `provider` has a credential; used in the error a user sees. */
export function missingCredentialHint(providerId: string): string {
  const profile = `auth.profiles ("${providerId}:main": { provider: "${providerId}", mode: "api_key", key: "…" })`;
  if (providerId === 'anthropic') return `set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN), or add ${profile}`;
  if (providerId === 'openai') {
    return `set OPENAI_API_KEY, or add ${profile}, or set OPENAI_BASE_URL to a local OpenAI-compatible server (Ollama, llama.cpp) that needs no key`;
  }
  return `set models.providers.${providerId}.apiKey, or add ${profile}`;
}
