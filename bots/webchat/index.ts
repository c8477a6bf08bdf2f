// The built-in web chat as a Channel. Its users connect to the gateway's control plane (the page speaks the
// protocol, authenticated by a personal web chat token or, for the owner, the gateway token); the control plane
// hands this adapter each message a user sends and carries its replies back to all of that user's tabs (kept for
// replay while none is open).
import type { Channel, ChatRef, Inbound, Logger, Outbound, SendResult, WebchatTransport } from '../../runtime/types/index.js';
import { WebchatNotReadyError } from '../../runtime/types/index.js';
import { toInbound } from './inbound.js';

export interface WebchatOptions {
  transport: WebchatTransport;
  log: Logger;
  accountId?: string;
  now?: () => number;
}

export function createWebchatChannel(opts: WebchatOptions): Channel {
  const accountId = opts.accountId ?? 'default';
  const now = opts.now ?? Date.now;
  let onInbound: ((m: Inbound) => void | Promise<void>) | null = null;
  let seq = 0;

  // Registered at once, not only in start(): the control plane takes connections while the gateway is still
  // recovering its journal; a message sent then is refused with a retryable error instead of being lost.
  opts.transport.onMessage(async (msg) => {
    const handler = onInbound;
    if (!handler) throw new WebchatNotReadyError();
    const inbound = toInbound(msg, accountId);
    await handler(inbound);
    return inbound;
  });

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
      opts.transport.deliver(o.to.id, { messageId, text: o.text, format: o.format ?? 'markdown', ...(o.replyToId ? { replyToId: o.replyToId } : {}) });
      return { messageId };
    },
    async typing(chat: ChatRef) {
      opts.transport.typing(chat.id);
    },
    // A web chat user's conversation is their (lower-cased) user id; messages are kept for replay while they are away.
    async openDirect(userId: string): Promise<ChatRef> {
      return { kind: 'direct', id: userId.toLowerCase() };
    },
  };
}
