// Pure decode: the payload of one Events API envelope (an `event_callback` body) → our Inbound, or null when it
// is not a new message for us. Never throws: the payload is `unknown` and every field is checked.
//
// Decisions (the adapter's contract, tested table-driven from saved payloads):
// - `message` and `app_mention` events are decoded; every other event type is null.
// - A message with a subtype is not a new question (edits, deletes, joins, bot_message, …) except `file_share`
//   (a user's message with files) and `thread_broadcast` (a thread reply also shown in the channel).
// - The bot's own messages (its user id or bot id) are null.
// - DMs are `channel_type: im` (app_mention carries no channel_type; a D… channel id is a DM there). Anything
//   else is a `channel` chat; its session is per channel, and a message inside a thread (thread_ts ≠ ts) is in
//   that thread: threadId = thread_ts, parentId = the channel, threadWord 'thread'.
// - replyToMode "all": a top-level channel message starts its own thread (threadId = its ts), so the answer and
//   the whole conversation that follows live in that thread.
// - In a DM a thread reply is a reply to the thread's root (replyToId), which is how an owner answers an approval
//   request in its thread; DMs themselves are one conversation (no threadId).
// - Slack's markup is turned into plain text: a leading mention of the bot is removed (so `@bot /bind work` is a
//   command), other mentions, channels and links become readable text, &amp; &lt; &gt; are unescaped.
import type { Attachment, ChatRef, Inbound } from '../../runtime/types/channel.js';
import type { ReplyToMode } from './config.js';

/** Who the bot is in its workspace (from auth.test). */
export interface SlackIdentity {
  /** The bot user's id (U…): mentions look like <@U…>. */
  userId: string;
  /** The bot's id (B…): its own messages carry it as bot_id. */
  botId?: string;
  teamId?: string;
}

export interface DecodeOptions {
  replyToMode: ReplyToMode;
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Subtypes that are still a person's new message. */
const MESSAGE_SUBTYPES = new Set(['file_share', 'thread_broadcast']);

/** Slack timestamps are "<seconds>.<micro>" strings and double as message ids. */
const TS = /^\d{1,12}\.\d{1,9}$/;
/** Slack ids (C…, D…, G…, U…, W…, T…, B…) are short upper-case alphanumerics; anything else is not from Slack. */
const ID = /^[A-Z0-9]{2,40}$/;

export function decodeEvent(body: unknown, me: SlackIdentity, accountId: string, opts: DecodeOptions, receivedAt?: number): Inbound | null {
  if (!isRec(body)) return null;
  const event = body.event;
  if (!isRec(event)) return null;
  const type = event.type;
  if (type !== 'message' && type !== 'app_mention') return null;
  const subtype = str(event.subtype);
  if (subtype !== undefined && !MESSAGE_SUBTYPES.has(subtype)) return null;
  if (event.hidden === true) return null;

  const channel = str(event.channel);
  const ts = str(event.ts);
  const user = str(event.user);
  if (!channel || !ID.test(channel) || !ts || !TS.test(ts) || !user || !ID.test(user)) return null;
  const botId = str(event.bot_id);
  if (user === me.userId || (botId !== undefined && botId === me.botId)) return null;

  const rawText = typeof event.text === 'string' ? event.text : '';
  const attachments = decodeFiles(event.files);
  const text = slackToPlain(stripLeadingMention(rawText, me.userId));
  if (text.trim() === '' && attachments.length === 0) return null;

  const isDm = event.channel_type === 'im' || (event.channel_type === undefined && channel.startsWith('D'));
  const threadTs = str(event.thread_ts);
  const inThread = threadTs !== undefined && threadTs !== ts && TS.test(threadTs);
  const parentUser = str(event.parent_user_id);
  const replyToBot = inThread && parentUser === me.userId;
  const teamId = [str(body.team_id), str(event.team), me.teamId].find((t) => t !== undefined && ID.test(t));

  const chat: ChatRef = isDm ? { kind: 'direct', id: channel } : { kind: 'channel', id: channel };
  if (teamId) chat.teamId = teamId;
  if (!isDm) {
    const threadId = inThread ? threadTs : opts.replyToMode === 'all' ? ts : undefined;
    if (threadId !== undefined) {
      chat.threadId = threadId;
      chat.parentId = channel;
      chat.threadWord = 'thread';
    }
  }

  const sender: Inbound['sender'] = { id: user, isBot: botId !== undefined };
  const profile = isRec(event.user_profile) ? event.user_profile : undefined;
  const name = str(profile?.display_name) ?? str(profile?.real_name);
  if (name) sender.name = name;
  const username = str(profile?.name);
  if (username) sender.username = username;

  const inbound: Inbound = {
    channel: 'slack',
    accountId,
    chat,
    sender,
    messageId: ts,
    text,
    mentionsBot: type === 'app_mention' || mentions(rawText, me.userId) || replyToBot,
    receivedAt: receivedAt ?? Math.round(Number(ts) * 1000),
    raw: body,
  };
  const eventId = str(body.event_id);
  if (eventId) inbound.eventId = eventId;
  if (isDm && inThread) inbound.replyToId = threadTs;
  if (replyToBot) inbound.replyToBot = true;
  if (attachments.length) inbound.attachments = attachments;
  return inbound;
}

/** The keys a delivery is known by: its event_id (redeliveries) and its channel + ts (app_mention + message). */
export function dedupeKeys(body: unknown): string[] {
  if (!isRec(body)) return [];
  const keys: string[] = [];
  const eventId = str(body.event_id);
  if (eventId) keys.push(`event:${eventId}`);
  const event = isRec(body.event) ? body.event : undefined;
  const channel = str(event?.channel);
  const ts = str(event?.ts);
  // Only new messages share a ts across event types; an edit's envelope has its own ts anyway.
  if (channel && ts && (event?.type === 'message' || event?.type === 'app_mention')) keys.push(`msg:${channel}:${ts}`);
  return keys;
}

const mentionOf = (userId: string) => new RegExp(`<@${escapeRe(userId)}(?:\\|[^>]*)?>`);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function mentions(text: string, userId: string): boolean {
  return mentionOf(userId).test(text);
}

/** `<@BOT> /bind work` → `/bind work`; `<@BOT>: hi` → `hi`. Only a mention at the very start is removed. */
function stripLeadingMention(text: string, userId: string): string {
  const m = new RegExp(`^\\s*<@${escapeRe(userId)}(?:\\|[^>]*)?>[\\s:,]*`).exec(text);
  return m ? text.slice(m[0].length) : text;
}

/** Slack's message markup → readable plain text. */
export function slackToPlain(text: string): string {
  const out = text.replace(/<([^<>]*)>/g, (_whole, inner: string) => {
    const bar = inner.indexOf('|');
    const target = bar === -1 ? inner : inner.slice(0, bar);
    const label = bar === -1 ? undefined : inner.slice(bar + 1);
    if (target.startsWith('@')) return label ? `@${label.replace(/^@/, '')}` : target;
    if (target.startsWith('#')) return label ? `#${label}` : target;
    if (target.startsWith('!')) {
      // <!here>, <!channel>, <!subteam^S1|@team>, <!date^…|fallback>
      if (label) return label.startsWith('@') || target.startsWith('!date') ? label : `@${label}`;
      return `@${target.slice(1).split('^')[0]}`;
    }
    const url = target.replace(/^mailto:/, '');
    return label && label !== url ? `${label} (${target})` : target.startsWith('mailto:') ? url : target;
  });
  return out.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function decodeFiles(v: unknown): Attachment[] {
  if (!Array.isArray(v)) return [];
  const out: Attachment[] = [];
  for (const f of v) {
    if (!isRec(f)) continue;
    const mime = str(f.mimetype);
    const a: Attachment = { kind: kindOf(mime) };
    const name = str(f.name) ?? str(f.title);
    if (name) a.name = name;
    if (mime) a.mime = mime;
    const bytes = num(f.size);
    if (bytes !== undefined) a.bytes = bytes;
    out.push(a);
  }
  return out;
}

function kindOf(mime: string | undefined): Attachment['kind'] {
  if (!mime) return 'other';
  if (mime.startsWith('image/')) return 'photo';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime.startsWith('video/')) return 'video';
  return 'document';
}
