// One linked WhatsApp number as a Channel: the connection loop owns the socket, each new socket's events are decoded
// and handed to the runtime in order, and sends go through the sender. Loaded (with Baileys) only for accounts that
// are configured and linked.
import type { BaileysEventMap, WAMessage } from '@whiskeysockets/baileys';
import { isLidUser, isPnUser, jidNormalizedUser, normalizeMessageContent } from '@whiskeysockets/baileys';
import { ChannelSendError, type Channel, type ChatRef, type Clock, type Inbound, type Logger, type Outbound, type SendResult } from '../../runtime/types/channel.js';
import { WhatsAppConnection, type BackoffPolicy, type ConnectionState } from './connection.js';
import { decodeUpsert, resolveParty, type BotJids } from './inbound.js';
import { jidFor, WhatsAppSender } from './outbound.js';
import { RecentMessages } from './recent.js';
import type { AuthOpener, SocketFactory, WaSocket } from './socket.js';

/** WhatsApp allows ~65,000 characters; answers are cut at 4,000 so each part reads as one message on a phone. */
export const WHATSAPP_MAX_TEXT = 4000;

/** Messages decoded but not yet taken by the runtime; beyond this the newest are dropped (and logged). */
export const MAX_PENDING_INBOUND = 1000;

/** LID → phone-number pairs learned from messages and Baileys' mapping events. */
const MAX_LID_PAIRS = 5000;

export interface WhatsAppChannelDeps {
  accountId: string;
  credsDir: string;
  sendReadReceipts: boolean;
  openAuth: AuthOpener;
  makeSocket: SocketFactory;
  clock: Clock;
  log: Logger;
  random?: () => number;
  backoff?: BackoffPolicy;
}

export class WhatsAppChannel implements Channel {
  readonly id = 'whatsapp' as const;
  readonly accountId: string;
  readonly limits = { maxText: WHATSAPP_MAX_TEXT };
  readonly connection: WhatsAppConnection;
  private readonly sender: WhatsAppSender;
  private readonly recent = new RecentMessages();
  private readonly lidToPn = new Map<string, string>();
  private onInbound: ((m: Inbound) => void | Promise<void>) | undefined;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly deps: WhatsAppChannelDeps) {
    this.accountId = deps.accountId;
    this.connection = new WhatsAppConnection({ ...deps, onSocket: (s) => this.attach(s) });
    this.sender = new WhatsAppSender({
      accountId: deps.accountId,
      log: deps.log,
      recent: this.recent,
      sendReadReceipts: deps.sendReadReceipts,
      socket: (ms, not) => this.connection.whenOpen(ms, not),
      current: () => this.connection.socket,
    });
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  async start(onInbound: (m: Inbound) => void | Promise<void>): Promise<void> {
    this.onInbound = onInbound;
    await this.connection.start();
  }

  async stop(): Promise<void> {
    await this.connection.stop();
    await this.queue;
  }

  send(o: Outbound): Promise<SendResult> {
    return this.sender.send(o);
  }

  typing(chat: ChatRef): Promise<void> {
    return this.sender.typing(chat);
  }

  /** A person's DM is their phone-number JID (`+15551234567` → `15551234567@s.whatsapp.net`). */
  async openDirect(userId: string): Promise<ChatRef> {
    const id = userId.trim();
    if (isLidUser(id)) {
      const pn = await this.pnForLid(jidNormalizedUser(id));
      return { kind: 'direct', id: pn ?? jidNormalizedUser(id) };
    }
    const jid = jidFor(id);
    if (!jid || !isPnUser(jid)) {
      throw new ChannelSendError(`whatsapp: cannot open a DM with "${userId}": expected a phone number like +15551234567`, 'whatsapp', true);
    }
    return { kind: 'direct', id: jidNormalizedUser(jid) };
  }

  private attach(sock: WaSocket): void {
    sock.ev.on('messages.upsert', (u) => this.enqueue(sock, u));
    sock.ev.on('lid-mapping.update', (m) => this.learn(m.lid, m.pn));
  }

  /** Upserts are handed on strictly in order, each after the runtime took the previous one. */
  private enqueue(sock: WaSocket, upsert: BaileysEventMap['messages.upsert']): void {
    if (upsert?.type !== 'notify' || !Array.isArray(upsert.messages)) return;
    const n = upsert.messages.length;
    if (this.pending + n > MAX_PENDING_INBOUND) {
      this.deps.log.error('whatsapp: too many messages waiting for the runtime; these were dropped', {
        accountId: this.accountId,
        dropped: n,
        limit: MAX_PENDING_INBOUND,
      });
      return;
    }
    this.pending += n;
    this.queue = this.queue
      .then(() => this.deliver(sock, upsert))
      // deliver() handles the runtime's errors itself; anything else must not end the chain for later messages.
      .catch((err: unknown) => this.deps.log.error('whatsapp: messages could not be handed to the runtime', { accountId: this.accountId, count: n, err }))
      .finally(() => (this.pending -= n));
  }

  private async deliver(sock: WaSocket, upsert: BaileysEventMap['messages.upsert']): Promise<void> {
    const { accountId, log, clock } = this.deps;
    await this.resolveLids(sock, upsert.messages);
    const me = botJids(sock);
    const decoded = decodeUpsert(upsert, { accountId, me, pnForLid: (lid) => this.lidToPn.get(lid), receivedAt: clock.now() });
    for (const m of decoded) {
      const raw = m.raw as WAMessage;
      this.recent.remember(m.chat.id, raw, expirationOf(raw));
      try {
        await this.onInbound?.(m);
      } catch (err) {
        // WhatsApp has no offset to fetch a message again: the runtime's error is logged with what was lost.
        log.error('whatsapp: the runtime did not accept a message', { accountId, chatId: m.chat.id, messageId: m.messageId, err });
      }
    }
  }

  /** Learns pairs the messages carry and asks Baileys' store about LIDs that came without their number. */
  private async resolveLids(sock: WaSocket, messages: WAMessage[]): Promise<void> {
    for (const msg of messages) {
      const key = msg?.key;
      if (!key) continue;
      const group = key.remoteJid?.endsWith('@g.us');
      const who = resolveParty(group ? key.participant : key.remoteJid, group ? key.participantAlt : key.remoteJidAlt, {});
      if (who.lid && who.pn) this.learn(who.lid, who.pn);
      else if (who.lid && !this.lidToPn.has(who.lid)) {
        const pn = await sock.signalRepository?.lidMapping.getPNForLID(who.lid).catch(() => null);
        if (pn && isPnUser(pn)) this.learn(who.lid, pn);
      }
    }
  }

  private async pnForLid(lid: string): Promise<string | undefined> {
    const known = this.lidToPn.get(lid);
    if (known) return known;
    const pn = await this.connection.socket?.signalRepository?.lidMapping.getPNForLID(lid).catch(() => null);
    return pn && isPnUser(pn) ? jidNormalizedUser(pn) : undefined;
  }

  private learn(lid: string | undefined, pn: string | undefined): void {
    if (!lid || !pn || !isLidUser(lid) || !isPnUser(pn)) return;
    const l = jidNormalizedUser(lid);
    this.lidToPn.delete(l);
    this.lidToPn.set(l, jidNormalizedUser(pn));
    if (this.lidToPn.size > MAX_LID_PAIRS) this.lidToPn.delete(this.lidToPn.keys().next().value as string);
  }
}

function botJids(sock: WaSocket): BotJids {
  const u = sock.user;
  const me: BotJids = {};
  for (const j of [u?.id, u?.lid, u?.phoneNumber]) {
    if (typeof j !== 'string') continue;
    if (isPnUser(j) && !me.pn) me.pn = jidNormalizedUser(j);
    else if (isLidUser(j) && !me.lid) me.lid = jidNormalizedUser(j);
  }
  return me;
}

/** The chat's disappearing timer as the message states it (seconds; 0 when off). */
function expirationOf(msg: WAMessage): number | undefined {
  for (const v of Object.values(normalizeMessageContent(msg.message ?? undefined) ?? {})) {
    const exp = (v as { contextInfo?: { expiration?: unknown } } | null)?.contextInfo?.expiration;
    if (typeof exp === 'number') return exp;
  }
  return undefined;
}
