// Provider over the Anthropic Messages API (@anthropic-ai/sdk), streaming. SDK retries are off: the failover
// layer owns retries. Never throws: every failure ends the stream with a typed `error` event.
import type { default as Anthropic, ClientOptions } from '@anthropic-ai/sdk';
import type { MessageCreateParamsStreaming, MessageDeltaUsage, RawMessageStreamEvent, Usage as AnthropicUsage } from '@anthropic-ai/sdk/resources/messages';
import { systemClock, type Clock } from '../clock.js';
import type { Credential, ModelRequest, Provider, ProviderEvent, StopReason, ToolCall, Usage } from '../types/provider.js';
import { fromAnthropicStopReason, toAnthropicMessages, toAnthropicTools } from './anthropic-messages.js';
import { drainModelStream, type StreamAccumulator } from './drain.js';
import { createClientCache } from './client-cache.js';
import { decodeToolCall } from './tool-args.js';

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

// The SDK is imported on the first call, not at start: it is about a third of the gateway's start-up time and
// ~10 MB of memory, and a gateway that never calls Anthropic should not pay for it (see bench/README.md).
let sdk: Promise<typeof Anthropic> | undefined;
const loadSdk = (): Promise<typeof Anthropic> => (sdk ??= import('@anthropic-ai/sdk').then((m) => m.default));
const DEFAULT_MAX_TOKENS = 4096;
const DEFAULT_TIMEOUT_MS = 120_000;

export interface AnthropicProviderOptions {
  id: string;
  baseUrl?: string;
  fetch?: ClientOptions['fetch'];
  /** Time allowed for the response to start, and for each gap between stream events. */
  timeoutMs?: number;
  /** max_tokens when the request names none (the API requires one). */
  defaultMaxTokens?: number;
  clock?: Clock;
}

export function createAnthropicProvider(opts: AnthropicProviderOptions): Provider {
  const baseUrl = opts.baseUrl ?? ANTHROPIC_BASE_URL;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const clock = opts.clock ?? systemClock;
  const cached = createClientCache<Anthropic>();

  function clientFor(cred: Credential): Promise<Anthropic> {
    return cached(`${cred.mode}\u0000${cred.secret}`, async () => {
      const Anthropic = await loadSdk();
      // Passing exactly one credential in code keeps the SDK from reading ANTHROPIC_* variables or the
      // on-disk profile chain: which credential is used is decided by our auth profiles only.
      // SDK 1.x sends `apiKey` as `Authorization: Bearer`; an API key goes in `x-api-key` instead, the
      // documented header that Anthropic-compatible servers (proxies, other vendors) also expect, and a
      // token (OAuth / bearer) stays in Authorization.
      return new Anthropic({
        ...(cred.mode === 'token' ? { authToken: cred.secret } : { apiKey: cred.secret, defaultHeaders: { 'x-api-key': cred.secret, Authorization: null } }),
        baseURL: baseUrl,
        maxRetries: 0,
        timeout: timeoutMs,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      });
    });
  }

  async function* stream(req: ModelRequest): AsyncGenerator<ProviderEvent, void, undefined> {
    if (!req.credential) {
      yield {
        type: 'error',
        error: { kind: 'auth', message: `${opts.id}: no credential given for ${baseUrl} (an Anthropic API needs a key or token)` },
      };
      return;
    }
    const credential = req.credential;
    const params: MessageCreateParamsStreaming = {
      model: req.model,
      max_tokens: req.maxTokens ?? opts.defaultMaxTokens ?? DEFAULT_MAX_TOKENS,
      messages: toAnthropicMessages(req.messages),
      stream: true,
      ...(req.system !== '' ? { system: req.system } : {}),
      ...(req.tools.length > 0 ? { tools: toAnthropicTools(req.tools) } : {}),
    };
    yield* drainModelStream({
      providerId: opts.id,
      clock,
      idleMs: timeoutMs,
      signal: req.signal,
      open: async (signal) => (await clientFor(credential)).messages.create(params, { signal }),
      accumulator: new Accumulator(),
      unfinished: 'the stream ended before message_stop (connection dropped?)',
    });
  }

  return { id: opts.id, api: 'anthropic-messages', keyOptional: false, stream };
}

type Block = { kind: 'text' } | { kind: 'tool'; id: string; name: string; json: string; initial: unknown } | { kind: 'other' };

/** Folds the raw SSE events of one message into text, tool calls, usage and stop reason. */
class Accumulator implements StreamAccumulator<RawMessageStreamEvent> {
  private blocks = new Map<number, Block>();
  private text = '';
  private toolCalls: ToolCall[] = [];
  private usage: Usage = { inputTokens: 0, outputTokens: 0 };
  private stop: StopReason = 'other';
  finished = false;

  /** Returns a text delta to pass on, if the event carried one. */
  add(ev: RawMessageStreamEvent): string | undefined {
    switch (ev.type) {
      case 'message_start': {
        // Anthropic-compatible servers (proxies, other vendors) may leave usage out of either event.
        const u = ev.message.usage as AnthropicUsage | undefined;
        this.usage = { inputTokens: u ? inputTokens(u) : 0, outputTokens: u?.output_tokens ?? 0 };
        return undefined;
      }
      case 'content_block_start': {
        const b = ev.content_block;
        if (b.type === 'tool_use') {
          this.blocks.set(ev.index, { kind: 'tool', id: b.id, name: b.name, json: '', initial: b.input });
        } else if (b.type === 'text') {
          this.blocks.set(ev.index, { kind: 'text' });
          if (b.text) return this.appendText(b.text);
        } else {
          this.blocks.set(ev.index, { kind: 'other' }); // thinking and server-tool blocks are not passed on
        }
        return undefined;
      }
      case 'content_block_delta': {
        const block = this.blocks.get(ev.index);
        if (ev.delta.type === 'text_delta' && block?.kind === 'text') return this.appendText(ev.delta.text);
        if (ev.delta.type === 'input_json_delta' && block?.kind === 'tool') block.json += ev.delta.partial_json;
        return undefined;
      }
      case 'content_block_stop': {
        const block = this.blocks.get(ev.index);
        if (block?.kind === 'tool') {
          // Without deltas the whole input arrived in content_block_start.
          const raw = block.json !== '' ? block.json : JSON.stringify(block.initial ?? {});
          this.toolCalls.push(decodeToolCall(block.id, block.name, raw));
        }
        return undefined;
      }
      case 'message_delta': {
        this.stop = fromAnthropicStopReason(ev.delta.stop_reason);
        const u = ev.usage as MessageDeltaUsage | undefined;
        this.usage.outputTokens = u?.output_tokens ?? this.usage.outputTokens;
        if (u?.input_tokens != null) {
          this.usage.inputTokens = u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
        }
        return undefined;
      }
      case 'message_stop':
        this.finished = true;
        return undefined;
      default:
        return undefined;
    }
  }

  done(): ProviderEvent {
    return { type: 'done', text: this.text, toolCalls: this.toolCalls, usage: this.usage, stopReason: this.stop };
  }

  private appendText(t: string): string {
    this.text += t;
    return t;
  }
}

/** Everything the prompt cost, cached or not: what /context and compaction need to know. */
function inputTokens(u: AnthropicUsage): number {
  return (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
}
