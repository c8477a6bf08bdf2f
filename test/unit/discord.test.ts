// The Discord adapter with the REAL discord.js Client against the fake Discord (REST + gateway) on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import { createDiscordChannels, type DiscordChannel } from '../../bots/discord/index.js';
import { ChannelSendError, type Clock, type Inbound } from '../../runtime/types/channel.js';
import { readFileSync, readdirSync } from 'node:fs';
import { FakeDiscord, type FakeGuild, type FakeUser } from '../fakes/fake-discord.js';
import { mutate, prng } from '../fakes/fuzz.js';

const GUILD = '1150000000000000001';
const GENERAL = '1150000000000000010';
const RANDOM = '1150000000000000011';
const THREAD = '1187700000000000100';
const BOT_ROLE = '1187650000000000001';
const ANA: FakeUser = { id: '1100000000000000042', username: 'ana_r', globalName: 'Ana' };
const OTHER_BOT: FakeUser = { id: '1187000000000000999', username: 'otherbot', bot: true };

const guild = (): FakeGuild => ({
  id: GUILD,
  name: 'Home Lab',
  channels: [
    { id: GENERAL, name: 'general' },
    { id: RANDOM, name: 'random' },
  ],
  threads: [{ id: THREAD, name: 'backup failures', parentId: GENERAL }],
  roles: [
    { id: '1150000000000000300', name: 'mods' },
    { id: BOT_ROLE, name: 'switchyard', botId: '900000000000000001' },
  ],
});

interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  data?: Record<string, unknown>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Real timers, but every wait the adapter asks for is recorded. */
function recordingClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => Date.now(),
    setTimeout: (fn, ms) => {
      waits.push(ms);
      return setTimeout(fn, ms);
    },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

/** The waits the adapter asked for, without each call's 5-minute deadline timer. */
const backoffs = (a: Adapter) => a.clock.waits.filter((w) => w !== 5 * 60_000);

async function until(cond: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function fake(opts: ConstructorParameters<typeof FakeDiscord>[0] = {}): Promise<FakeDiscord> {
  const f = await new FakeDiscord({ guilds: [guild()], ...opts }).start();
  cleanups.push(() => f.close());
  return f;
}

interface Adapter {
  channel: DiscordChannel;
  received: Inbound[];
  logs: LogLine[];
  clock: ReturnType<typeof recordingClock>;
}

async function adapter(
  f: FakeDiscord,
  opts: { token?: string; apiRoot?: string; onInbound?: (m: Inbound) => void | Promise<void>; start?: boolean; retry?: Record<string, number> } = {},
): Promise<Adapter> {
  const logs: LogLine[] = [];
  const received: Inbound[] = [];
  const clock = recordingClock();
  const log = {
    info: (msg: string, data?: Record<string, unknown>) => logs.push({ level: 'info', msg, data }),
    warn: (msg: string, data?: Record<string, unknown>) => logs.push({ level: 'warn', msg, data }),
    error: (msg: string, data?: Record<string, unknown>) => logs.push({ level: 'error', msg, data }),
  };
  const [channel] = await createDiscordChannels(
    { token: opts.token ?? f.token, apiRoot: opts.apiRoot ?? f.apiRoot, dmPolicy: 'pairing', allowFrom: [], guilds: {} },
    { log, clock, retry: { initialBackoffMs: 20, maxBackoffMs: 100, ...opts.retry } },
  );
  cleanups.push(() => channel.stop());
  if (opts.start !== false)
    await channel.start(async (m) => {
      await opts.onInbound?.(m);
      received.push(m);
    });
  return { channel, received, logs, clock };
}

describe('discord adapter: gateway', () => {
  it('logs in through GET /gateway/bot with the four intents and delivers server, thread and DM messages in order', async () => {
    const f = await fake();
    const a = await adapter(f);
    expect(a.channel.state).toBe('ready');
    expect(a.channel.botUsername).toBe('switchyard');
    expect(f.calls[0]).toMatchObject({ method: 'GET', path: '/gateway/bot' });
    const identify = f.gatewayOps.find((o) => o.op === 2)!.d as { intents: number };
    // Guilds | GuildMessages | DirectMessages | MessageContent
    expect(identify.intents).toBe(1 | (1 << 9) | (1 << 12) | (1 << 15));

    f.pushMessage({ channelId: GENERAL, author: ANA, content: `<@${f.bot.id}> hello`, mentions: [f.bot], roles: ['1150000000000000300'] });
    f.pushMessage({ channelId: THREAD, author: ANA, content: 'in the thread' });
    f.dm(ANA, 'a direct message');
    await until(() => a.received.length === 3, 'three messages');

    const [mention, inThread, dm] = a.received;
    expect(mention).toMatchObject({
      chat: { kind: 'channel', id: GENERAL, guildId: GUILD, title: 'general' },
      sender: { id: ANA.id, roles: ['1150000000000000300'] },
      text: 'hello',
      mentionsBot: true,
    });
    // The thread's parent comes from GUILD_CREATE (no REST lookup needed).
    expect(inThread.chat).toEqual({
      kind: 'channel',
      id: THREAD,
      threadId: THREAD,
      parentId: GENERAL,
      guildId: GUILD,
      threadWord: 'thread',
      title: 'general › backup failures',
    });
    expect(f.calls.some((c) => c.path === `/channels/${THREAD}`)).toBe(false);
    expect(dm.chat).toEqual({ kind: 'direct', id: f.dmChannels.get(ANA.id) });
  });

  it('heartbeats are acknowledged: the session stays up without reconnects', async () => {
    const f = await fake({ heartbeatIntervalMs: 100 });
    const a = await adapter(f);
    await until(() => f.gatewayOps.filter((o) => o.op === 1).length >= 4, 'four heartbeats');
    // Without an ACK discord.js would call the connection a zombie and resume on a new one.
    expect(f.resumes).toBe(0);
    expect(f.identifies).toBe(1);
    f.pushMessage({ channelId: GENERAL, author: ANA, content: 'alive' });
    await until(() => a.received.length === 1, 'a message');
  });

  it('a mention of its managed role addresses the bot', async () => {
    const f = await fake();
    const a = await adapter(f);
    f.pushMessage({ channelId: GENERAL, author: ANA, content: `<@&${BOT_ROLE}> status?`, mentionRoles: [BOT_ROLE] });
    await until(() => a.received.length === 1, 'the message');
    expect(a.received[0]).toMatchObject({ text: 'status?', mentionsBot: true });
  });

  it('ignores its own messages (Discord echoes them) and other bots', async () => {
    const f = await fake();
    const a = await adapter(f);
    await a.channel.send({ to: { kind: 'channel', id: GENERAL, guildId: GUILD }, text: 'I said this' });
    f.pushMessage({ channelId: GENERAL, author: OTHER_BOT, content: `<@${f.bot.id}> hi bot`, mentions: [f.bot] });
    f.pushMessage({ channelId: GENERAL, author: ANA, content: 'a human' });
    await until(() => a.received.length === 1, 'the human message');
    await new Promise((r) => setTimeout(r, 50));
    expect(a.received.map((m) => m.text)).toEqual(['a human']);
  });

  it('finds the parent of a thread it has not seen (GET /channels/{id}) without letting later messages overtake', async () => {
    const f = await fake();
    const a = await adapter(f);
    // A thread created after READY whose THREAD_CREATE the client never got.
    f.guilds[0].threads!.push({ id: '1187700000000000555', name: 'new thread', parentId: RANDOM });
    f.pushMessage({ channelId: '1187700000000000555', author: ANA, content: 'first, in a new thread' });
    f.pushMessage({ channelId: GENERAL, author: ANA, content: 'second' });
    await until(() => a.received.length === 2, 'two messages');
    expect(a.received.map((m) => m.text)).toEqual(['first, in a new thread', 'second']);
    expect(a.received[0].chat).toMatchObject({ id: '1187700000000000555', threadId: '1187700000000000555', parentId: RANDOM, title: 'random › new thread' });
    expect(f.calls.filter((c) => c.path === '/channels/1187700000000000555')).toHaveLength(1);
    // Remembered: the next message in that thread needs no lookup.
    f.pushMessage({ channelId: '1187700000000000555', author: ANA, content: 'third' });
    await until(() => a.received.length === 3, 'the third message');
    expect(f.calls.filter((c) => c.path === '/channels/1187700000000000555')).toHaveLength(1);
  });

  it('resumes after a dropped connection and delivers what was sent meanwhile exactly once', async () => {
    const f = await fake();
    const a = await adapter(f);
    f.pushMessage({ channelId: GENERAL, author: ANA, content: 'before' });
    await until(() => a.received.length === 1, 'the first message');
    f.cutConnection();
    f.pushMessage({ channelId: GENERAL, author: ANA, content: 'while away' });
    await until(() => f.resumes === 1 && a.received.length === 2, 'a resume and the missed message', 10_000);
    f.pushMessage({ channelId: GENERAL, author: ANA, content: 'after' });
    await until(() => a.received.length === 3, 'the last message');
    expect(a.received.map((m) => m.text)).toEqual(['before', 'while away', 'after']);
    expect(f.identifies).toBe(1);
    expect(a.logs.some((l) => l.msg === 'discord: gateway session resumed')).toBe(true);
  });

  it('400 mutated MESSAGE_CREATE payloads through the real client: nothing throws (in discord.js either), later messages arrive', async () => {
    const f = await fake();
    const a = await adapter(f);
    const dir = new URL('../fixtures/discord/', import.meta.url);
    const saved = readdirSync(dir).map((n) => (JSON.parse(readFileSync(new URL(n, dir), 'utf8')) as { d: Record<string, unknown> }).d);
    const r = prng(4242);
    for (let i = 0; i < 400; i++) {
      // Keep them in this server's channels, so discord.js really processes them (and would throw on junk).
      const d = mutate({ ...r.pick(saved), channel_id: r.pick([GENERAL, THREAD, RANDOM]), guild_id: GUILD }, r);
      f.dispatch('MESSAGE_CREATE', d as Record<string, unknown>);
    }
    f.pushMessage({ channelId: GENERAL, author: ANA, content: 'still here' });
    await until(() => a.received.some((m) => m.text === 'still here'), 'the message after the junk');
    expect(a.logs.filter((l) => l.level === 'error')).toEqual([]);
    expect(a.channel.state).toBe('ready');
  });

  it('a message the runtime keeps refusing is retried, then skipped; the next one still arrives', async () => {
    const f = await fake();
    let refusals = 0;
    const a = await adapter(f, {
      onInbound: (m) => {
        if (m.text === 'poison') {
          refusals++;
          throw new Error('journal is full');
        }
      },
    });
    f.pushMessage({ channelId: GENERAL, author: ANA, content: 'poison' });
    f.pushMessage({ channelId: GENERAL, author: ANA, content: 'fine' });
    await until(() => a.received.length === 1, 'the next message');
    expect(refusals).toBe(3);
    expect(a.received[0].text).toBe('fine');
    expect(a.logs.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      'discord: the runtime did not accept a message; retrying',
      'discord: the runtime did not accept a message; retrying',
      'discord: message skipped after repeated delivery failures',
    ]);
  });
});

describe('discord adapter: refused logins stop only this account, with one plain line', () => {
  it('a token REST rejects (401)', async () => {
    const f = await fake();
    const a = await adapter(f, { token: 'wrong-token' });
    expect(a.channel.state).toBe('unauthorized');
    const errors = a.logs.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].msg).toMatch(/^channels\.discord\.token was rejected by Discord \(401 \/ close 4004\): .*Reset Token.*rest of the gateway keeps running/);
    expect(f.identifies).toBe(0);
  });

  it('a token the gateway rejects (close 4004)', async () => {
    const f = await fake();
    f.identifyCloseCode = 4004;
    const a = await adapter(f);
    expect(a.channel.state).toBe('unauthorized');
    expect(a.logs.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([expect.stringMatching(/^channels\.discord\.token was rejected/)]);
    expect(f.identifies).toBe(1);
  });

  it('the Message Content intent turned off in the portal (close 4014)', async () => {
    const f = await fake({ messageContentAllowed: false });
    const a = await adapter(f);
    expect(a.channel.state).toBe('intents-refused');
    const errors = a.logs.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].msg).toMatch(/^Discord refused the Message Content intent \(close 4014\): turn on .*Message Content Intent/);
    expect(f.identifies).toBe(1); // not retried: it cannot work until the portal changes
  });

  it('a gateway slow to say HELLO holds up start() only for a while; the login completes in the background', async () => {
    const f = await fake();
    f.helloDelayMs = 1000;
    const a = await adapter(f, { retry: { loginWaitMs: 200 } });
    expect(a.channel.state).toBe('connecting');
    expect(a.logs.map((l) => l.msg)).toContain('discord: still connecting; continuing in the background');
    await until(() => a.channel.state === 'ready', 'the login to complete');
    f.pushMessage({ channelId: GENERAL, author: ANA, content: 'late but fine' });
    await until(() => a.received.length === 1, 'a message');
  });

  it('a Discord outage at login is retried in the background until it works', async () => {
    const f = await fake();
    // discord.js's own REST retries a 5xx three times; the fourth failure reaches our login loop.
    f.failWhen((m, p) => m === 'GET' && p === '/gateway/bot', { status: 503 }, 4);
    const a = await adapter(f);
    await until(() => a.channel.state === 'ready', 'the login to succeed');
    expect(a.logs.filter((l) => l.msg === 'discord: login failed; retrying')).toHaveLength(1);
    f.pushMessage({ channelId: GENERAL, author: ANA, content: 'made it' });
    await until(() => a.received.length === 1, 'a message');
  });
});

describe('discord adapter: sending', () => {
  it('replies in servers with a message reference, posts thread replies to the thread, keeps Markdown', async () => {
    const f = await fake();
    const a = await adapter(f, { start: false });
    const r1 = await a.channel.send({ to: { kind: 'channel', id: GENERAL, guildId: GUILD }, text: '**bold** and `code`', replyToId: '1325791840010000001' });
    const r2 = await a.channel.send({ to: { kind: 'channel', id: THREAD, threadId: THREAD, parentId: GENERAL, guildId: GUILD }, text: 'into the thread' });
    // A chat rebuilt from a session key carries the parent as id and the thread as threadId.
    await a.channel.send({ to: { kind: 'channel', id: GENERAL, threadId: THREAD, guildId: GUILD }, text: 'also into the thread' });
    expect(f.sent.map((s) => [s.channelId, s.content, s.replyTo])).toEqual([
      [GENERAL, '**bold** and `code`', '1325791840010000001'],
      [THREAD, 'into the thread', undefined],
      [THREAD, 'also into the thread', undefined],
    ]);
    expect(r1.messageId).toBe(f.sent[0].id);
    expect(r2.messageId).toBe(f.sent[1].id);
    expect(f.sent[0].allowedMentions).toEqual({ parse: [], replied_user: true });
  });

  it('plain text is shown as written: Markdown characters are escaped', async () => {
    const f = await fake();
    const a = await adapter(f, { start: false });
    await a.channel.send({ to: { kind: 'channel', id: GENERAL }, text: 'run `rm *.log` with code AB_12_CD\n# not a heading', format: 'plain' });
    expect(f.sent[0].content).toBe('run \\`rm \\*.log\\` with code AB\\_12\\_CD\n\\# not a heading');
  });

  it('opens a DM with POST /users/@me/channels once per user and sends there', async () => {
    const f = await fake();
    const a = await adapter(f, { start: false });
    const dm = await a.channel.openDirect('1100000000000000042');
    expect(dm).toEqual({ kind: 'direct', id: f.dmChannels.get('1100000000000000042') });
    await a.channel.openDirect('1100000000000000042');
    expect(f.calls.filter((c) => c.path === '/users/@me/channels')).toEqual([
      { method: 'POST', path: '/users/@me/channels', body: { recipient_id: '1100000000000000042' }, at: expect.any(Number) },
    ]);
    await a.channel.send({ to: dm, text: 'an approval request' });
    expect(f.sent[0].channelId).toBe(dm.id);
  });

  it('waits out a 429 for as long as Discord asks, then sends once', async () => {
    const f = await fake();
    const a = await adapter(f, { start: false });
    f.failSend({ status: 429, retryAfter: 0.3 });
    await a.channel.send({ to: { kind: 'channel', id: GENERAL }, text: 'after the wait' });
    expect(f.sent.map((s) => s.content)).toEqual(['after the wait']);
    const posts = f.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/messages'));
    expect(posts).toHaveLength(2);
    // The bucket's precise reset (X-RateLimit-Reset-After: 0.300) is honoured before the second attempt.
    expect(posts[1].at - posts[0].at).toBeGreaterThanOrEqual(300);
    expect(a.logs.find((l) => l.msg === 'discord: rate limited, waiting it out')?.data).toMatchObject({ route: '/channels/:id/messages', global: false });
  });

  it('a rate limit longer than a minute fails the send (retryable later) instead of blocking the chat', async () => {
    const f = await fake();
    const a = await adapter(f, { start: false });
    f.failSend({ status: 429, retryAfter: 600 });
    const err = await a.channel.send({ to: { kind: 'channel', id: GENERAL }, text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelSendError);
    expect((err as ChannelSendError).permanent).toBe(false);
    expect((err as Error).message).toMatch(/rate limited for 600s/);
    expect(backoffs(a)).toEqual([]);
  });

  it('a server that keeps answering 429 is given up on at the call deadline', async () => {
    const f = await fake();
    const a = await adapter(f, { start: false, retry: { callDeadlineMs: 600 } });
    f.failSend({ status: 429, retryAfter: 0.2 }, 1000);
    const err = (await a.channel.send({ to: { kind: 'channel', id: GENERAL }, text: 'x' }).catch((e: unknown) => e)) as ChannelSendError;
    expect(err).toBeInstanceOf(ChannelSendError);
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(/no answer from Discord within 1s/);
    expect(f.sent).toEqual([]);
  });

  it('retries a 5xx with backoff; a missing permission fails at once with what to do', async () => {
    const f = await fake();
    const a = await adapter(f, { start: false });
    f.failSend({ status: 502 }, 2);
    await a.channel.send({ to: { kind: 'channel', id: GENERAL }, text: 'eventually' });
    expect(f.sent).toHaveLength(1);
    expect(backoffs(a)).toEqual([20, 40]);

    f.failSend({ status: 403, code: 50013, message: 'Missing Permissions' });
    const err = (await a.channel.send({ to: { kind: 'channel', id: GENERAL }, text: 'no' }).catch((e: unknown) => e)) as ChannelSendError;
    expect(err.permanent).toBe(true);
    expect(err.message).toMatch(/Missing Permissions.*Send Messages/);
  });

  it('a connection lost after posting is not retried (the message may be there already)', async () => {
    const f = await fake();
    const a = await adapter(f, { start: false });
    f.failSend({ drop: true });
    const err = (await a.channel.send({ to: { kind: 'channel', id: GENERAL }, text: 'once at most' }).catch((e: unknown) => e)) as ChannelSendError;
    expect(err).toBeInstanceOf(ChannelSendError);
    expect(err.message).toMatch(/delivery unknown, not retried/);
    expect(f.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/messages'))).toHaveLength(1);
  });

  it('typing goes to the thread, at most every 8 s per channel', async () => {
    const f = await fake();
    const a = await adapter(f, { start: false });
    const thread = { kind: 'channel' as const, id: THREAD, threadId: THREAD, parentId: GENERAL };
    await a.channel.typing(thread);
    await a.channel.typing(thread);
    await a.channel.typing({ kind: 'channel', id: GENERAL });
    expect(f.typing).toEqual([THREAD, GENERAL]);
  });
});
