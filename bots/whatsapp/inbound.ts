// Pure decode: one Baileys `messages.upsert` → our Inbound messages. Never throws: a message of an unexpected shape
// is skipped, never a crash of the socket's event loop.
//
// Decisions (the adapter's contract):
// - Only upserts of type `notify` (received live or while offline). `append` is history the phone syncs to a new
//   device; answering it would answer old conversations.
// - `fromMe` is never decoded: the bot's own replies echo back as upserts, and so do messages the owner of the number
//   types on the phone.
// - Ephemeral, view-once and caption-wrapper messages are unwrapped (`normalizeMessageContent`). Edits, reactions,
//   deletions and other protocol messages carry no text of their own here and are skipped (answering an edit would
//   answer twice).
// - Identity: Baileys 7 addresses people by LID (`…@lid`) or phone number (`…@s.whatsapp.net`); the other form,
//   when WhatsApp sends it, is in `remoteJidAlt` / `participantAlt`. A sender is reported by phone number in E.164
//   (`+15551234567`) whenever it is known (the alt field, or the LID→number map the caller keeps), else by its LID
//   JID. So one person is one sender id, allowlist entry, owner entry and session whatever the address form.
// - A DM chat's id is the person's phone-number JID when known (the send address WhatsApp accepts for both forms).
// - Media is described (kind, mime, size, caption, file name), never downloaded.
import type { WAMessage, WAMessageKey, proto } from '@whiskeysockets/baileys';
import { getContentType, isJidGroup, isLidUser, isPnUser, jidNormalizedUser, normalizeMessageContent } from '@whiskeysockets/baileys';
import type { Attachment, ChatRef, Inbound } from '../../runtime/types/channel.js';

/** The linked number's own identity, both address forms (from `sock.user`). */
export interface BotJids {
  /** Phone-number JID, e.g. `15550001111@s.whatsapp.net` (a device suffix is ignored). */
  pn?: string;
  /** LID JID, e.g. `123456789@lid`. */
  lid?: string;
}

export interface DecodeContext {
  accountId: string;
  me: BotJids;
  /** A phone-number JID the caller already knows for a LID (Baileys' mapping store), for messages without an alt. */
  pnForLid?: (lid: string) => string | undefined;
  receivedAt: number;
}

export interface Upsert {
  messages: WAMessage[];
  type: string;
}

export function decodeUpsert(upsert: Upsert, ctx: DecodeContext): Inbound[] {
  if (upsert?.type !== 'notify' || !Array.isArray(upsert.messages)) return [];
  const out: Inbound[] = [];
  for (const msg of upsert.messages) {
    const m = decodeMessage(msg, ctx);
    if (m) out.push(m);
  }
  return out;
}

/** Who a message came from, in both forms where known. */
export interface Party {
  /** Phone-number JID without device (`15551234567@s.whatsapp.net`). */
  pn?: string;
  /** LID JID without device (`123@lid`). */
  lid?: string;
}

/** The ids a message is reported under: E.164 when the number is known, else the LID JID. */
export function senderIdOf(p: Party): string | undefined {
  if (p.pn) return `+${p.pn.split('@')[0]}`;
  return p.lid;
}

export function decodeMessage(msg: WAMessage, ctx: DecodeContext): Inbound | null {
  try {
    return decode(msg, ctx);
  } catch {
    // Every field is checked below; this only guards against a payload shape no one has seen yet.
    return null;
  }
}

function decode(msg: WAMessage, ctx: DecodeContext): Inbound | null {
  const key = msg?.key as WAMessageKey | undefined;
  if (!key || key.fromMe || typeof key.id !== 'string' || key.id === '' || typeof key.remoteJid !== 'string') return null;
  const remote = key.remoteJid;
  const group = isJidGroup(remote) === true;
  if (!group && !isPnUser(remote) && !isLidUser(remote)) return null; // status, broadcast lists, newsletters, …

  const content = normalizeMessageContent(msg.message ?? undefined);
  if (!content) return null; // stubs (joins, decryption placeholders) carry no message

  const type = getContentType(content);
  const body = type ? (content as Record<string, unknown>)[type] : undefined;
  const text = textOf(content);
  const attachments = attachmentsOf(content);
  if (text.trim() === '' && attachments.length === 0) return null;

  const who = resolveParty(group ? (key.participant ?? msg.participant ?? undefined) : remote, group ? key.participantAlt : key.remoteJidAlt, ctx);
  const senderId = senderIdOf(who);
  if (!senderId) return null;

  const chat: ChatRef = group ? { kind: 'group', id: remote } : { kind: 'direct', id: who.pn ?? who.lid ?? jidNormalizedUser(remote) };
  const contextInfo = contextInfoOf(body);
  const isMe = (jid: string | null | undefined) => isBot(jid, ctx.me);
  const replyToBot = Boolean(contextInfo?.stanzaId) && isMe(contextInfo?.participant);
  const mentioned = (contextInfo?.mentionedJid ?? []).some((j) => isMe(j));

  const sender: Inbound['sender'] = { id: senderId, isBot: false };
  if (typeof msg.pushName === 'string' && msg.pushName.trim() !== '') sender.name = msg.pushName;
  const inbound: Inbound = {
    channel: 'whatsapp',
    accountId: ctx.accountId,
    chat,
    sender,
    messageId: key.id,
    text,
    mentionsBot: mentioned || replyToBot,
    receivedAt: ctx.receivedAt,
    raw: msg,
  };
  if (contextInfo?.stanzaId) inbound.replyToId = contextInfo.stanzaId;
  if (replyToBot) inbound.replyToBot = true;
  if (attachments.length) inbound.attachments = attachments;
  return inbound;
}

/** Both address forms of a person from the JID WhatsApp used, its alt, and what the caller already knows. */
export function resolveParty(jid: string | null | undefined, alt: string | null | undefined, ctx: Pick<DecodeContext, 'pnForLid'>): Party {
  const p: Party = {};
  for (const j of [jid, alt]) {
    if (typeof j !== 'string' || j === '') continue;
    if (isPnUser(j) && !p.pn) p.pn = jidNormalizedUser(j);
    else if (isLidUser(j) && !p.lid) p.lid = jidNormalizedUser(j);
  }
  if (!p.pn && p.lid) {
    const known = ctx.pnForLid?.(p.lid);
    if (known && isPnUser(known)) p.pn = jidNormalizedUser(known);
  }
  return p;
}

function isBot(jid: string | null | undefined, me: BotJids): boolean {
  if (typeof jid !== 'string' || jid === '') return false;
  const j = jidNormalizedUser(jid);
  return (me.pn !== undefined && j === jidNormalizedUser(me.pn)) || (me.lid !== undefined && j === jidNormalizedUser(me.lid));
}

function textOf(c: proto.IMessage): string {
  const s =
    c.conversation ??
    c.extendedTextMessage?.text ??
    c.imageMessage?.caption ??
    c.videoMessage?.caption ??
    c.documentMessage?.caption ??
    c.ptvMessage?.caption ??
    undefined;
  return typeof s === 'string' ? s : '';
}

function contextInfoOf(body: unknown): proto.IContextInfo | undefined {
  if (typeof body !== 'object' || body === null || !('contextInfo' in body)) return undefined;
  const ci = (body as { contextInfo?: unknown }).contextInfo;
  return typeof ci === 'object' && ci !== null ? (ci as proto.IContextInfo) : undefined;
}

/** protobufjs gives 64-bit sizes as Long objects (or numbers); a size that is neither is left out. */
function size(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  if (typeof v === 'object' && v !== null && typeof (v as { toNumber?: unknown }).toNumber === 'function') {
    const n = (v as { toNumber(): number }).toNumber();
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  }
  return undefined;
}

type Media = { mimetype?: string | null; fileLength?: unknown; fileName?: string | null };

function attachmentsOf(c: proto.IMessage): Attachment[] {
  const out: Attachment[] = [];
  const add = (kind: Attachment['kind'], m: Media | null | undefined, name?: string | null) => {
    if (!m) return;
    const a: Attachment = { kind };
    const n = name ?? m.fileName;
    if (typeof n === 'string' && n !== '') a.name = n;
    if (typeof m.mimetype === 'string' && m.mimetype !== '') a.mime = m.mimetype;
    const bytes = size(m.fileLength);
    if (bytes !== undefined) a.bytes = bytes;
    out.push(a);
  };
  add('photo', c.imageMessage);
  add('video', c.videoMessage);
  add('video', c.ptvMessage);
  add(c.audioMessage?.ptt ? 'voice' : 'audio', c.audioMessage);
  add('document', c.documentMessage, c.documentMessage?.fileName ?? c.documentMessage?.title);
  add('sticker', c.stickerMessage);
  if (c.locationMessage) {
    const l = c.locationMessage;
    out.push({ kind: 'other', name: `location ${l.degreesLatitude ?? '?'},${l.degreesLongitude ?? '?'}${l.name ? ` (${l.name})` : ''}` });
  }
  if (c.contactMessage) out.push({ kind: 'other', name: `contact card${c.contactMessage.displayName ? `: ${c.contactMessage.displayName}` : ''}` });
  return out;
}
