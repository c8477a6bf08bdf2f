// sessions.list | history | reset | abort.
import { z } from 'zod';
import type { SessionEntry } from '../../types/index.js';
import { idempotencyKeySchema, RequestError } from '../frames.js';
import { method, type MethodContext, type MethodDef, type PlaneServices } from '../types.js';

/** The agent a session key belongs to (`agent:<agentId>:…`). */
export function agentOfKey(sessionKey: string): string {
  const parts = sessionKey.split(':');
  if (parts[0] !== 'agent' || !parts[1]) throw new RequestError('bad_request', `"${sessionKey.slice(0, 200)}" is not a session key (agent:<agentId>:…)`);
  return parts[1];
}

export function findSession(s: PlaneServices, sessionKey: string): SessionEntry {
  const agentId = agentOfKey(sessionKey);
  const entry = s.config().agents.list.some((a) => a.id === agentId) ? s.sessions.get(agentId, sessionKey) : undefined;
  if (!entry) throw new RequestError('not_found', `no session ${sessionKey.slice(0, 200)}; sessions.list shows the sessions`);
  return entry;
}

/** The session a web chat identity chats in. */
export function webchatSessionKey(s: PlaneServices, userId: string): string {
  return s.need().locate({
    channel: 'webchat',
    accountId: 'default',
    chat: { kind: 'direct', id: userId },
    sender: { id: userId, name: userId },
    messageId: 'locate',
    text: '',
    mentionsBot: true,
    receivedAt: 0,
  }).sessionKey;
}

/** The session a request is about: a web chat client's is always its own; the operator's defaults to the owner's web chat. */
export function targetSession(s: PlaneServices, ctx: MethodContext, asked: string | undefined): string {
  const own = webchatSessionKey(s, ctx.principal.userId);
  if (ctx.principal.role === 'webchat' && asked !== undefined && asked.toLowerCase() !== own) {
    throw new RequestError('forbidden', 'a web chat client may only use its own session');
  }
  return asked ?? own;
}

const sessionKey = z.string().min(1).max(512);

export function sessionMethods(s: PlaneServices): MethodDef[] {
  return [
    method({
      name: 'sessions.list',
      roles: ['operator'],
      params: z.object({ agentId: z.string().max(64).optional(), limit: z.number().int().min(1).max(1000).default(200) }),
      run: async ({ agentId, limit }) => {
        const agents = s
          .config()
          .agents.list.map((a) => a.id)
          .filter((a) => agentId === undefined || a === agentId);
        if (agentId !== undefined && agents.length === 0) throw new RequestError('not_found', `no agent "${agentId}"; agents.list shows them`);
        const gw = s.gateway();
        const entries = agents
          .flatMap((a) => s.sessions.list(a))
          .sort((x, y) => y.updatedAt - x.updatedAt)
          .slice(0, limit);
        const sessions = await Promise.all(
          entries.map(async (e) => {
            const lane = gw?.lanes.status(e.sessionKey);
            return {
              key: e.sessionKey,
              agentId: e.agentId,
              channel: e.channel,
              updatedAt: e.updatedAt,
              createdAt: e.createdAt,
              sessionId: e.sessionId,
              bytes: (await s.transcripts.bytes?.(e.agentId, e.sessionId).catch(() => 0)) ?? 0,
              inputTokens: e.inputTokens ?? 0,
              outputTokens: e.outputTokens ?? 0,
              model: e.modelOverride,
              active: lane?.active ?? false,
              backlog: lane?.backlog ?? 0,
            };
          }),
        );
        return { sessions };
      },
    }),
    method({
      name: 'sessions.history',
      roles: ['operator', 'webchat'],
      params: z.object({ sessionKey: sessionKey.optional(), limit: z.number().int().min(1).max(500).default(100) }),
      run: async ({ sessionKey: asked, limit }, ctx) => {
        const key = targetSession(s, ctx, asked);
        const agentId = agentOfKey(key);
        const entry = s.sessions.get(agentId, key);
        if (!entry) {
          if (asked === undefined || ctx.principal.role === 'webchat') return { sessionKey: key, messages: [] };
          throw new RequestError('not_found', `no session ${key.slice(0, 200)}; sessions.list shows the sessions`);
        }
        const messages: { role: string; text: string; ts: number; runId?: string }[] = [];
        for (const e of await s.transcripts.read(agentId, entry.sessionId)) {
          if (e.type !== 'message') continue;
          const m = (e as { message?: { role?: string; text?: unknown } }).message;
          if ((m?.role === 'user' || m?.role === 'assistant') && typeof m.text === 'string' && m.text !== '') {
            messages.push({ role: m.role, text: m.text, ts: Number(e.ts), ...(typeof e.runId === 'string' ? { runId: e.runId } : {}) });
          }
        }
        return { sessionKey: key, messages: messages.slice(-limit) };
      },
    }),
    method({
      name: 'sessions.reset',
      roles: ['operator'],
      sideEffect: true,
      params: z.object({ sessionKey, idempotencyKey: idempotencyKeySchema }),
      run: async ({ sessionKey: key }) => {
        const entry = findSession(s, key);
        const r = await s.resetSession(entry.agentId, key);
        s.hub.publish('session.changed', { sessionKey: key, agentId: entry.agentId, reason: 'reset' });
        return { sessionKey: key, ...r };
      },
    }),
    method({
      name: 'sessions.abort',
      roles: ['operator'],
      sideEffect: true,
      params: z.object({ sessionKey, idempotencyKey: idempotencyKeySchema }),
      run: async ({ sessionKey: key }) => ({ sessionKey: key, ...s.need().lanes.stop(key) }),
    }),
  ];
}
