// A fake Telegram Bot API: a real HTTP server on 127.0.0.1 speaking `/bot<token>/<method>` with JSON or form
// bodies, so the real grammY client (pointed at it with `apiRoot`) does real HTTP. It behaves like Telegram where
// our adapter depends on it: getUpdates long-polls and confirms updates below `offset`; sendMessage validates
// parse_mode HTML, the 4096 limit and message_thread_id (the General topic and non-forum chats reject one);
// unknown tokens get 401. Errors can be injected per method.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Json = Record<string, unknown>;

export interface FakeBot {
  id: number;
  username: string;
  first_name: string;
}

export type Failure = { status: number; description?: string; retry_after?: number } | { drop: true };

export interface SentMessage {
  method: 'sendMessage' | 'editMessageText';
  token: string;
  chatId: number | string;
  messageId: number;
  text: string;
  parseMode?: string;
  threadId?: number;
  replyTo?: number;
  /** What Telegram would show: tags stripped, entities decoded. */
  visibleText: string;
}

export interface ChatAction {
  token: string;
  chatId: number | string;
  action: string;
  threadId?: number;
}

export interface PushMessage {
  chatId: number;
  chatType: 'private' | 'group' | 'supergroup';
  fromId: number;
  fromName?: string;
  username?: string;
  fromIsBot?: boolean;
  text?: string;
  caption?: string;
  entities?: Json[];
  threadId?: number;
  isForum?: boolean;
  title?: string;
  /** Reply to an earlier message; `fromId` of the replied-to message (the bot's id for a reply to the bot). */
  replyTo?: { messageId: number; fromId: number; isBot?: boolean; text?: string };
  photo?: boolean;
  token?: string;
}

interface Waiter {
  token: string;
  offset: number | undefined;
  limit: number;
  done: (updates: Json[]) => void;
}

const ALLOWED_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'a', 'code', 'pre', 'tg-spoiler', 'span', 'tg-emoji', 'blockquote']);

export class FakeTelegram {
  readonly bots = new Map<string, FakeBot>();
  readonly sent: SentMessage[] = [];
  readonly actions: ChatAction[] = [];
  /** Every call, in order: method, token and decoded params (getUpdates offsets can be asserted). */
  readonly calls: { method: string; token: string; params: Json }[] = [];
  private server: Server | undefined;
  private updates = new Map<string, Json[]>();
  private waiters = new Set<Waiter>();
  private failures = new Map<string, Failure[]>();
  private conditional = new Map<string, { when: (params: Json) => boolean; failure: Failure; left: number }[]>();
  private chats = new Map<number, { type: string; isForum: boolean }>();
  private nextUpdateId = 1000;
  private nextMessageId = 5000;
  private sentListeners = new Set<() => void>();
  apiRoot = '';
  /**
   * A sendMessage is recorded (accepted) at once but answered this much later: a client that dies meanwhile
   * never learns that it was delivered (crash tests).
   */
  sendDelayMs = 0;

  constructor(bots: Record<string, Partial<FakeBot>> = { '123456:TEST-TOKEN': {} }) {
    for (const [token, b] of Object.entries(bots)) {
      const id = b.id ?? Number(token.split(':')[0]);
      this.bots.set(token, { id, username: b.username ?? `test_${id}_bot`, first_name: b.first_name ?? 'Test Bot' });
      this.updates.set(token, []);
    }
  }

  get defaultToken(): string {
    return [...this.bots.keys()][0];
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.apiRoot = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const w of [...this.waiters]) w.done([]);
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** The next `times` calls to `method` fail with this Telegram error (or a dropped connection). */
  failNext(method: string, failure: Failure, times = 1): void {
    const q = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) q.push(failure);
    this.failures.set(method, q);
  }

  /**
   * The next `times` calls to `method` whose params match `when` fail; other calls go through. (E.g. a 429 on
   * the second chunk of a reply only, with the first one delivered.) Checked before failNext's queue.
   */
  failWhen(method: string, when: (params: Json) => boolean, failure: Failure, times = 1): void {
    const q = this.conditional.get(method) ?? [];
    q.push({ when, failure, left: times });
    this.conditional.set(method, q);
  }

  private takeFailure(method: string, params: Json): Failure | undefined {
    const q = this.conditional.get(method) ?? [];
    const hit = q.find((c) => c.left > 0 && c.when(params));
    if (hit) {
      hit.left--;
      return hit.failure;
    }
    return this.failures.get(method)?.shift();
  }

  /** Queues any update (an update_id is assigned when missing) and wakes a waiting long poll. */
  pushUpdate(update: Json, token = this.defaultToken): number {
    const id = typeof update.update_id === 'number' ? update.update_id : this.nextUpdateId++;
    this.updates.get(token)!.push({ ...update, update_id: id });
    this.wake(token);
    return id;
  }

  /** Queues a realistic `message` update; mentions and commands in `text` get entities like Telegram adds. */
  pushMessage(o: PushMessage): number {
    const token = o.token ?? this.defaultToken;
    const isForum = o.isForum ?? false;
    this.chats.set(o.chatId, { type: o.chatType, isForum });
    const chat: Json =
      o.chatType === 'private'
        ? { id: o.chatId, type: 'private', first_name: o.fromName ?? 'User' }
        : { id: o.chatId, type: o.chatType, title: o.title ?? 'Test group', ...(isForum ? { is_forum: true } : {}) };
    const from = { id: o.fromId, is_bot: o.fromIsBot ?? false, first_name: o.fromName ?? 'User', ...(o.username ? { username: o.username } : {}) };
    const date = Math.floor(Date.now() / 1000);
    const message: Json = { message_id: this.nextMessageId++, from, chat, date };
    const body = o.text ?? o.caption;
    const entities = o.entities ?? (body ? autoEntities(body) : []);
    if (o.text !== undefined) {
      message.text = o.text;
      if (entities.length) message.entities = entities;
    }
    if (o.caption !== undefined) {
      message.caption = o.caption;
      if (entities.length) message.caption_entities = entities;
    }
    if (o.photo) {
      message.photo = [
        { file_id: 'small', file_unique_id: 's', width: 90, height: 60, file_size: 1200 },
        { file_id: 'large', file_unique_id: 'l', width: 1280, height: 853, file_size: 98765 },
      ];
    }
    if (o.threadId !== undefined) {
      message.message_thread_id = o.threadId;
      message.is_topic_message = true;
      // In a forum every topic message replies to the topic's creation message.
      message.reply_to_message = {
        message_id: o.threadId,
        from: { id: 999, is_bot: false, first_name: 'Admin' },
        chat,
        date,
        message_thread_id: o.threadId,
        forum_topic_created: { name: `Topic ${o.threadId}`, icon_color: 7322096 },
      };
    }
    if (o.replyTo) {
      message.reply_to_message = {
        message_id: o.replyTo.messageId,
        from: { id: o.replyTo.fromId, is_bot: o.replyTo.isBot ?? false, first_name: 'Someone' },
        chat,
        date,
        text: o.replyTo.text ?? 'earlier message',
        ...(o.threadId !== undefined ? { message_thread_id: o.threadId, is_topic_message: true } : {}),
      };
    }
    return this.pushUpdate({ message }, token);
  }

  /** Resolves with the first sent message matching `predicate` (already sent or still to come). */
  waitForSent(predicate: (m: SentMessage) => boolean, timeoutMs = 5000): Promise<SentMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.sent.find(predicate);
        if (!hit) return false;
        cleanup();
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`waitForSent: nothing matched within ${timeoutMs} ms; sent so far: ${JSON.stringify(this.sent.map((s) => s.text))}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.sentListeners.delete(listener);
      };
      const listener = () => void check();
      this.sentListeners.add(listener);
      check();
    });
  }

  /** Calls `fn` with each sent or edited message the moment it is recorded (benchmarks timestamp replies). Returns an unsubscribe. */
  onSent(fn: (m: SentMessage) => void): () => void {
    const listener = () => fn(this.sent[this.sent.length - 1]);
    this.sentListeners.add(listener);
    return () => void this.sentListeners.delete(listener);
  }

  /** Updates still queued (not yet confirmed by an offset) for a token. */
  pending(token = this.defaultToken): number[] {
    return this.updates.get(token)!.map((u) => u.update_id as number);
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!m) return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = m;
    let params: Json;
    try {
      params = { ...Object.fromEntries(url.searchParams), ...(await readBody(req)) };
    } catch (err) {
      return reply(res, 400, { ok: false, error_code: 400, description: `Bad Request: ${String(err)}` });
    }
    params = coerce(params);
    this.calls.push({ method, token, params });
    const bot = this.bots.get(token);
    if (!bot) return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });

    const failure = this.takeFailure(method, params);
    if (failure) {
      if ('drop' in failure) return void req.socket.destroy();
      const body: Json = { ok: false, error_code: failure.status, description: failure.description ?? `Error ${failure.status}` };
      if (failure.retry_after !== undefined) body.parameters = { retry_after: failure.retry_after };
      return reply(res, failure.status, body);
    }

    const ok = (result: unknown) => reply(res, 200, { ok: true, result });
    const bad = (description: string, status = 400) => reply(res, status, { ok: false, error_code: status, description });
    switch (method) {
      case 'getMe':
        return ok({ ...bot, is_bot: true, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
      case 'deleteWebhook':
      case 'setMyCommands':
        return ok(true);
      case 'getUpdates':
        return this.getUpdates(token, params, res, ok);
      case 'sendMessage':
      case 'editMessageText': {
        const err = this.validateText(params);
        if (err) return bad(err);
        if (method === 'sendMessage') {
          const threadErr = this.validateThread(params);
          if (threadErr) return bad(threadErr);
        }
        const result = this.record(method, token, bot, params);
        if (this.sendDelayMs > 0) await new Promise((r) => setTimeout(r, this.sendDelayMs));
        return ok(result);
      }
      case 'sendChatAction': {
        const threadErr = this.validateThread(params);
        if (threadErr) return bad(threadErr);
        const a: ChatAction = { token, chatId: params.chat_id as number, action: String(params.action) };
        if (typeof params.message_thread_id === 'number') a.threadId = params.message_thread_id;
        this.actions.push(a);
        return ok(true);
      }
      default:
        return bad('Not Found: method not found', 404);
    }
  }

  private getUpdates(token: string, params: Json, res: ServerResponse, ok: (r: unknown) => void): void {
    const offset = typeof params.offset === 'number' ? params.offset : undefined;
    const limit = typeof params.limit === 'number' ? Math.min(100, Math.max(1, params.limit)) : 100;
    const timeout = typeof params.timeout === 'number' ? params.timeout : 0;
    const queue = this.updates.get(token)!;
    // Like Telegram: an offset confirms (forgets) every update below it; a negative one keeps the last -offset.
    if (offset !== undefined && offset > 0)
      this.updates.set(
        token,
        queue.filter((u) => (u.update_id as number) >= offset),
      );
    if (offset !== undefined && offset < 0) this.updates.set(token, queue.slice(offset));
    const ready = this.updates.get(token)!.slice(0, limit);
    if (ready.length || timeout <= 0) return ok(ready);
    const waiter: Waiter = {
      token,
      offset,
      limit,
      done: (updates) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        res.off('close', onClose);
        ok(updates);
      },
    };
    const timer = setTimeout(() => waiter.done([]), timeout * 1000);
    const onClose = () => {
      clearTimeout(timer);
      this.waiters.delete(waiter);
    };
    // The client gave up (aborted long poll): forget the waiter. (res 'close' also fires on a normal finish,
    // after done() has already removed it.)
    res.on('close', onClose);
    this.waiters.add(waiter);
  }

  private wake(token: string): void {
    for (const w of [...this.waiters]) {
      if (w.token !== token) continue;
      const ready = this.updates.get(token)!.filter((u) => w.offset === undefined || (u.update_id as number) >= w.offset);
      if (ready.length) w.done(ready.slice(0, w.limit));
    }
  }

  private validateText(p: Json): string | undefined {
    if (p.chat_id === undefined || p.chat_id === '') return 'Bad Request: chat_id is empty';
    const text = typeof p.text === 'string' ? p.text : '';
    if (text.trim() === '') return 'Bad Request: message text is empty';
    let visible = text;
    if (p.parse_mode === 'HTML') {
      const parsed = parseHtml(text);
      if ('error' in parsed) return `Bad Request: can't parse entities: ${parsed.error}`;
      visible = parsed.visible;
    }
    if (visible.length > 4096) return 'Bad Request: message is too long';
    return undefined;
  }

  /** The General topic (1) and chats that are not forums reject message_thread_id, as the real API does. */
  private validateThread(p: Json): string | undefined {
    if (p.message_thread_id === undefined) return undefined;
    const chat = this.chats.get(p.chat_id as number);
    if (p.message_thread_id === 1) return 'Bad Request: message thread not found';
    if (chat && !chat.isForum) return 'Bad Request: message thread not found';
    return undefined;
  }

  private record(method: SentMessage['method'], token: string, bot: FakeBot, p: Json): Json {
    const text = String(p.text);
    const parsed = p.parse_mode === 'HTML' ? parseHtml(text) : { visible: text };
    const messageId = method === 'sendMessage' ? this.nextMessageId++ : Number(p.message_id);
    const s: SentMessage = {
      method,
      token,
      chatId: p.chat_id as number,
      messageId,
      text,
      visibleText: 'visible' in parsed ? parsed.visible : text,
    };
    if (typeof p.parse_mode === 'string') s.parseMode = p.parse_mode;
    if (typeof p.message_thread_id === 'number') s.threadId = p.message_thread_id;
    const rp = p.reply_parameters;
    if (rp && typeof rp === 'object' && typeof (rp as Json).message_id === 'number') s.replyTo = (rp as Json).message_id as number;
    this.sent.push(s);
    for (const l of [...this.sentListeners]) l();
    const chat = this.chats.get(s.chatId as number);
    return {
      message_id: messageId,
      from: { id: bot.id, is_bot: true, first_name: bot.first_name, username: bot.username },
      chat: { id: s.chatId, type: chat?.type ?? 'private' },
      date: Math.floor(Date.now() / 1000),
      text: s.visibleText,
      ...(s.threadId !== undefined ? { message_thread_id: s.threadId, is_topic_message: true } : {}),
    };
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

async function readBody(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (!raw) return {};
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) return JSON.parse(raw) as Json;
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  throw new Error(`unsupported content-type ${type}`);
}

/** Form and query values arrive as strings; Telegram reads numbers and JSON arrays/objects out of them. */
function coerce(params: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v !== 'string' || k === 'text') out[k] = v;
    else if (/^-?\d+$/.test(v)) out[k] = Number(v);
    else if (/^[[{]/.test(v)) {
      try {
        out[k] = JSON.parse(v);
      } catch {
        out[k] = v; // not JSON after all: Telegram would treat it as a plain string too
      }
    } else out[k] = v;
  }
  return out;
}

/** Entities Telegram would attach: @mentions and a leading /command(@bot). Offsets in UTF-16 units. */
function autoEntities(text: string): Json[] {
  const out: Json[] = [];
  const cmd = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
  if (cmd) out.push({ type: 'bot_command', offset: 0, length: cmd[0].length });
  for (const m of text.matchAll(/(^|[^\w/])(@[A-Za-z0-9_]{3,})/g)) {
    out.push({ type: 'mention', offset: (m.index ?? 0) + m[1].length, length: m[2].length });
  }
  return out;
}

/** A strict reading of Telegram's HTML subset: known tags, properly nested, no stray '<'. */
export function parseHtml(html: string): { visible: string } | { error: string } {
  const stack: string[] = [];
  let visible = '';
  const re = /<(\/?)([a-zA-Z-]+)((?:\s+[a-zA-Z-]+="[^"]*")*)\s*>|<|&(amp|lt|gt|quot|#\d+);|&/g;
  let last = 0;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    visible += html.slice(last, m.index);
    last = re.lastIndex;
    const whole = m[0];
    if (whole === '<') return { error: `Unexpected '<' at byte offset ${m.index}` };
    if (whole === '&') {
      visible += '&'; // Telegram tolerates a bare ampersand
      continue;
    }
    if (m[4]) {
      const e = m[4];
      visible += e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : String.fromCodePoint(Number(e.slice(1)));
      continue;
    }
    const tag = m[2].toLowerCase();
    if (!ALLOWED_TAGS.has(tag)) return { error: `Unsupported start tag "${tag}" at byte offset ${m.index}` };
    if (m[1]) {
      if (stack.pop() !== tag) return { error: `Can't find end tag corresponding to start tag "${tag}"` };
    } else stack.push(tag);
  }
  visible += html.slice(last);
  if (stack.length) return { error: `Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"` };
  return { visible };
}
