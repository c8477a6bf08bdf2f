// Provider over OpenAI Chat Completions (the `openai` SDK), streaming. Works against OpenAI-compatible
// servers (Ollama, llama.cpp, vLLM) through baseUrl; those may need no key. SDK retries are off: the
// failover layer owns retries. Never throws: every failure ends the stream with a typed `error` event.
import type { default as OpenAI, ClientOptions } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { systemClock, type Clock } from '../clock.js';
import type { Credential, ModelRequest, Provider, ProviderEvent, StopReason, ToolCall, Usage } from '../types/provider.js';
import { createCallControl } from './call-control.js';
import { modelErrorForReason, modelErrorFromThrown } from './errors.js';
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
  const clients = new Map<string, OpenAI>();

  async function clientFor(cred: Credential | undefined): Promise<OpenAI> {
    const secret = cred?.secret ?? NO_KEY;
    let client = clients.get(secret);
    if (!client) {
      const OpenAI = await loadSdk();
      const raced = clients.get(secret); // another call created it while the SDK loaded
      if (raced) return raced;
      // Explicit nulls keep the SDK from picking up OPENAI_ORG_ID / OPENAI_PROJECT_ID / OPENAI_ADMIN_KEY:
      // what is sent is decided by our config only.
      client = new OpenAI({
        apiKey: secret,
        adminAPIKey: null,
        organization: null,
        project: null,
        baseURL: baseUrl,
        maxRetries: 0,
        timeout: timeoutMs,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      });
      clients.set(secret, client);
    }
    return client;
  }

  async function* stream(req: ModelRequest): AsyncGenerator<ProviderEvent, void, undefined> {
    const control = createCallControl(clock, timeoutMs, req.signal);
    const maxTokens = req.maxTokens ?? opts.defaultMaxTokens;
    const params: ChatCompletionCreateParamsStreaming = {
      model: req.model,
      messages: toOpenAIMessages(req.system, req.messages),
      stream: true,
      stream_options: { include_usage: true },
      ...(maxTokens !== undefined ? { [maxTokensField]: maxTokens } : {}),
      ...(req.tools.length > 0 ? { tools: toOpenAITools(req.tools) } : {}),
    };
    const acc = new ChunkAccumulator();
    try {
      const chunks = await (await clientFor(req.credential)).chat.completions.create(params, { signal: control.signal });
      for await (const chunk of chunks) {
        control.touch();
        const delta = acc.add(chunk);
        if (delta !== undefined) yield { type: 'text', delta };
      }
      const reason = control.reason();
      if (reason) {
        yield { type: 'error', error: modelErrorForReason(reason, timeoutMs, opts.id) };
      } else if (!acc.finished) {
        yield {
          type: 'error',
          error: { kind: 'server_error', message: `${opts.id}: the stream ended without a finish_reason (connection dropped?)` },
        };
      } else {
        yield acc.done();
      }
    } catch (err) {
      yield { type: 'error', error: modelErrorFromThrown(err, control.reason(), clock.now(), opts.id) };
    } finally {
      control.dispose();
    }
  }

  return { id: opts.id, api: 'openai-completions', keyOptional: !official, stream };
}

interface PendingCall {
  id: string;
  name: string;
  args: string;
}

/** Folds streamed chunks into text, tool calls (assembled by index), usage and finish reason. */
class ChunkAccumulator {
  private text = '';
  private calls = new Map<number, PendingCall>();
  private usage: Usage = { inputTokens: 0, outputTokens: 0 };
  private stop: StopReason = 'other';
  finished = false;

  add(chunk: ChatCompletionChunk): string | undefined {
    if (chunk.usage) {
      this.usage = { inputTokens: chunk.usage.prompt_tokens ?? 0, outputTokens: chunk.usage.completion_tokens ?? 0 };
    }
    const choice = chunk.choices?.[0];
    if (!choice) return undefined;
    (choice.delta?.tool_calls ?? []).forEach((d, position) => {
      // Some compatible servers omit `index` and send each call whole; fall back to its position.
      const index = typeof d.index === 'number' ? d.index : position;
      const call = this.calls.get(index) ?? { id: '', name: '', args: '' };
      if (d.id) call.id = d.id;
      const name = d.function?.name;
      if (name && name !== call.name) call.name = call.name === '' ? name : call.name + name;
      if (d.function?.arguments) call.args += d.function.arguments;
      this.calls.set(index, call);
    });
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
    const toolCalls: ToolCall[] = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => decodeToolCall(c.id || `call_${index}`, c.name, c.args));
    // Servers that return tool calls with finish_reason "stop" (some local ones) still asked for tools.
    const stopReason = toolCalls.length > 0 && this.stop === 'end' ? 'tool_use' : this.stop;
    return { type: 'done', text: this.text, toolCalls, usage: this.usage, stopReason };
  }
}
