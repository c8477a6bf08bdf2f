// A fake OpenAI Chat Completions API (also what Ollama / llama.cpp speak): POST /v1/chat/completions,
// streaming (SSE chunks ending in [DONE]) and plain JSON, on 127.0.0.1. `url` ends in /v1, like an
// OpenAI-compatible baseUrl. Scripting and recording: see fake-model-server.ts.
import type http from 'node:http';
import {
  argPieces,
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
import { embeddingsResponse } from './fake-embeddings.js';

export type { FakeFailure, FakeModelServer, FakeRaw, FakeReply, FakeRequest, FakeResponse, FakeToolCall } from './fake-model-server.js';

const ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request' },
  401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist' },
  429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests' },
  500: { type: 'server_error', code: null, message: 'The server had an error while processing your request.' },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
};

export function openaiErrorBody(status: number, message?: string, code?: string): unknown {
  const base = ERRORS[status] ?? (status >= 500 ? ERRORS[500]! : ERRORS[400]!);
  return { error: { message: message ?? base.message, type: base.type, param: null, code: code ?? base.code } };
}

let seq = 0;

function finishOf(reply: FakeReply): string {
  return reply.stopReason ?? ((reply.toolCalls?.length ?? 0) > 0 ? 'tool_calls' : 'stop');
}

function usageOf(reply: FakeReply, req: FakeRequest) {
  const prompt = reply.usage?.input ?? estimateTokens([req.body.messages, req.body.tools]);
  const completion = reply.usage?.output ?? estimateTokens((reply.text ?? '') + JSON.stringify(reply.toolCalls ?? []));
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

async function writeStream(res: http.ServerResponse, reply: FakeReply, req: FakeRequest, live: Live): Promise<void> {
  const id = `chatcmpl-fake-${++seq}`;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: req.body.model, choices, ...extra })}\n\n`);
  const choice = (delta: Record<string, unknown>, finish_reason: string | null = null) => ({ index: 0, delta, finish_reason });

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': `req_${id}` });
  chunk([choice({ role: 'assistant', content: '' })]);
  const pieces = splitText(reply.text ?? '', reply.chunkSize);
  for (const [i, content] of pieces.entries()) {
    if (live.closed) return;
    chunk([choice({ content })]);
    if (i === 0 && (reply.hang || reply.streamError || reply.drop)) break;
  }
  if (reply.hang) {
    await live.gone;
    return;
  }
  if (reply.streamError) {
    res.write(`data: ${JSON.stringify({ error: { message: reply.streamError.message, type: reply.streamError.type, code: null } })}\n\n`);
    res.end();
    return;
  }
  if (reply.drop) {
    // End the TCP connection after what was written is flushed, without finishing the HTTP response.
    res.socket?.end();
    return;
  }
  for (const [index, call] of (reply.toolCalls ?? []).entries()) {
    const [first, ...rest] = argPieces(call.args);
    chunk([
      choice({
        tool_calls: [{ index, id: call.id ?? `call_fake_${++seq}`, type: 'function', function: { name: call.name, arguments: first ?? '' } }],
      }),
    ]);
    for (const args of rest) chunk([choice({ tool_calls: [{ index, function: { arguments: args } }] })]);
  }
  chunk([choice({}, finishOf(reply))]);
  const opts = req.body.stream_options as { include_usage?: boolean } | undefined;
  if (opts?.include_usage) chunk([], { usage: usageOf(reply, req) });
  res.write('data: [DONE]\n\n');
  res.end();
}

function writeJson(res: http.ServerResponse, reply: FakeReply, req: FakeRequest): void {
  const toolCalls = (reply.toolCalls ?? []).map((c) => ({
    id: c.id ?? `call_fake_${++seq}`,
    type: 'function',
    function: { name: c.name, arguments: typeof c.args === 'string' ? c.args : JSON.stringify(c.args) },
  }));
  const body = JSON.stringify({
    id: `chatcmpl-fake-${++seq}`,
    object: 'chat.completion',
    created: 0,
    model: req.body.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.text ?? null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
        finish_reason: finishOf(reply),
      },
    ],
    usage: usageOf(reply, req),
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

interface ChatMessage {
  role?: unknown;
  tool_calls?: { id?: unknown }[];
  tool_call_id?: unknown;
}

/** The request errors the real API gives for malformed conversations (the ones a client bug would cause). */
export function validateOpenAIBody(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== 'string' || body.model === '') return 'you must provide a model parameter';
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return "[] is too short - 'messages'";
  let open = new Set<string>();
  for (const [i, m] of (messages as ChatMessage[]).entries()) {
    if (m.role === 'tool') {
      const id = String(m.tool_call_id);
      if (!open.delete(id)) {
        return `Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'. (messages.[${i}].tool_call_id ${id})`;
      }
      continue;
    }
    if (open.size > 0) {
      return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`;
    }
    if (!['system', 'developer', 'user', 'assistant'].includes(String(m.role))) return `Invalid value: '${String(m.role)}'. (messages.[${i}].role)`;
    open = new Set((m.tool_calls ?? []).map((c) => String(c.id)));
  }
  if (open.size > 0) {
    return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`;
  }
  return undefined;
}

const dialect: ApiDialect = {
  path: '/v1/chat/completions',
  urlSuffix: '/v1',
  async writeReply(res, reply, req, live) {
    if (req.body.stream === true) await writeStream(res, reply, req, live);
    else writeJson(res, reply, req);
  },
  errorBody: (status, message) => openaiErrorBody(status, message),
  validate: validateOpenAIBody,
  routes: { '/v1/embeddings': (req) => embeddingsResponse(req.body) },
};

/** Starts the fake on 127.0.0.1 on a free port; `url` is the baseUrl to configure (ends in /v1). */
export function startFakeOpenAI(options?: FakeServerOptions): Promise<FakeModelServer> {
  return startFakeModelServer(dialect, options);
}
