// The web chat adapter's transport: users' `chat.send` go to the adapter (bots/webchat), which makes the Inbound
// and hands it to the gateway; its replies come back here and become `chat.message` events for every tab of that
// user (kept for replay, so a tab that was closed catches up). A user's own message is echoed the same way, so
// their other tabs show it too.
import { WebchatNotReadyError, type Inbound, type WebchatMessageIn, type WebchatTransport } from '../types/index.js';
import type { EventHub } from './event-hub.js';
import { RequestError } from './frames.js';
import { PERSONAL_TOKEN_PREFIX } from './webchat-users.js';

const PERSONAL_TOKEN = new RegExp(`${PERSONAL_TOKEN_PREFIX}[A-Za-z0-9_-]{20,}`, 'g');

export interface WebchatHub {
  transport: WebchatTransport;
  /** Whether a web chat adapter is attached (channels.webchat.enabled). */
  enabled(): boolean;
  /** Sends a user's message through the adapter into the gateway; echoes it to the user's tabs once accepted. */
  send(userId: string, text: string, messageId: string): Promise<Inbound>;
}

export function createWebchatHub(deps: { hub: EventHub; now(): number }): WebchatHub {
  let handler: ((m: WebchatMessageIn) => Promise<Inbound>) | undefined;
  const { hub } = deps;

  return {
    transport: {
      onMessage(h) {
        handler = h;
      },
      deliver(userId, m) {
        // Ids fold case (an owner may be configured as "webchat:Alice"); connections carry the lower-cased id.
        const payload = { userId: userId.toLowerCase(), role: 'assistant', ...m, ts: deps.now() };
        // A personal link (the answer to /webchat invite) is shown live once and never written to the event log.
        const scrubbed = m.text.replace(PERSONAL_TOKEN, `${PERSONAL_TOKEN_PREFIX}…(shown once)`);
        hub.publish('chat.message', payload, scrubbed === m.text ? undefined : { ...payload, text: scrubbed });
      },
      typing(userId) {
        hub.publishEphemeral('chat.typing', { userId: userId.toLowerCase() });
      },
    },
    enabled: () => handler !== undefined,
    async send(userId, text, messageId) {
      if (!handler) throw new RequestError('unavailable', 'the web chat is disabled on this gateway (channels.webchat.enabled is false)');
      let inbound: Inbound;
      try {
        inbound = await handler({ userId, messageId, text, receivedAt: deps.now() });
      } catch (err) {
        if (err instanceof WebchatNotReadyError) throw new RequestError('unavailable', err.message, { retryable: true, retryAfterMs: 1000 });
        throw err;
      }
      hub.publish('chat.message', { userId, role: 'user', messageId, text, ts: inbound.receivedAt });
      return inbound;
    },
  };
}
