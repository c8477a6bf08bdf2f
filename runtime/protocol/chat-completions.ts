// The optional OpenAI-compatible HTTP API (`gateway.http.chatCompletions: true`): POST /v1/chat/completions with the
// gateway token as bearer, model `switchyard/<agentId>`. The last user message goes into that agent's session of the
// web chat identity `api` (or `api-<user>` with the request's `user`), like any message: journaled, queued, run with
// the agent's tools and policies; the response is that run's final text. The session keeps the conversation (the
// earlier messages of the request are not replayed into it). No streaming yet: `stream: true` is refused.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Inbound } from '../types/index.js';
import { tokenMatches } from '../http-server.js';
import { sessionKeyFor } from '../session-key.js';
import type { EventHub } from './event-hub.js';
import type { ControlPlaneDeps } from './types.js';
import { API_WEBCHAT_ID } from './webchat-users.js';

/** Request bodies above this are refused (413). */
export const MAX_BODY_BYTES = 1024 * 1024;

const bodySchema = z.object({
  model: z.string().regex(/^switchyard\/[A-Za-z0-9_-]{1,64}$/, 'expected "switchyard/<agentId>"'),
  messages: z
    .array(
      z.object({
        role: z.string(),
        content: z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() })), z.null()]),
      }),
    )
    .min(1)
    .max(1000),
  stream: z.boolean().optional(),
  user: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,48}$/, 'expected 1–48 letters, digits, - or _')
    .optional(),
});

type Fail = { status: number; type: string; code: string; message: string };

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
const fail = (res: ServerResponse, f: Fail) => send(res, f.status, { error: { message: f.message, type: f.type, code: f.code } });

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    // Past the bound the rest is read and dropped (memory stays bounded) so the client still gets its 413.
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size <= MAX_BODY_BYTES) parts.push(b);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function textOf(content: z.output<typeof bodySchema>['messages'][number]['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((p) => (p.type === 'text' ? (p.text ?? '') : '')).join('');
}

export function createChatCompletions(deps: ControlPlaneDeps & { hub: EventHub }) {
  let n = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    if (!tokenMatches(deps.gatewayToken, auth)) {
      return fail(res, { status: 401, type: 'invalid_request_error', code: 'invalid_api_key', message: 'send the gateway token as "Authorization: Bearer <token>"' });
    }
    const raw = await readBody(req);
    if (raw === null) return fail(res, { status: 413, type: 'invalid_request_error', code: 'body_too_large', message: `the body is over ${MAX_BODY_BYTES} bytes` });
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return fail(res, { status: 400, type: 'invalid_request_error', code: 'invalid_json', message: 'the body is not JSON' });
    }
    const parsed = bodySchema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return fail(res, { status: 400, type: 'invalid_request_error', code: 'invalid_request', message: `${first.path.join('.') || 'body'}: ${first.message}` });
    }
    const body = parsed.data;
    if (body.stream)
      return fail(res, { status: 400, type: 'invalid_request_error', code: 'stream_unsupported', message: 'stream: true is not supported yet; send stream: false' });
    const agentId = body.model.slice('switchyard/'.length);
    const config = deps.config();
    if (!config.agents.list.some((a) => a.id === agentId)) {
      return fail(res, {
        status: 404,
        type: 'invalid_request_error',
        code: 'model_not_found',
        message: `no agent "${agentId}": models are switchyard/<agentId> (${config.agents.list.map((a) => a.id).join(', ')})`,
      });
    }
    const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
    const text = lastUser ? textOf(lastUser.content).trim() : '';
    if (!text) return fail(res, { status: 400, type: 'invalid_request_error', code: 'no_user_message', message: 'messages has no user message with text' });
    const gw = deps.gateway();
    if (!gw?.ready || !gw.getChannel('webchat', 'default')) {
      return fail(res, {
        status: 503,
        type: 'server_error',
        code: 'unavailable',
        message: gw ? 'the web chat (which carries the API) is disabled: channels.webchat.enabled' : 'the gateway is starting; try again in a moment',
      });
    }
    const userId = body.user ? `${API_WEBCHAT_ID}-${body.user.toLowerCase()}` : API_WEBCHAT_ID;
    const m: Inbound = {
      channel: 'webchat',
      accountId: 'default',
      chat: { kind: 'direct', id: userId },
      sender: { id: userId, name: userId },
      messageId: `api-${deps.clock.now().toString(36)}-${(n++).toString(36)}`,
      text,
      mentionsBot: true,
      receivedAt: deps.clock.now(),
    };
    const sessionKey = sessionKeyFor({ agentId, inbound: m, dmScope: config.session.dmScope, identityLinks: config.session.identityLinks });
    // Listening before submitting: the run's end cannot slip by between the two.
    const ended = new Promise<{ state: string; text: string; runId: string }>((resolve) => {
      const off = deps.hub.subscribe((e) => {
        if (e.event !== 'chat' || e.payload.sessionKey !== sessionKey || (e.payload.state !== 'final' && e.payload.state !== 'error')) return;
        off();
        resolve({ state: String(e.payload.state), text: String(e.payload.text), runId: String(e.payload.runId) });
      });
      const timer = deps.clock.setTimeout(
        () => {
          off();
          resolve({ state: 'timeout', text: '', runId: '' });
        },
        (config.agents.defaults.timeoutSeconds + 30) * 1000,
      );
      res.on('close', () => {
        deps.clock.clearTimeout(timer);
        off();
      });
    });
    const accepted = await gw.submit(m, agentId, sessionKey);
    if (!accepted.accepted)
      return fail(res, { status: 429, type: 'rate_limit_error', code: 'queue_full', message: `the session ${sessionKey} has too many queued messages; retry later` });
    const out = await ended;
    if (out.state === 'timeout')
      return fail(res, { status: 504, type: 'server_error', code: 'timeout', message: 'no answer in time; the message stays queued in its session' });
    if (out.state === 'error') return fail(res, { status: 502, type: 'server_error', code: 'run_failed', message: out.text });
    send(res, 200, {
      id: `chatcmpl-${out.runId}`,
      object: 'chat.completion',
      created: Math.floor(deps.clock.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: out.text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
  }

  /** The HTTP server's extra route: true when this request was ours. */
  return function route(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (url.pathname !== '/v1/chat/completions' || !deps.config().gateway.http.chatCompletions) return false;
    if (req.method !== 'POST') {
      fail(res, { status: 405, type: 'invalid_request_error', code: 'method_not_allowed', message: 'use POST' });
      return true;
    }
    handle(req, res).catch((err: unknown) => {
      deps.log.error('chat completions request failed', { err });
      if (!res.headersSent)
        fail(res, { status: 500, type: 'server_error', code: 'internal', message: 'the gateway failed to handle this request; its log has the details' });
    });
    return true;
  };
}
