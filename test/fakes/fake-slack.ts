// A fake Slack: a real HTTP server on 127.0.0.1 speaking the Web API methods the adapter uses (POST /api/<method>,
// form or JSON bodies, the token as a Bearer header) and, on the same port, a Socket Mode WebSocket
// (fake-slack-socket.ts). The real bolt App and WebClient are pointed at it with `apiUrl`. It behaves like Slack
// where the adapter depends on it: unknown tokens get invalid_auth, app tokens only open sockets, posts get
// increasing `ts` ids, reactions can be added once and removed once, and — as with a real workspace subscribed to
// message events — the bot's own posts come back to it as `message` events. Failures can be injected per method.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeSocketMode, type Envelope, type Json } from './fake-slack-socket.js';

export type { Envelope, Json } from './fake-slack-socket.js';

export interface FakeSlackApp {
  botToken: string;
  appToken: string;
  teamId: string;
  botUserId: string;
  botId: string;
  botName: string;
  appId: string;
}

export interface Posted {
  method: 'chat.postMessage' | 'chat.update';
  token: string;
  channel: string;
  ts: string;
  text: string;
  threadTs?: string;
  mrkdwn?: boolean;
  at: number;
}

export interface ReactionCall {
  action: 'add' | 'remove';
  channel: string;
  ts: string;
  name: string;
  at: number;
}

export type Failure = { status?: number; error?: string; retryAfter?: number } | { drop: true };

export interface PostOptions {
  channel: string;
  user: string;
  text: string;
  /** 'channel' (default for C…/G…), 'group' (private), 'im' (default for D…), 'mpim'. */
  channelType?: string;
  threadTs?: string;
  /** The thread root's author (Slack sets parent_user_id on thread replies). */
  parentUserId?: string;
  /** Which app receives it (default: the first). */
  appToken?: string;
  teamId?: string;
  files?: Json[];
}

export const DEFAULT_APP: FakeSlackApp = {
  botToken: 'xoxb-1111-2222-faketoken',
  appToken: 'xapp-1-A07FAKEAPP-3333-fake',
  teamId: 'T07FAKETEAM',
  botUserId: 'U07FAKEBOT',
  botId: 'B07FAKEBOT',
  botName: 'switchyard',
  appId: 'A07FAKEAPP',
};

export class FakeSlack {
  readonly apps: FakeSlackApp[];
  readonly posted: Posted[] = [];
  readonly reactions: ReactionCall[] = [];
  /** Every Web API call, in order: method, token, decoded params. */
  readonly calls: { method: string; token: string; params: Json; at: number }[] = [];
  readonly users = new Map<string, { name: string; realName: string; displayName: string }>();
  readonly socket: FakeSocketMode;
  /** Whether the bot's own posts come back as message events (a workspace subscribed to message.* does that). */
  echoOwnPosts = true;
  apiUrl = '';
  private base = '';
  private server: Server | undefined;
  private failures = new Map<string, Failure[]>();
  private activeReactions = new Set<string>();
  private seq = 0;
  private eventSeq = 0;

  constructor(apps: Partial<FakeSlackApp>[] = [{}]) {
    this.apps = apps.map((a, i) => ({
      ...DEFAULT_APP,
      ...(i > 0 ? { botToken: `xoxb-${i}-fake`, appToken: `xapp-${i}-fake`, teamId: `T0TEAM${i}`, botUserId: `U0BOT${i}`, botId: `B0BOT${i}`, appId: `A0APP${i}` } : {}),
      ...a,
    }));
    this.socket = new FakeSocketMode((appToken) => this.appBy('appToken', appToken)?.appId ?? 'A0UNKNOWN');
  }

  get app(): FakeSlackApp {
    return this.apps[0];
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, sock, head) => this.socket.handleUpgrade(req, sock, head));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.apiUrl = `${this.base}/api/`;
    return this;
  }

  async close(): Promise<void> {
    await this.socket.close();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** The next `times` calls to `method` fail: an HTTP status (429 with Retry-After), a Slack error, or a dropped connection. */
  failNext(method: string, failure: Failure, times = 1): void {
    const q = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) q.push(failure);
    this.failures.set(method, q);
  }

  /** A person posts: a `message` event, and — when it mentions the bot outside a DM — an `app_mention` too. */
  post(o: PostOptions): { ts: string; envelopes: Envelope[] } {
    const app = o.appToken ? this.appBy('appToken', o.appToken)! : this.app;
    const ts = this.nextTs();
    const isDm = o.channel.startsWith('D');
    const base: Json = { user: o.user, ts, text: o.text, team: o.teamId ?? app.teamId, channel: o.channel, event_ts: ts };
    if (o.threadTs) Object.assign(base, { thread_ts: o.threadTs, parent_user_id: o.parentUserId ?? o.user });
    if (o.files) Object.assign(base, { subtype: 'file_share', files: o.files });
    const message = { type: 'message', client_msg_id: `c-${ts}`, ...base, channel_type: o.channelType ?? (isDm ? 'im' : 'channel') };
    const envelopes = [this.pushEvent(message, { appToken: app.appToken, teamId: o.teamId })];
    if (!isDm && o.text.includes(`<@${app.botUserId}`)) {
      const { subtype: _s, files: _f, ...mention } = base;
      envelopes.push(this.pushEvent({ type: 'app_mention', client_msg_id: `c-${ts}`, ...mention }, { appToken: app.appToken, teamId: o.teamId }));
    }
    return { ts, envelopes };
  }

  /** Any event, wrapped in an event_callback payload as Slack sends it. */
  pushEvent(event: Json, opts: { appToken?: string; eventId?: string; teamId?: string } = {}): Envelope {
    const app = opts.appToken ? this.appBy('appToken', opts.appToken)! : this.app;
    const teamId = opts.teamId ?? app.teamId;
    const payload: Json = {
      token: 'verification-token-unused',
      team_id: teamId,
      context_team_id: teamId,
      api_app_id: app.appId,
      event,
      type: 'event_callback',
      event_id: opts.eventId ?? `Ev${String(++this.eventSeq).padStart(9, '0')}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: teamId, user_id: app.botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    };
    return this.socket.push(app.appToken, payload);
  }

  /** The DM channel id the fake gives a user (conversations.open, and posts addressed to the user id). */
  dmOf(userId: string): string {
    return `D${userId.slice(1)}`;
  }

  /**
   * Resolves when `probe` returns something truthy — checked after every change of the fake and every 10 ms (for
   * effects outside the fake) — or rejects after timeoutMs.
   */
  waitFor<T>(probe: () => T | undefined | false | null, what: string, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (!v) return false;
        stop();
        clearInterval(poll);
        clearTimeout(timer);
        resolve(v);
        return true;
      };
      const stop = this.onChange(() => void check());
      const poll = setInterval(check, 10);
      const timer = setTimeout(() => {
        stop();
        clearInterval(poll);
        reject(
          new Error(
            `fake slack: timed out after ${timeoutMs} ms waiting for ${what}; posted: ${JSON.stringify(this.posted.map((p) => [p.channel, p.threadTs, p.text.slice(0, 60)]))}`,
          ),
        );
      }, timeoutMs);
      check();
    });
  }

  waitForPost(pred: (p: Posted) => boolean, timeoutMs?: number): Promise<Posted> {
    return this.waitFor(() => this.posted.find((p) => p.method === 'chat.postMessage' && pred(p)), 'a matching chat.postMessage', timeoutMs);
  }

  postsTo(channel: string, threadTs?: string): Posted[] {
    return this.posted.filter((p) => p.method === 'chat.postMessage' && p.channel === channel && (threadTs === undefined || p.threadTs === threadTs));
  }

  onChange(fn: () => void): () => void {
    const offSocket = this.socket.onChange(fn);
    this.listeners.add(fn);
    return () => {
      offSocket();
      this.listeners.delete(fn);
    };
  }

  private readonly listeners = new Set<() => void>();

  private changed(): void {
    for (const fn of [...this.listeners]) fn();
  }

  private nextTs(): string {
    return `1733000000.${String(++this.seq).padStart(6, '0')}`;
  }

  private appBy(key: 'botToken' | 'appToken', token: string): FakeSlackApp | undefined {
    return this.apps.find((a) => a[key] === token);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = url.pathname.replace(/^\/api\//, '');
    const raw = await new Promise<string>((resolve) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => resolve(body));
    });
    const params: Json = {};
    if ((req.headers['content-type'] ?? '').includes('application/json') && raw) Object.assign(params, JSON.parse(raw) as Json);
    else for (const [k, v] of new URLSearchParams(raw)) params[k] = v;
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : typeof params.token === 'string' ? params.token : '';
    this.calls.push({ method, token, params, at: Date.now() });

    const send = (status: number, body: Json, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
      this.changed();
    };
    const failure = this.failures.get(method)?.shift();
    if (failure) {
      if ('drop' in failure) return void req.socket.destroy();
      if (failure.status === 429) return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(failure.retryAfter ?? 1) });
      return send(failure.status ?? 200, { ok: false, error: failure.error ?? 'internal_error' });
    }
    send(200, this.answer(method, token, params));
  }

  private answer(method: string, token: string, p: Json): Json {
    if (!token) return { ok: false, error: 'not_authed' };
    const viaApp = this.appBy('appToken', token);
    if (method === 'apps.connections.open') {
      if (viaApp) return { ok: true, url: this.socket.issueUrl(this.base, token) };
      return { ok: false, error: this.appBy('botToken', token) ? 'not_allowed_token_type' : 'invalid_auth' };
    }
    const app = this.appBy('botToken', token);
    if (!app) return { ok: false, error: viaApp ? 'not_allowed_token_type' : 'invalid_auth' };
    const str = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : undefined);
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake Team',
          user: app.botName,
          team_id: app.teamId,
          user_id: app.botUserId,
          bot_id: app.botId,
          is_enterprise_install: false,
        };
      case 'chat.postMessage': {
        const text = str('text');
        let channel = str('channel');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (text === undefined && p.blocks === undefined) return { ok: false, error: 'no_text' };
        if ((text ?? '').length > 40_000) return { ok: false, error: 'msg_too_long' };
        if (channel.startsWith('U') || channel.startsWith('W')) channel = this.dmOf(channel); // a user id posts to the DM
        const ts = this.nextTs();
        const threadTs = str('thread_ts');
        const posted: Posted = { method: 'chat.postMessage', token, channel, ts, text: text ?? '', at: Date.now() };
        if (threadTs) posted.threadTs = threadTs;
        if (p.mrkdwn !== undefined) posted.mrkdwn = p.mrkdwn !== 'false' && p.mrkdwn !== false;
        this.posted.push(posted);
        const message: Json = {
          type: 'message',
          user: app.botUserId,
          bot_id: app.botId,
          app_id: app.appId,
          text: text ?? '',
          ts,
          team: app.teamId,
          ...(threadTs ? { thread_ts: threadTs } : {}),
        };
        if (this.echoOwnPosts)
          this.pushEvent({ ...message, channel, event_ts: ts, channel_type: channel.startsWith('D') ? 'im' : 'channel' }, { appToken: app.appToken });
        return { ok: true, channel, ts, message };
      }
      case 'chat.update': {
        const channel = str('channel');
        const ts = str('ts');
        if (!channel || !ts) return { ok: false, error: 'message_not_found' };
        this.posted.push({ method: 'chat.update', token, channel, ts, text: str('text') ?? '', at: Date.now() });
        return { ok: true, channel, ts, text: str('text') ?? '' };
      }
      case 'conversations.open': {
        const users = str('users');
        if (!users || users.includes(',')) return { ok: false, error: users ? 'not_implemented_in_fake' : 'users_list_not_supplied' };
        if (!this.users.has(users) && !/^[UW][A-Z0-9]+$/.test(users)) return { ok: false, error: 'user_not_found' };
        return { ok: true, channel: { id: this.dmOf(users) } };
      }
      case 'reactions.add':
      case 'reactions.remove': {
        const channel = str('channel');
        const ts = str('timestamp');
        const name = str('name');
        if (!channel || !ts || !name) return { ok: false, error: 'invalid_arguments' };
        const key = `${channel}:${ts}:${name}`;
        const add = method === 'reactions.add';
        if (add && this.activeReactions.has(key)) return { ok: false, error: 'already_reacted' };
        if (!add && !this.activeReactions.has(key)) return { ok: false, error: 'no_reaction' };
        if (add) this.activeReactions.add(key);
        else this.activeReactions.delete(key);
        this.reactions.push({ action: add ? 'add' : 'remove', channel, ts, name, at: Date.now() });
        return { ok: true };
      }
      case 'users.info': {
        const id = str('user') ?? '';
        const u = this.users.get(id);
        if (!u) return { ok: false, error: 'user_not_found' };
        return {
          ok: true,
          user: { id, team_id: app.teamId, name: u.name, real_name: u.realName, is_bot: false, profile: { real_name: u.realName, display_name: u.displayName } },
        };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  /** Reactions currently on a message. */
  reactionsOn(channel: string, ts: string): string[] {
    return [...this.activeReactions].filter((k) => k.startsWith(`${channel}:${ts}:`)).map((k) => k.split(':')[2]);
  }
}
