// A fake Anthropic Messages API: POST /v1/messages, streaming (SSE) and plain JSON, on 127.0.0.1.
// Point an Anthropic provider's baseUrl at `url`. Scripting and recording: see fake-model-server.ts.
import type http from 'node:http';
import {
  argPieces,
  delay,
  estimateTokens,
  splitText,
  startFakeModelServer,
  type ApiDialect,
  type FakeModelServer,
  type FakeReply,
  type FakeRequest,
  type FakeServerOptions,
  type Live,
} from './fake-model-server.js';

export type { FakeFailure, FakeModelServer, FakeRaw, FakeReply, FakeRequest, FakeResponse, FakeToolCall } from './fake-model-server.js';

const ERROR_TYPES: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'Invalid request'],
  401: ['authentication_error', 'invalid x-api-key'],
  402: ['billing_error', 'Your credit balance is too low to access the Anthropic API.'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'Not found'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'],
  500: ['api_error', 'Internal server error'],
  529: ['overloaded_error', 'Overloaded'],
};

export function anthropicErrorBody(status: number, message?: string): unknown {
  const [type, defaultMessage] = ERROR_TYPES[status] ?? (status >= 500 ? ERROR_TYPES[500]! : ERROR_TYPES[400]!);
  return { type: 'error', error: { type, message: message ?? defaultMessage } };
}

let seq = 0;

function usageOf(reply: FakeReply, req: FakeRequest): { input: number; output: number } {
  const outText = (reply.text ?? '') + JSON.stringify(reply.toolCalls ?? []);
  return {
    input: reply.usage?.input ?? estimateTokens([req.body.system, req.body.messages, req.body.tools]),
    output: reply.usage?.output ?? estimateTokens(outText),
  };
}

function stopReasonOf(reply: FakeReply): string {
  return reply.stopReason ?? ((reply.toolCalls?.length ?? 0) > 0 ? 'tool_use' : 'end_turn');
}

function sse(res: http.ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

async function writeStream(res: http.ServerResponse, reply: FakeReply, req: FakeRequest, live: Live): Promise<void> {
  const id = `msg_fake_${++seq}`;
  const usage = usageOf(reply, req);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_${id}` });
  sse(res, 'message_start', {
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model: req.body.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: usage.input, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  });
  sse(res, 'ping', { type: 'ping' });
  let index = 0;
  const pieces = splitText(reply.text ?? '', reply.chunkSize);
  const interruptsAfterFirst = reply.hang || reply.streamError || reply.drop;
  if (pieces.length > 0 || interruptsAfterFirst) {
    sse(res, 'content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    for (const [i, text] of pieces.entries()) {
      if (i > 0 && reply.deltaDelayMs) await delay(reply.deltaDelayMs);
      if (live.closed) return;
      sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
      if (i === 0 && interruptsAfterFirst) break;
    }
    if (reply.hang) {
      await live.gone;
      return;
    }
    if (reply.streamError) {
      sse(res, 'error', { type: 'error', error: reply.streamError });
      res.end();
      return;
    }
    if (reply.drop) {
      // End the TCP connection after what was written is flushed, without finishing the HTTP response.
      res.socket?.end();
      return;
    }
    sse(res, 'content_block_stop', { type: 'content_block_stop', index });
    index++;
  }
  for (const call of reply.toolCalls ?? []) {
    const callId = call.id ?? `toolu_fake_${++seq}`;
    sse(res, 'content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: callId, name: call.name, input: {} },
    });
    for (const partial_json of argPieces(call.args)) {
      sse(res, 'content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } });
    }
    sse(res, 'content_block_stop', { type: 'content_block_stop', index });
    index++;
  }
  sse(res, 'message_delta', {
    type: 'message_delta',
    delta: { stop_reason: stopReasonOf(reply), stop_sequence: null },
    usage: { output_tokens: usage.output },
  });
  sse(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

function writeJson(res: http.ServerResponse, reply: FakeReply, req: FakeRequest): void {
  const usage = usageOf(reply, req);
  const content: unknown[] = [];
  if (reply.text) content.push({ type: 'text', text: reply.text });
  for (const call of reply.toolCalls ?? []) {
    const input = typeof call.args === 'string' ? (JSON.parse(call.args) as unknown) : call.args;
    content.push({ type: 'tool_use', id: call.id ?? `toolu_fake_${++seq}`, name: call.name, input });
  }
  const body = JSON.stringify({
    id: `msg_fake_${++seq}`,
    type: 'message',
    role: 'assistant',
    model: req.body.model,
    content,
    stop_reason: stopReasonOf(reply),
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output },
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

type Block = { type?: unknown; id?: unknown; tool_use_id?: unknown; text?: unknown };

function blocksOf(content: unknown): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? (content as Block[]) : [];
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first string in `v` holding half of a surrogate pair (text cut in the middle of an emoji), if any. */
function loneSurrogatePath(v: unknown, path: string): string | undefined {
  if (typeof v === 'string') return LONE_SURROGATE.test(v) ? path : undefined;
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) {
      const p = loneSurrogatePath(x, `${path}.${i}`);
      if (p) return p;
    }
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      const p = loneSurrogatePath(x, path ? `${path}.${k}` : k);
      if (p) return p;
    }
  }
  return undefined;
}

/** The request errors the real API gives for malformed conversations (the ones a client bug would cause). */
export function validateAnthropicBody(body: Record<string, unknown>): string | undefined {
  // The real API parses strictly: a lone surrogate escape ("\ud83d" without its low half) is not valid JSON to it.
  const lone = loneSurrogatePath(body, '');
  if (lone) return `The request body is not valid JSON: no low surrogate in string (at ${lone})`;
  if (typeof body.model !== 'string' || body.model === '') return 'model: Field required';
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return 'messages: at least one message is required';
  for (const [i, m] of (messages as { role?: unknown; content?: unknown }[]).entries()) {
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const blocks = blocksOf(m.content);
    if (blocks.length === 0) return `messages.${i}: all messages must have non-empty content`;
    if (blocks.some((b) => b.type === 'text' && b.text === '')) return `messages.${i}: text content blocks must be non-empty`;
    if (m.role === 'assistant') {
      const ids = blocks.filter((b) => b.type === 'tool_use').map((b) => String(b.id));
      if (ids.length === 0) continue;
      const next = messages[i + 1] as { role?: unknown; content?: unknown } | undefined;
      const answered = new Set(next?.role === 'user' ? blocksOf(next.content).map((b) => String(b.tool_use_id)) : []);
      const missing = ids.filter((id) => !answered.has(id));
      if (missing.length > 0) {
        return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
      }
    } else {
      const firstOther = blocks.findIndex((b) => b.type !== 'tool_result');
      const lastResult = blocks.map((b) => b.type).lastIndexOf('tool_result');
      if (firstOther !== -1 && lastResult > firstOther) return `messages.${i}: tool_result blocks must come before other content`;
      const prev = messages[i - 1] as { role?: unknown; content?: unknown } | undefined;
      const called = new Set(prev?.role === 'assistant' ? blocksOf(prev.content).map((b) => String(b.id)) : []);
      for (const b of blocks) {
        if (b.type === 'tool_result' && !called.has(String(b.tool_use_id))) {
          return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(b.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        }
      }
    }
  }
  return undefined;
}

const dialect: ApiDialect = {
  path: '/v1/messages',
  urlSuffix: '',
  async writeReply(res, reply, req, live) {
    if (req.body.stream === true) await writeStream(res, reply, req, live);
    else writeJson(res, reply, req);
  },
  errorBody: (status, message) => anthropicErrorBody(status, message),
  validate: validateAnthropicBody,
};

/** Starts the fake on 127.0.0.1 on a free port; `url` is the baseUrl to configure (no /v1). */
export function startFakeAnthropic(options?: FakeServerOptions): Promise<FakeModelServer> {
  return startFakeModelServer(dialect, options);
}
