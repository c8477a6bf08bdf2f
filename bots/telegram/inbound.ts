// Pure decode: a raw Telegram Update (JSON from getUpdates) → our Inbound, or null when it is not a message we
// handle. Never throws: the payload is `unknown` and every field is checked, so an unexpected update type or
// shape is skipped instead of crashing the poller.
//
// Decisions (documented here because they are the adapter's contract):
// - Only `message` updates are decoded. `edited_message` is ignored (re-running the model on a typo fix would
//   answer twice); channel posts, callback queries, member updates etc. return null.
// - Service messages (joins, topic created/renamed, pins…) have no text and no attachment → null.
// - `/cmd@thisbot args` is rewritten to `/cmd args` so the command parser needs no Telegram knowledge.
// - Forum topics: threadId is the topic id (threadWord 'topic'); a forum message outside any topic is the General
//   topic, '1'. Non-forum groups have no threadId (their reply threads are not separate conversations).
import type { Attachment, ChatRef, Inbound } from '../../runtime/types/channel.js';

export interface BotIdentity {
  id: number;
  username: string;
}

type Rec = Record<string, unknown>;

const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const rec = (v: unknown): Rec | undefined => (isRec(v) ? v : undefined);

export function decodeUpdate(update: unknown, me: BotIdentity, accountId: string, receivedAt?: number): Inbound | null {
  if (!isRec(update)) return null;
  const updateId = num(update.update_id);
  const msg = rec(update.message);
  if (updateId === undefined || !msg) return null;

  const chat = decodeChat(msg);
  const messageId = num(msg.message_id);
  const sender = decodeSender(msg);
  if (!chat || messageId === undefined || !sender) return null;

  const rawText = str(msg.text) ?? str(msg.caption) ?? '';
  const entities = decodeEntities(msg.entities ?? msg.caption_entities);
  const attachments = decodeAttachments(msg);
  if (rawText === '' && attachments.length === 0) return null;

  const reply = realReply(msg);
  const replyFrom = rec(reply?.from);
  const replyToBot = reply !== undefined && num(replyFrom?.id) === me.id;

  const inbound: Inbound = {
    channel: 'telegram',
    accountId,
    chat,
    sender,
    messageId: String(messageId),
    eventId: String(updateId),
    text: normaliseCommand(rawText, entities, me.username),
    mentionsBot: replyToBot || mentionsMe(rawText, entities, me),
    receivedAt: receivedAt ?? (num(msg.date) ?? 0) * 1000,
    raw: update,
  };
  if (reply) inbound.replyToId = String(num(reply.message_id));
  if (replyToBot) inbound.replyToBot = true;
  if (attachments.length) inbound.attachments = attachments;
  return inbound;
}

function decodeChat(msg: Rec): ChatRef | null {
  const chat = rec(msg.chat);
  const id = num(chat?.id);
  if (!chat || id === undefined) return null;
  const type = str(chat.type);
  if (type === 'private') return { kind: 'direct', id: String(id) };
  if (type !== 'group' && type !== 'supergroup') return null; // channels and unknown chat types
  const ref: ChatRef = { kind: 'group', id: String(id) };
  const title = str(chat.title);
  if (title !== undefined) ref.title = title;
  const isForum = chat.is_forum === true;
  if (isForum) ref.isForum = true;
  const threadId = num(msg.message_thread_id);
  if (msg.is_topic_message === true && threadId !== undefined) ref.threadId = String(threadId);
  else if (isForum) ref.threadId = '1'; // the General topic
  if (ref.threadId !== undefined) ref.threadWord = 'topic';
  return ref;
}

function decodeSender(msg: Rec): Inbound['sender'] | null {
  const from = rec(msg.from);
  const id = num(from?.id);
  if (from && id !== undefined) {
    const name = [str(from.first_name), str(from.last_name)].filter(Boolean).join(' ');
    const sender: Inbound['sender'] = { id: String(id), isBot: from.is_bot === true };
    if (name) sender.name = name;
    const username = str(from.username);
    if (username) sender.username = username;
    return sender;
  }
  // Anonymous admins and linked channels post as a chat.
  const senderChat = rec(msg.sender_chat);
  const chatId = num(senderChat?.id);
  if (senderChat && chatId !== undefined) {
    const sender: Inbound['sender'] = { id: String(chatId), isBot: false };
    const title = str(senderChat.title);
    if (title) sender.name = title;
    return sender;
  }
  return null;
}

/**
 * The message this one explicitly replies to. In a forum every topic message carries the topic's creation
 * message as `reply_to_message`; that is structure, not a reply, so it is not reported.
 */
function realReply(msg: Rec): Rec | undefined {
  const reply = rec(msg.reply_to_message);
  if (!reply || num(reply.message_id) === undefined) return undefined;
  const implicitTopicRoot = msg.is_topic_message === true && (reply.forum_topic_created !== undefined || num(reply.message_id) === num(msg.message_thread_id));
  return implicitTopicRoot ? undefined : reply;
}

interface Entity {
  type: string;
  offset: number;
  length: number;
  userId?: number;
}

function decodeEntities(v: unknown): Entity[] {
  if (!Array.isArray(v)) return [];
  const out: Entity[] = [];
  for (const e of v) {
    if (!isRec(e)) continue;
    const type = str(e.type);
    const offset = num(e.offset);
    const length = num(e.length);
    if (type === undefined || offset === undefined || length === undefined) continue;
    const userId = num(rec(e.user)?.id);
    out.push(userId === undefined ? { type, offset, length } : { type, offset, length, userId });
  }
  return out;
}

/** Entity offsets are UTF-16 code units, which is exactly how JavaScript strings index. */
const entityText = (text: string, e: Entity) => text.slice(e.offset, e.offset + e.length);

function mentionsMe(text: string, entities: Entity[], me: BotIdentity): boolean {
  const handle = '@' + me.username.toLowerCase();
  return entities.some((e) => {
    if (e.type === 'mention') return entityText(text, e).toLowerCase() === handle;
    if (e.type === 'text_mention') return e.userId === me.id;
    if (e.type === 'bot_command') return entityText(text, e).toLowerCase().endsWith(handle);
    return false;
  });
}

/** `/cmd@thisbot rest` → `/cmd rest`, only for a command at the very start addressed to this bot. */
function normaliseCommand(text: string, entities: Entity[], username: string): string {
  const cmd = entities.find((e) => e.type === 'bot_command' && e.offset === 0);
  if (!cmd) return text;
  const full = entityText(text, cmd);
  const at = full.indexOf('@');
  if (at === -1 || full.slice(at + 1).toLowerCase() !== username.toLowerCase()) return text;
  return full.slice(0, at) + text.slice(cmd.length);
}

function decodeAttachments(msg: Rec): Attachment[] {
  const out: Attachment[] = [];
  const file = (v: unknown, kind: Attachment['kind'], name?: string): void => {
    const f = rec(v);
    if (!f) return;
    const a: Attachment = { kind };
    const n = name ?? str(f.file_name);
    if (n) a.name = n;
    const mime = str(f.mime_type);
    if (mime) a.mime = mime;
    const bytes = num(f.file_size);
    if (bytes !== undefined) a.bytes = bytes;
    out.push(a);
  };
  if (Array.isArray(msg.photo) && msg.photo.length) {
    // Telegram lists the sizes of one photo; the largest is what the user sent.
    const sizes = msg.photo.filter(isRec);
    const area = (p: Rec) => (num(p.width) ?? 0) * (num(p.height) ?? 0);
    const largest = sizes.reduce<Rec | undefined>((a, b) => (!a || area(b) >= area(a) ? b : a), undefined);
    file(largest, 'photo');
  }
  // An animation (GIF) also arrives as a `document`; describe it once.
  if (!msg.animation) file(msg.document, 'document');
  file(msg.voice, 'voice');
  file(msg.audio, 'audio', str(rec(msg.audio)?.file_name) ?? str(rec(msg.audio)?.title));
  file(msg.video, 'video');
  file(msg.video_note, 'video');
  file(msg.animation, 'video');
  const sticker = rec(msg.sticker);
  if (sticker) file(sticker, 'sticker', str(sticker.emoji));
  return out;
}
