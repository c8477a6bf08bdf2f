// Decodes web chat WebSocket frames. Anything malformed gets a clear error back; nothing throws.
import type { Inbound } from '../../runtime/types/index.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_TEXT = 16_000;

export type FrameResult = { ok: true; inbound: Inbound; clientId?: string } | { ok: false; error: string };

export function isValidUserId(s: string | null | undefined): s is string {
  return typeof s === 'string' && ID.test(s);
}

export function decodeFrame(data: string, ctx: { userId: string; accountId: string; now: number; newId: () => string }): FrameResult {
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return { ok: false, error: 'frame is not JSON: send {"type":"message","text":"…"}' };
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    return { ok: false, error: 'frame must be a JSON object: {"type":"message","text":"…"}' };
  }
  const f = frame as Record<string, unknown>;
  if (f.type !== 'message') return { ok: false, error: `unknown frame type ${JSON.stringify(f.type)}: expected "message"` };
  if (typeof f.text !== 'string' || f.text.trim() === '') return { ok: false, error: 'message.text must be a non-empty string' };
  if (f.text.length > MAX_TEXT) return { ok: false, error: `message.text is ${f.text.length} characters; the limit is ${MAX_TEXT}` };
  const clientId = typeof f.id === 'string' && ID.test(f.id) ? f.id : undefined;
  if (f.id !== undefined && clientId === undefined) {
    return { ok: false, error: 'message.id must be 1–64 letters, digits, - or _' };
  }
  return {
    ok: true,
    clientId,
    inbound: {
      channel: 'webchat',
      accountId: ctx.accountId,
      chat: { kind: 'direct', id: ctx.userId },
      sender: { id: ctx.userId, name: ctx.userId },
      messageId: clientId ?? ctx.newId(),
      text: f.text,
      mentionsBot: true,
      receivedAt: ctx.now,
    },
  };
}
