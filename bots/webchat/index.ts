// The built-in web chat: a Channel over WebSocket connections that the gateway's HTTP server accepted (token
// checked there). Each browser user is a DM peer; replies go to all of that user's open tabs, and are kept in a
// small outbox while none is connected.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Channel, ChatRef, Inbound, Logger, Outbound, SendResult } from '../../runtime/types/index.js';
import { decodeFrame, isValidUserId } from './inbound.js';

const OUTBOX_LIMIT = 200;

export interface WebchatOptions {
  wss: WebSocketServer;
  log: Logger;
  accountId?: string;
  now?: () => number;
}

export function createWebchatChannel(opts: WebchatOptions): Channel {
  const accountId = opts.accountId ?? 'default';
  const now = opts.now ?? Date.now;
  const sockets = new Map<string, Set<WebSocket>>();
  const outbox = new Map<string, string[]>();
  let onInbound: ((m: Inbound) => void | Promise<void>) | null = null;
  let seq = 0;

  function push(to: string, frame: Record<string, unknown>) {
    const userId = to.toLowerCase(); // ids are lower-cased on connection; an owner may be configured as "webchat:Alice"
    const data = JSON.stringify(frame);
    const open = [...(sockets.get(userId) ?? [])].filter((s) => s.readyState === s.OPEN);
    if (open.length === 0) {
      if (frame.type !== 'message') return;
      const box = outbox.get(userId) ?? [];
      box.push(data);
      if (box.length > OUTBOX_LIMIT) box.shift();
      outbox.set(userId, box);
      return;
    }
    for (const s of open) s.send(data);
  }

  function onConnection(ws: WebSocket, req: IncomingMessage) {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const asked = url.searchParams.get('user');
    // Lower-cased: session keys fold case (runtime/session-key.ts), so "Bob" and "bob" are one session and must be
    // one user here too, or one of them would share the other's context without getting its replies.
    const userId = isValidUserId(asked) ? asked.toLowerCase() : `u-${randomUUID().slice(0, 12)}`;
    let set = sockets.get(userId);
    if (!set) sockets.set(userId, (set = new Set()));
    set.add(ws);
    ws.send(JSON.stringify({ type: 'hello', userId }));
    for (const data of outbox.get(userId) ?? []) ws.send(data);
    outbox.delete(userId);

    ws.on('message', (raw, isBinary) => {
      if (isBinary) return ws.send(JSON.stringify({ type: 'error', error: 'binary frames are not supported; send JSON text' }));
      const r = decodeFrame(raw.toString(), { userId, accountId, now: now(), newId: () => `m${now().toString(36)}${(seq++).toString(36)}` });
      if (!r.ok) return ws.send(JSON.stringify({ type: 'error', error: r.error }));
      if (!onInbound) {
        const error = 'the gateway is starting or stopping and did not take this message; send it again in a moment';
        return ws.send(JSON.stringify({ type: 'error', id: r.inbound.messageId, error }));
      }
      Promise.resolve(onInbound(r.inbound)).then(
        () => ws.send(JSON.stringify({ type: 'ack', id: r.inbound.messageId })),
        (err) => {
          opts.log.error('web chat message could not be accepted', { userId, err });
          ws.send(JSON.stringify({ type: 'error', id: r.inbound.messageId, error: 'the message could not be accepted; please resend it' }));
        },
      );
    });
    ws.on('close', () => {
      set!.delete(ws);
      if (set!.size === 0) sockets.delete(userId);
    });
    ws.on('error', (err) => opts.log.warn('web chat socket error', { userId, err }));
  }

  // Greet sockets from the start, not only once start() runs: the HTTP server accepts upgrades while the gateway is
  // still recovering its journal, and a browser reconnecting then would otherwise sit on a socket nobody answers.
  // Messages sent before start() (or after stop()) get an error naming the message, so the page can mark it.
  opts.wss.on('connection', onConnection);

  return {
    id: 'webchat',
    accountId,
    limits: { maxText: 16_000 },
    async start(handler) {
      onInbound = handler;
    },
    async stop() {
      onInbound = null;
    },
    async send(o: Outbound): Promise<SendResult> {
      const messageId = `r${now().toString(36)}${(seq++).toString(36)}`;
      push(o.to.id, { type: 'message', messageId, text: o.text, replyToId: o.replyToId, format: o.format ?? 'markdown' });
      return { messageId };
    },
    async typing(chat: ChatRef) {
      push(chat.id, { type: 'typing' });
    },
    // A web chat user's conversation is their (lower-cased) user id; messages wait in the outbox while they are away.
    async openDirect(userId: string): Promise<ChatRef> {
      return { kind: 'direct', id: userId.toLowerCase() };
    },
  };
}
