// A web chat user's message as an Inbound. The user id comes from the credential the control plane verified,
// never from the client, and is lower-cased: session keys fold case (runtime/session-key.ts).
import type { Inbound, WebchatMessageIn } from '../../runtime/types/index.js';

export const MAX_TEXT = 16_000;

export function toInbound(m: WebchatMessageIn, accountId: string): Inbound {
  const userId = m.userId.toLowerCase();
  return {
    channel: 'webchat',
    accountId,
    chat: { kind: 'direct', id: userId },
    sender: { id: userId, name: userId },
    messageId: m.messageId,
    text: m.text,
    mentionsBot: true,
    receivedAt: m.receivedAt,
  };
}
