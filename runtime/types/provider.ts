// The contract between the agent loop / failover and model providers (Anthropic, OpenAI, OpenAI-compatible).
// A provider never throws for model or network errors: its stream ends with a typed `error` event.

export type ProviderApi = 'anthropic-messages' | 'openai-completions';

export type ModelErrorKind =
  | 'rate_limit' // 429
  | 'overloaded' // 529 / 503
  | 'auth' // 401
  | 'auth_permanent' // 403
  | 'billing' // 402, credit / quota messages
  | 'timeout'
  | 'server_error' // other 5xx, network failures
  | 'context_overflow'
  | 'bad_request'
  | 'aborted';

export interface ModelError {
  kind: ModelErrorKind;
  message: string;
  status?: number;
  /** From a retry-after header, when the server sent one. */
  retryAfterMs?: number;
}

export interface ToolCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
  /**
   * Set when the model's arguments were not a JSON object (e.g. cut off by max_tokens); `args` is then `{}`.
   * The tool runner should answer the model with this message instead of running the tool.
   */
  argsError?: string;
}

export interface ToolResultMessage {
  callId: string;
  name: string;
  content: string;
  isError?: boolean;
}

export type ModelMessage = { role: 'user'; text: string } | { role: 'assistant'; text: string; toolCalls?: ToolCall[] } | { role: 'tool'; results: ToolResultMessage[] };

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface Credential {
  /** `<provider>:<name>` of the auth profile this came from. */
  profileId: string;
  mode: 'api_key' | 'token';
  secret: string;
}

export interface ModelRequest {
  /** Model name as the provider knows it (without the `<provider>/` prefix). */
  model: string;
  system: string;
  messages: ModelMessage[];
  tools: ToolSpec[];
  maxTokens?: number;
  credential?: Credential;
  signal?: AbortSignal;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export type StopReason = 'end' | 'tool_use' | 'max_tokens' | 'other';

export type ProviderEvent =
  | { type: 'text'; delta: string }
  | { type: 'done'; text: string; toolCalls: ToolCall[]; usage: Usage; stopReason: StopReason }
  | { type: 'error'; error: ModelError };

export interface Provider {
  /** Provider id from config (`anthropic`, `openai`, `ollama`, …). */
  readonly id: string;
  readonly api: ProviderApi;
  /** True when the server may need no credential (a local OpenAI-compatible server such as Ollama). */
  readonly keyOptional?: boolean;
  stream(req: ModelRequest): AsyncIterable<ProviderEvent>;
}

/** `<provider>/<model>`, e.g. `anthropic/claude-sonnet-4-5`. */
export interface ModelRef {
  provider: string;
  model: string;
}

export function parseModelRef(s: string): ModelRef | null {
  const i = s.indexOf('/');
  if (i <= 0 || i === s.length - 1) return null;
  return { provider: s.slice(0, i), model: s.slice(i + 1) };
}

export function formatModelRef(r: ModelRef): string {
  return `${r.provider}/${r.model}`;
}
