// Everything the adapter sends: answers (Markdown rendered as WhatsApp formatting, quoting the question in groups,
// disappearing when the chat's messages do), the "composing…" indicator and read receipts. Read receipts go out
// when the gateway acts on a chat (it starts composing or answers), so blue ticks mean the bot took the message
// up, not merely that the socket saw it.
import type { AnyMessageContent, MiscMessageGenerationOptions } from '@whiskeysockets/baileys';
import { ChannelSendError, type ChatRef, type Logger, type Outbound, type SendResult } from '../../runtime/types/channel.js';
import { markdownToWhatsApp } from './format.js';
import type { RecentMessages } from './recent.js';
import { CONNECTION_CLOSED, type WaSocket } from './socket.js';

/** How long a send waits for a (re)connection: longer than the longest reconnect backoff. */
export const SEND_WAIT_MS = 90_000;
const SEND_ATTEMPTS = 3;

/** A chat id as the adapter reports it (a JID) or as a person is named in config (`+15551234567`) → a JID. */
export function jidFor(chatId: string): string | undefined {
  const id = chatId.trim();
  if (/^[^@\s]+@(s\.whatsapp\.net|g\.us|lid)$/.test(id)) return id;
  const digits = id.replace(/[\s().-]/g, '');
  if (/^\+?[1-9]\d{5,14}$/.test(digits)) return `${digits.replace(/^\+/, '')}@s.whatsapp.net`;
  return undefined;
}

export interface SenderDeps {
  accountId: string;
  log: Logger;
  recent: RecentMessages;
  sendReadReceipts: boolean;
  /** The open socket, waiting up to `timeoutMs` for a reconnect; rejects when the account cannot connect. */
  socket(timeoutMs: number, not?: WaSocket): Promise<WaSocket>;
  /** The open socket now, if any (typing is not worth waiting for). */
  current(): WaSocket | undefined;
}

const boomCode = (err: unknown): number | undefined => {
  const code = (err as { output?: { statusCode?: unknown } } | null)?.output?.statusCode;
  return typeof code === 'number' ? code : undefined;
};

export class WhatsAppSender {
  constructor(private readonly deps: SenderDeps) {}

  async send(o: Outbound): Promise<SendResult> {
    const { accountId, recent } = this.deps;
    if (o.text.trim() === '') throw new ChannelSendError('whatsapp: refusing to send an empty message', 'whatsapp', true);
    const jid = jidFor(o.to.id);
    if (!jid) throw new ChannelSendError(`whatsapp: "${o.to.id}" is not a WhatsApp chat (expected a JID or a +E.164 number)`, 'whatsapp', true);
    // linkPreview null: no fetching of URLs the model wrote (a request from the gateway to wherever it points).
    const content: AnyMessageContent = { text: o.format === 'plain' ? o.text : markdownToWhatsApp(o.text), linkPreview: null };
    const options: MiscMessageGenerationOptions = {};
    const quoted = o.replyToId ? recent.message(o.to.id, o.replyToId) : undefined;
    if (quoted && o.to.kind !== 'direct') options.quoted = quoted;
    const expiration = recent.expiration(o.to.id);
    if (expiration) options.ephemeralExpiration = expiration;

    let failed: WaSocket | undefined;
    for (let attempt = 1; ; attempt++) {
      let sock: WaSocket;
      try {
        sock = await this.deps.socket(SEND_WAIT_MS, failed);
      } catch (err) {
        const loggedOut = /logged out|not running/.test((err as Error).message);
        throw new ChannelSendError(`whatsapp send to ${jid} failed: ${(err as Error).message}`, 'whatsapp', loggedOut, err);
      }
      this.markRead(sock, o.to.id);
      try {
        const sent = await sock.sendMessage(jid, content, options);
        return { messageId: sent?.key?.id ?? '' };
      } catch (err) {
        // Baileys checks the socket before it writes: "Connection Closed" means nothing left, so the next socket may
        // send it. Anything else may have reached WhatsApp; it is not repeated, so the chat never gets it twice.
        if (boomCode(err) === CONNECTION_CLOSED && attempt < SEND_ATTEMPTS) {
          failed = sock;
          this.deps.log.warn('whatsapp: connection closed before sending; retrying on the next connection', { accountId, jid, attempt });
          continue;
        }
        throw new ChannelSendError(`whatsapp send to ${jid} failed: ${(err as Error).message ?? String(err)}`, 'whatsapp', true, err);
      }
    }
  }

  /** "composing…" in the chat once (WhatsApp shows it ~25 s; the runtime refreshes it). Never throws: it is cosmetic. */
  async typing(chat: ChatRef): Promise<void> {
    const sock = this.deps.current();
    const jid = jidFor(chat.id);
    if (!sock || !jid) return;
    this.markRead(sock, chat.id);
    await sock.sendPresenceUpdate('composing', jid).catch((err: unknown) => {
      this.deps.log.debug?.('whatsapp: composing presence failed', { accountId: this.deps.accountId, jid, err });
    });
  }

  /** Not awaited: Baileys asks the privacy settings first, and a slow answer must not hold up the reply. */
  private markRead(sock: WaSocket, chatId: string): void {
    if (!this.deps.sendReadReceipts) return;
    const keys = this.deps.recent.takeUnread(chatId);
    if (keys.length === 0) return;
    sock.readMessages(keys).catch((err: unknown) => {
      this.deps.log.debug?.('whatsapp: read receipts failed', { accountId: this.deps.accountId, chatId, err });
    });
  }
}
