// chat.send and chat.abort: a web chat client chats as its own user; the operator chats as the owner's web chat
// identity, or into any session (`sessionKey`) or chat (`to: "<channel>:<id>"`), the reply going where that
// session's messages go.
import { z } from 'zod';
import type { Inbound } from '../../types/index.js';
import { idempotencyKeySchema, RequestError } from '../frames.js';
import { method, type MethodContext, type MethodDef, type PlaneServices } from '../types.js';
import { findSession, targetSession, webchatSessionKey } from './sessions.js';

/** The web chat's message limit (bots/webchat keeps the same). */
const MAX_TEXT = 16_000;

async function sendIntoSession(s: PlaneServices, sessionKey: string, text: string, key: string) {
  const entry = findSession(s, sessionKey);
  if (!entry.channel || !entry.lastChat || !entry.lastAccountId) {
    throw new RequestError('conflict', `session ${sessionKey} has no chat to answer in yet (no message reached it)`);
  }
  return inject(s, { channel: entry.channel, accountId: entry.lastAccountId, chat: entry.lastChat }, entry.agentId, sessionKey, text, key);
}

async function inject(s: PlaneServices, where: Pick<Inbound, 'channel' | 'accountId' | 'chat'>, agentId: string, sessionKey: string, text: string, key: string) {
  const gw = s.need();
  if (!gw.getChannel(where.channel, where.accountId)) {
    throw new RequestError('unavailable', `channel ${where.channel}:${where.accountId} is not running on this gateway`);
  }
  const m: Inbound = {
    ...where,
    sender: { id: 'operator', name: 'operator' },
    messageId: `op-${key}`,
    text,
    mentionsBot: true,
    receivedAt: s.clock.now(),
  };
  const r = await gw.submit(m, agentId, sessionKey);
  if (!r.accepted)
    throw new RequestError('busy', `session ${sessionKey} has too many queued messages; try again when its current answer is done`, {
      retryable: true,
      retryAfterMs: 5000,
    });
  return { status: 'accepted', sessionKey, messageId: m.messageId };
}

async function sendTo(s: PlaneServices, to: string, text: string, key: string) {
  const i = to.indexOf(':');
  const channel = to.slice(0, i) as Inbound['channel'];
  const id = to.slice(i + 1);
  if (i <= 0 || !id) throw new RequestError('bad_request', `to must be "<channel>:<id>", e.g. "telegram:123456789"`);
  const probe: Inbound = { channel, accountId: 'default', chat: { kind: 'direct', id }, sender: { id }, messageId: 'locate', text: '', mentionsBot: true, receivedAt: 0 };
  const { agentId, sessionKey } = s.need().locate(probe);
  return inject(s, probe, agentId, sessionKey, text, key);
}

export function chatMethods(s: PlaneServices): MethodDef[] {
  return [
    method({
      name: 'chat.send',
      roles: ['operator', 'webchat'],
      sideEffect: true,
      params: z.object({
        message: z.string().superRefine((t, c) => {
          if (t.trim() === '') c.addIssue({ code: 'custom', message: 'must not be empty' });
          else if (t.length > MAX_TEXT) c.addIssue({ code: 'custom', message: `is ${t.length} characters; the limit is ${MAX_TEXT}` });
        }),
        sessionKey: z.string().min(1).max(512).optional(),
        to: z.string().min(3).max(200).optional(),
        idempotencyKey: idempotencyKeySchema,
      }),
      run: async ({ message, sessionKey, to, idempotencyKey }, ctx: MethodContext) => {
        s.need();
        if (to !== undefined) {
          if (ctx.principal.role !== 'operator') throw new RequestError('forbidden', 'a web chat client may only chat in its own session');
          if (sessionKey !== undefined) throw new RequestError('bad_request', 'give sessionKey or to, not both');
          return sendTo(s, to, message, idempotencyKey);
        }
        const own = webchatSessionKey(s, ctx.principal.userId);
        const key = targetSession(s, ctx, sessionKey);
        if (key !== own) return sendIntoSession(s, key, message, idempotencyKey);
        const inbound = await s.webchat.send(ctx.principal.userId, message, idempotencyKey);
        return { status: 'accepted', sessionKey: s.need().locate(inbound).sessionKey, messageId: inbound.messageId };
      },
    }),
    method({
      name: 'chat.abort',
      roles: ['operator', 'webchat'],
      sideEffect: true,
      params: z.object({ sessionKey: z.string().min(1).max(512).optional(), idempotencyKey: idempotencyKeySchema }),
      run: async ({ sessionKey }, ctx) => {
        const key = targetSession(s, ctx, sessionKey);
        return { sessionKey: key, ...s.need().lanes.stop(key) };
      },
    }),
  ];
}
