// Provider over OpenAI Chat Completions (the `openai` SDK), streaming. Works against OpenAI-compatible
// servers (Ollama, llama.cpp, vLLM) through baseUrl; those may need no key. SDK retries are off: the
// failover layer owns retries. Never throws: every failure ends the stream with a typed `error` event.
import { randomBytes } from 'node:crypto';
import type { default as OpenAI, ClientOptions } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { systemClock, type Clock } from '../clock.js';
import type { Credential, ModelError, ModelRequest, Provider, ProviderEvent, StopReason, ToolCall, Usage } from '../types/provider.js';
import { drainModelStream, type StreamAccumulator } from './drain.js';
import { createClientCache } from './client-cache.js';
import { fromOpenAIFinishReason, toOpenAIMessages, toOpenAITools } from './openai-messages.js';
import { decodeToolCall } from './tool-args.js';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
const DEFAULT_TIMEOUT_MS = 120_000;
// The SDK is imported on the first call, not at start (start-up time and memory; see bench/README.md).
let sdk: Promise<typeof OpenAI> | undefined;
const loadSdk = (): Promise<typeof OpenAI> => (sdk ??= import('openai').then((m) => m.default));
/** Local servers accept any key but the SDK insists on one. */
const NO_KEY = 'no-key';

export interface OpenAIProviderOptions {
  id: string;
  baseUrl?: string;
  fetch?: ClientOptions['fetch'];
  /** Time allowed for the response to start, and for each gap between stream chunks. */
  timeoutMs?: number;
  defaultMaxTokens?: number;
  /**
   * Which body field carries the token limit. OpenAI's own API wants `max_completion_tokens` (newer models
   * refuse `max_tokens`); compatible servers generally know only `max_tokens`. Default: by base URL.
   */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  clock?: Clock;
}

function isOfficialOpenAI(baseUrl: string): boolean {
  try {
    return new URL(baseUrl).hostname === 'api.openai.com';
  } catch {
    return false; // an unparsable URL is not OpenAI's; the SDK reports it on the first call
  }
}

export function createOpenAIProvider(opts: OpenAIProviderOptions): Provider {
  const baseUrl = opts.baseUrl ?? OPENAI_BASE_URL;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const clock = opts.clock ?? systemClock;
  const official = isOfficialOpenAI(baseUrl);
  const maxTokensField = opts.maxTokensField ?? (official ? 'max_completion_tokens' : 'max_tokens');
  const cached = createClientCache<OpenAI>();

  function clientFor(cred: Credential | undefined): Promise<OpenAI> {
    const secret = cred?.secret ?? NO_KEY;
    return cached(secret, async () => {
      const OpenAI = await loadSdk();
      // Explicit nulls keep the SDK from picking up OPENAI_ORG_ID / OPENAI_PROJECT_ID / OPENAI_ADMIN_KEY:
      // what is sent is decided by our config only.
      return new OpenAI({
        apiKey: secret,
        adminAPIKey: null,
        organization: null,
        project: null,
        baseURL: baseUrl,
        maxRetries: 0,
        timeout: timeoutMs,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      });
    });
  }

  async function* stream(req: ModelRequest): AsyncGenerator<ProviderEvent, void, undefined> {
    const maxTokens = req.maxTokens ?? opts.defaultMaxTokens;
    const params: ChatCompletionCreateParamsStreaming = {
      model: req.model,
      messages: toOpenAIMessages(req.system, req.messages),
      stream: true,
      stream_options: { include_usage: true },
      ...(maxTokens !== undefined ? { [maxTokensField]: maxTokens } : {}),
      ...(req.tools.length > 0 ? { tools: toOpenAITools(req.tools) } : {}),
    };
    yield* drainModelStream({
      providerId: opts.id,
      clock,
      idleMs: timeoutMs,
      signal: req.signal,
      open: async (signal) => (await clientFor(req.credential)).chat.completions.create(params, { signal }),
      accumulator: new ChunkAccumulator(),
      unfinished: 'the stream ended without a finish_reason (connection dropped?)',
      refineThrown: (e) => withBaseUrlHint(e, baseUrl),
    });
  }

  return { id: opts.id, api: 'openai-completions', keyOptional: !official, stream };
}

/**
 * A 404 that is not about the model ("404 page not found") means the URL has no Chat Completions endpoint: most
 * often a base URL without its /v1 (`http://127.0.0.1:11434` for Ollama). Say so, since the server's text does not.
 */
function withBaseUrlHint(error: ModelError, baseUrl: string): ModelError {
  if (error.status !== 404 || /model/i.test(error.message)) return error;
  const hint = `check the base URL ${baseUrl}: it must be the API root that serves /chat/completions, usually ending in /v1 (Ollama: http://127.0.0.1:11434/v1)`;
  return { ...error, message: `${error.message} — ${hint}` };
}

/**
 * For a server that sends no call id: unique across the session's turns, so tool events, audit lines and the
 * history sent later never show two calls under one id (`call_0` in every round did), and shaped as a valid
 * Anthropic tool_use id should the session fail over to Anthropic.
 */
function generatedCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

function isCompleteJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false; // not yet: more argument pieces are to come
  }
}

interface PendingCall {
  id: string;
  name: string;
  args: string;
}

/** Folds streamed chunks into text, tool calls (assembled by index), usage and finish reason. */
class ChunkAccumulator implements StreamAccumulator<ChatCompletionChunk> {
  private text = '';
  private calls = new Map<number, PendingCall>();
  private usage: Usage = { inputTokens: 0, outputTokens: 0 };
  private stop: StopReason = 'other';
  private lastIndex: number | undefined;
  finished = false;

  /**
   * Which call a tool-call delta belongs to. Some compatible servers omit `index` (older Ollama sends each call
   * whole, often one per chunk): then a known id continues its call, a new id or a name starts a new call, and a
   * bare arguments piece continues the call in progress.
   */
  private indexOf(d: ChatCompletionChunk.Choice.Delta.ToolCall): number {
    if (typeof d.index === 'number') return d.index;
    if (d.id) {
      for (const [i, c] of this.calls) if (c.id === d.id) return i;
    } else if (this.lastIndex !== undefined) {
      const current = this.calls.get(this.lastIndex)!;
      const name = d.function?.name;
      if (!name || (name === current.name && !isCompleteJson(current.args))) return this.lastIndex;
    }
    return this.calls.size === 0 ? 0 : Math.max(...this.calls.keys()) + 1;
  }

  add(chunk: ChatCompletionChunk): string | undefined {
    if (chunk.usage) {
      this.usage = { inputTokens: chunk.usage.prompt_tokens ?? 0, outputTokens: chunk.usage.completion_tokens ?? 0 };
    }
    const choice = chunk.choices?.[0];
    if (!choice) return undefined;
    for (const d of choice.delta?.tool_calls ?? []) {
      const index = this.indexOf(d);
      const call = this.calls.get(index) ?? { id: '', name: '', args: '' };
      if (d.id) call.id = d.id;
      const name = d.function?.name;
      if (name && name !== call.name) call.name = call.name === '' ? name : call.name + name;
      // Arguments are JSON text; a few servers send the object itself.
      const args: unknown = d.function?.arguments;
      if (typeof args === 'string') call.args += args;
      else if (typeof args === 'object' && args !== null) call.args += JSON.stringify(args);
      this.calls.set(index, call);
      this.lastIndex = index;
    }
    if (choice.finish_reason) {
      this.stop = fromOpenAIFinishReason(choice.finish_reason);
      this.finished = true;
    }
    const content = choice.delta?.content;
    if (typeof content === 'string' && content !== '') {
      this.text += content;
      return content;
    }
    return undefined;
  }

  done(): ProviderEvent {
    const toolCalls: ToolCall[] = [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => decodeToolCall(c.id || generatedCallId(), c.name, c.args));
    // Servers that return tool calls with finish_reason "stop" (some local ones) still asked for tools.
    const stopReason = toolCalls.length > 0 && this.stop === 'end' ? 'tool_use' : this.stop;
    return { type: 'done', text: this.text, toolCalls, usage: this.usage, stopReason };
  }
}
