// What the agent loop calls to talk to a model: it names candidates (primary, then fallbacks) and gets one
// event stream back. This simple caller uses the first candidate with its first credential (tests, benchmarks);
// the gateway's caller with credential rotation, cooldowns and the fallback chain is
// runtime/failover/caller.ts (createFailoverModelCaller), behind the same interface.
import type { Credential, ModelError, ModelErrorKind, ModelMessage, ModelRef, Provider, ProviderEvent, ToolSpec } from '../types/provider.js';
import { formatModelRef } from '../types/provider.js';

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

export interface ModelCallerDeps {
  providers: Map<string, Provider>;
  credentials: Map<string, Credential[]>;
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

/** Picks provider and credential for a model, or says precisely why it cannot. */
export function selectTarget(
  deps: ModelCallerDeps,
  ref: ModelRef,
): { provider: Provider; credential: Credential | undefined } | { error: ModelError } {
  const name = formatModelRef(ref);
  const provider = deps.providers.get(ref.provider);
  if (!provider) {
    return {
      error: {
        kind: 'bad_request',
        message: `model ${name}: no provider '${ref.provider}' — add models.providers.${ref.provider} or fix agents.defaults.model.primary`,
      },
    };
  }
  const credential = deps.credentials.get(ref.provider)?.[0];
  if (!credential && !provider.keyOptional) {
    return {
      error: { kind: 'auth', message: `model ${name}: no credential for provider '${ref.provider}' — ${missingCredentialHint(ref.provider)}` },
    };
  }
  return { provider, credential };
}

export function createSimpleModelCaller(deps: ModelCallerDeps): ModelCaller {
  return {
    async *stream(req) {
      const ref = req.candidates[0];
      if (!ref) {
        yield { type: 'error', error: { kind: 'bad_request', message: 'no model configured — set agents.defaults.model.primary' } };
        return;
      }
      const target = selectTarget(deps, ref);
      if ('error' in target) {
        yield { type: 'error', error: target.error };
        return;
      }
      try {
        yield* target.provider.stream({
          model: ref.model,
          system: req.system,
          messages: req.messages,
          tools: req.tools,
          maxTokens: req.maxTokens,
          credential: target.credential,
          signal: req.signal,
        });
      } catch (err) {
        // Providers must not throw; if one does anyway (a bug), the run still gets a typed error to report.
        const why = err instanceof Error ? err.message : String(err);
        yield { type: 'error', error: { kind: 'server_error', message: `provider '${ref.provider}' threw: ${why}` } };
      }
    },
  };
}
