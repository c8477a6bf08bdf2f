// Pure decode: the `d` of a gateway MESSAGE_CREATE dispatch (JSON, as Discord sends it) → our Inbound, or null when
// it is not a message we handle. Never throws: every field is checked, so an odd payload is skipped, not fatal.
//
// Decisions (the adapter's contract):
// - Only user messages (type 0 DEFAULT, 19 REPLY) are decoded; joins, pins, thread-created notices and other
//   system messages return null, and so do edits and messages with neither text nor anything attached.
// - A DM (no guild_id) is `direct` with the DM channel's id; a server channel is `channel` with its guildId; a
//   thread (channel types 10/11/12, forum posts included) is `channel` with `id` and `threadId` both the thread's
//   own id and `parentId` its parent channel (the adapter looks that up; Discord's payload does not carry it).
// - mentionsBot: the bot's user or its managed role is mentioned, or the message replies to the bot.
// - A leading mention of the bot is removed from the text, so `@bot /bind x` parses as `/bind x`; other user
//   mentions (`<@id>`) become `@name`, which is what the people in the chat see.
// - isBot is reported for bots, webhooks and system users; the adapter drops those (its own messages included).
import type { Attachment, ChatRef, Inbound } from '../../runtime/types/channel.js';

/** Channel types (Discord API v10) the decoder tells apart. */
export const CHANNEL_TYPE = { guildText: 0, dm: 1, groupDm: 3, announcementThread: 10, publicThread: 11, privateThread: 12 } as const;
const THREAD_TYPES: ReadonlySet<number> = new Set([CHANNEL_TYPE.announcementThread, CHANNEL_TYPE.publicThread, CHANNEL_TYPE.privateThread]);

const MESSAGE_TYPE_DEFAULT = 0;
const MESSAGE_TYPE_REPLY = 19;
const REFERENCE_FORWARD = 1;
const FLAG_VOICE_MESSAGE = 1 << 13;
/** Discord allows 10 attachments and 10 embeds per message; more is not a message Discord sent. */
const MAX_DESCRIBED = 10;

export interface ChannelInfo {
  type?: number;
  /** A thread's parent channel (a forum post's forum). */
  parentId?: string;
  name?: string;
  /** A thread's parent channel's name: the title reads "general › backup failures", as Discord shows it. */
  parentName?: string;
}

export interface DecodeContext {
  accountId: string;
  /** The bot's own user (from READY). */
  bot: { id: string; username?: string };
  /** The bot's managed role(s) in this server: `@BotName` typed in a server often picks the role. */
  botRoleIds?: readonly string[];
  /** What the adapter knows about the channel (type, a thread's parent, its name), when it knows it. */
  channel?: ChannelInfo;
  receivedAt: number;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const rec = (v: unknown): Rec | undefined => (isRec(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : []);

export function isThreadType(type: number | undefined): boolean {
  return type !== undefined && THREAD_TYPES.has(type);
}

export function decodeMessage(data: unknown, ctx: DecodeContext): Inbound | null {
  if (!isRec(data)) return null;
  const id = str(data.id);
  const channelId = str(data.channel_id);
  const author = rec(data.author);
  const authorId = str(author?.id);
  if (!id || !channelId || !author || !authorId) return null;
  const type = num(data.type) ?? MESSAGE_TYPE_DEFAULT;
  if (type !== MESSAGE_TYPE_DEFAULT && type !== MESSAGE_TYPE_REPLY) return null;
  // An edit (MESSAGE_UPDATE carries the whole message again): answering the correction would answer twice.
  if (str(data.edited_timestamp) !== undefined) return null;

  const chat = decodeChat(data, channelId, ctx.channel);
  if (!chat) return null;

  const reference = rec(data.message_reference);
  const forwarded = reference !== undefined && num(reference.type) === REFERENCE_FORWARD;
  const mentions = decodeMentions(data);
  const botRoles = new Set(ctx.botRoleIds ?? []);
  const mentionsMe = mentions.has(ctx.bot.id) || strings(data.mention_roles).some((r) => botRoles.has(r));
  const replyToId = !forwarded ? str(reference?.message_id) : undefined;
  const replyToBot = replyToId !== undefined && str(rec(rec(data.referenced_message)?.author)?.id) === ctx.bot.id;

  const content = typeof data.content === 'string' ? data.content : '';
  const rawText = (forwarded ? forwardedText(data) : '') || content;
  const text = normaliseText(rawText, ctx, mentions, botRoles);
  const attachments = decodeAttachments(forwarded ? (snapshot(data) ?? data) : data);
  if (text.trim() === '' && attachments.length === 0) return null;

  const inbound: Inbound = {
    channel: 'discord',
    accountId: ctx.accountId,
    chat,
    sender: decodeSender(data, author, authorId),
    messageId: id,
    text,
    mentionsBot: mentionsMe || replyToBot,
    receivedAt: ctx.receivedAt,
    raw: data,
  };
  if (replyToId !== undefined) inbound.replyToId = replyToId;
  if (replyToBot) inbound.replyToBot = true;
  if (attachments.length > 0) inbound.attachments = attachments;
  return inbound;
}

function decodeChat(data: Rec, channelId: string, info: ChannelInfo | undefined): ChatRef | null {
  const guildId = str(data.guild_id);
  const type = num(data.channel_type) ?? info?.type;
  if (guildId === undefined) {
    // Bots are never in group DMs; anything else without a server is the DM with the bot.
    if (type === CHANNEL_TYPE.groupDm) return null;
    return { kind: 'direct', id: channelId };
  }
  const chat: ChatRef = { kind: 'channel', id: channelId, guildId };
  if (info?.name) chat.title = info.name;
  if (isThreadType(type)) {
    chat.threadId = channelId;
    chat.threadWord = 'thread';
    if (info?.parentId) chat.parentId = info.parentId;
    if (info?.name && info.parentName) chat.title = `${info.parentName} › ${info.name}`;
  }
  return chat;
}

function decodeSender(data: Rec, author: Rec, id: string): Inbound['sender'] {
  const member = rec(data.member);
  const isBot = author.bot === true || author.system === true || str(data.webhook_id) !== undefined;
  const sender: Inbound['sender'] = { id, isBot };
  const name = str(member?.nick) ?? str(author.global_name) ?? str(author.username);
  if (name) sender.name = name;
  const username = str(author.username);
  if (username) sender.username = username;
  if (member) sender.roles = strings(member.roles);
  return sender;
}

/** Mentioned users by id → the name people see (server nickname, display name, username). */
function decodeMentions(data: Rec): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(data.mentions)) return out;
  for (const u of data.mentions) {
    const user = rec(u);
    const uid = str(user?.id);
    if (!user || !uid) continue;
    out.set(uid, str(rec(user.member)?.nick) ?? str(user.global_name) ?? str(user.username) ?? uid);
  }
  return out;
}

const MENTION = /<@(!?)(\d+)>|<@&(\d+)>/g;
const LEADING_MENTIONS = /^(?:\s*<@!?(\d+)>|\s*<@&(\d+)>)+\s*/;

function normaliseText(text: string, ctx: DecodeContext, mentions: Map<string, string>, botRoles: Set<string>): string {
  const isMe = (user?: string, role?: string) => (user !== undefined && user === ctx.bot.id) || (role !== undefined && botRoles.has(role));
  let out = text;
  const lead = LEADING_MENTIONS.exec(out);
  if (lead) {
    // Strip only a run of mentions that are all the bot's own: `@bot @alice hi` keeps both.
    const all = [...lead[0].matchAll(MENTION)];
    if (all.length > 0 && all.every((m) => isMe(m[2], m[3]))) out = out.slice(lead[0].length);
  }
  return out.replace(MENTION, (whole, _bang: string, user?: string, role?: string) => {
    if (isMe(user, role)) return `@${ctx.bot.username ?? 'bot'}`;
    if (user !== undefined && mentions.has(user)) return `@${mentions.get(user)}`;
    return whole;
  });
}

/** The first snapshot of a forwarded message (Discord puts the forwarded content there, not in `content`). */
function snapshot(data: Rec): Rec | undefined {
  const snaps = Array.isArray(data.message_snapshots) ? data.message_snapshots : [];
  return rec(rec(snaps[0])?.message);
}

function forwardedText(data: Rec): string {
  const content = str(snapshot(data)?.content);
  return content ? `(forwarded message)\n${content}` : '';
}

function decodeAttachments(data: Rec): Attachment[] {
  const out: Attachment[] = [];
  const voice = ((num(data.flags) ?? 0) & FLAG_VOICE_MESSAGE) !== 0;
  const files = Array.isArray(data.attachments) ? data.attachments.slice(0, MAX_DESCRIBED) : [];
  for (const f of files) {
    const file = rec(f);
    if (!file) continue;
    const mime = str(file.content_type);
    const a: Attachment = { kind: attachmentKind(mime, voice) };
    const name = str(file.filename);
    if (name) a.name = name;
    if (mime) a.mime = mime;
    const bytes = num(file.size);
    if (bytes !== undefined) a.bytes = bytes;
    const url = str(file.url);
    if (url) a.url = url;
    out.push(a);
  }
  const stickers = Array.isArray(data.sticker_items) ? data.sticker_items.slice(0, MAX_DESCRIBED) : [];
  for (const s of stickers) {
    const name = str(rec(s)?.name);
    out.push(name ? { kind: 'sticker', name } : { kind: 'sticker' });
  }
  const embeds = Array.isArray(data.embeds) ? data.embeds.slice(0, MAX_DESCRIBED) : [];
  for (const e of embeds) {
    const embed = rec(e);
    if (!embed) continue;
    const url = str(embed.url);
    const title = str(embed.title);
    const a: Attachment = { kind: 'other', name: `embed: ${title ?? url ?? str(embed.type) ?? 'untitled'}` };
    if (url) a.url = url;
    out.push(a);
  }
  return out;
}

function attachmentKind(mime: string | undefined, voice: boolean): Attachment['kind'] {
  if (mime?.startsWith('image/')) return 'photo';
  if (mime?.startsWith('video/')) return 'video';
  if (mime?.startsWith('audio/')) return voice ? 'voice' : 'audio';
  return 'document';
}
