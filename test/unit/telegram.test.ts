// The Telegram adapter with the real grammY client against the fake Bot API server on 127.0.0.1.
import { afterEach, describe, expect, it } from 'vitest';
import { createTelegramChannels, type TelegramAdapterConfig, type TelegramChannel, type TelegramDeps } from '../../bots/telegram/index.js';
import { systemClock, type Clock } from '../../runtime/types/clock.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { ChannelSendError, type Inbound } from '../../runtime/types/channel.js';
import { FakeTelegram } from '../fakes/fake-telegram.js';

const TOKEN = '123456:TEST-TOKEN';
const BOT_ID = 123456;
const USERNAME = 'switchyard_test_bot';

interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  data?: Record<string, unknown>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Delegates to real timers but remembers every wait the adapter asked for. */
function recordingClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => Date.now(),
    setTimeout: (fn, ms) => {
      waits.push(ms);
      return systemClock.setTimeout(fn, ms);
    },
    clearTimeout: (h) => systemClock.clearTimeout(h),
  };
}

/** A fake clock (time moves only by advance()) that also shows the waits asked of it. */
function fakeClock(): FakeClock & { waits: number[] } {
  const clock = new FakeClock();
  return Object.assign(clock, { waits: clock.requested });
}

async function until(cond: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function fake(bots?: ConstructorParameters<typeof FakeTelegram>[0]): Promise<FakeTelegram> {
  const f = await new FakeTelegram(bots ?? { [TOKEN]: { username: USERNAME } }).start();
  cleanups.push(() => f.close());
  return f;
}

interface Harness {
  channels: TelegramChannel[];
  channel: TelegramChannel;
  received: Inbound[];
  logs: LogLine[];
  offsets: Map<string, number>;
  clock: Clock & { waits: number[] };
}

async function adapter(
  f: FakeTelegram,
  opts: {
    cfg?: TelegramAdapterConfig;
    offsets?: Map<string, number>;
    onInbound?: (m: Inbound) => void | Promise<void>;
    retry?: TelegramDeps['retry'];
    start?: boolean;
    /** Time for the adapter; default: real timers, recording the waits. */
    clock?: Clock & { waits: number[] };
  } = {},
): Promise<Harness> {
  const offsets = opts.offsets ?? new Map<string, number>();
  const logs: LogLine[] = [];
  const received: Inbound[] = [];
  const clock = opts.clock ?? recordingClock();
  const log = {
    info: (msg: string, data?: Record<string, unknown>) => logs.push({ level: 'info', msg, data }),
    warn: (msg: string, data?: Record<string, unknown>) => logs.push({ level: 'warn', msg, data }),
    error: (msg: string, data?: Record<string, unknown>) => logs.push({ level: 'error', msg, data }),
  };
  const channels = (await createTelegramChannels(opts.cfg ?? { botToken: TOKEN, apiRoot: f.apiRoot, pollTimeoutSeconds: 1 }, {
    offsets: { get: (k) => offsets.get(k), set: (k, v) => void offsets.set(k, v) },
    log,
    clock,
    retry: { initialBackoffMs: 20, maxBackoffMs: 100, ...opts.retry },
  })) as TelegramChannel[];
  for (const c of channels) {
    cleanups.push(() => c.stop());
    if (opts.start !== false)
      await c.start(async (m) => {
        await opts.onInbound?.(m);
        received.push(m);
      });
  }
  return { channels, channel: channels[0], received, logs, offsets, clock };
}

describe('telegram adapter: configuration', () => {
  it('returns no channels when Telegram is not configured or has no token', async () => {
    const deps = { offsets: { get: () => undefined, set: () => {} }, log: { info() {}, warn() {}, error() {} } };
    expect(await createTelegramChannels(undefined, deps)).toEqual([]);
    expect(await createTelegramChannels({}, deps)).toEqual([]);
    expect(await createTelegramChannels({ botToken: 'x:y', enabled: false }, deps)).toEqual([]);
    expect((await createTelegramChannels({}, { ...deps, env: { TELEGRAM_BOT_TOKEN: '1:abc' } })).map((c) => c.accountId)).toEqual(['default']);
  });

  it('runs several bot accounts side by side, each with its own offset', async () => {
    const f = await fake({ [TOKEN]: { username: USERNAME }, '777:WORK': { username: 'work_bot' } });
    const h = await adapter(f, {
      cfg: { botToken: TOKEN, apiRoot: f.apiRoot, pollTimeoutSeconds: 1, accounts: { work: { botToken: '777:WORK' } } },
    });
    expect(h.channels.map((c) => c.accountId)).toEqual(['default', 'work']);
    f.pushMessage({ chatId: 10, chatType: 'private', fromId: 10, text: 'to default' });
    f.pushMessage({ chatId: 11, chatType: 'private', fromId: 11, text: 'to work', token: '777:WORK' });
    await until(() => h.received.length === 2, 'two messages');
    const byText = Object.fromEntries(h.received.map((m) => [m.text, m.accountId]));
    expect(byText).toEqual({ 'to default': 'default', 'to work': 'work' });
    expect([...h.offsets.keys()].sort()).toEqual(['telegram:default', 'telegram:default:botId', 'telegram:work', 'telegram:work:botId']);
  });
});

describe('telegram adapter: inbound and replies', () => {
  it('decodes a DM and sends the reply as HTML to the same chat', async () => {
    const f = await fake();
    const h = await adapter(f);
    expect(h.channel.me).toEqual({ id: BOT_ID, username: USERNAME });
    f.pushMessage({ chatId: 4242, chatType: 'private', fromId: 4242, fromName: 'Ana', username: 'ana', text: 'hello bot' });
    await until(() => h.received.length === 1, 'the DM');
    const m = h.received[0];
    expect(m).toMatchObject({ channel: 'telegram', accountId: 'default', chat: { kind: 'direct', id: '4242' }, text: 'hello bot' });
    expect(m.sender).toMatchObject({ id: '4242', name: 'Ana', username: 'ana', isBot: false });

    const res = await h.channel.send({ to: m.chat, text: 'Hi **Ana** & <friends>' });
    const sent = await f.waitForSent(() => true);
    expect(sent).toMatchObject({ chatId: 4242, parseMode: 'HTML', text: 'Hi <b>Ana</b> &amp; &lt;friends&gt;', visibleText: 'Hi Ana & <friends>' });
    expect(sent.threadId).toBeUndefined();
    expect(res.messageId).toBe(String(sent.messageId));

    await h.channel.edit(m.chat, res.messageId, 'Hi *again*');
    expect(f.sent.at(-1)).toMatchObject({ method: 'editMessageText', messageId: sent.messageId, text: 'Hi <i>again</i>' });
  });

  it('keeps two forum topics apart: each inbound has its topic, each reply and typing action carries it', async () => {
    const f = await fake();
    const h = await adapter(f);
    const forum = -1002233445566;
    f.pushMessage({ chatId: forum, chatType: 'supergroup', isForum: true, threadId: 17, fromId: 5, text: `@${USERNAME} topic A` });
    f.pushMessage({ chatId: forum, chatType: 'supergroup', isForum: true, threadId: 23, fromId: 6, text: `@${USERNAME} topic B` });
    await until(() => h.received.length === 2, 'two topic messages');
    const [a, b] = h.received;
    expect(a.chat).toMatchObject({ kind: 'group', id: String(forum), isForum: true, threadId: '17' });
    expect(b.chat).toMatchObject({ kind: 'group', id: String(forum), isForum: true, threadId: '23' });
    expect(a.mentionsBot && b.mentionsBot).toBe(true);
    expect(a.replyToId).toBeUndefined(); // the topic root is not a reply

    await h.channel.typing(b.chat);
    await h.channel.send({ to: b.chat, text: 'answer B', replyToId: b.messageId });
    await h.channel.send({ to: a.chat, text: 'answer A' });
    expect(f.sent.map((s) => [s.visibleText, s.threadId])).toEqual([
      ['answer B', 23],
      ['answer A', 17],
    ]);
    expect(f.sent[0].replyTo).toBe(Number(b.messageId));
    expect(f.actions).toEqual([{ token: TOKEN, chatId: forum, action: 'typing', threadId: 23 }]);
  });

  it('answers in the General topic without message_thread_id', async () => {
    const f = await fake();
    const h = await adapter(f);
    f.pushMessage({ chatId: -1009, chatType: 'supergroup', isForum: true, fromId: 5, text: `/status@${USERNAME}` });
    await until(() => h.received.length === 1, 'the General topic message');
    const m = h.received[0];
    expect(m.chat.threadId).toBe('1');
    expect(m.text).toBe('/status');
    expect(m.mentionsBot).toBe(true);
    await h.channel.typing(m.chat);
    await h.channel.send({ to: m.chat, text: 'all good' });
    expect(f.sent[0].threadId).toBeUndefined();
    expect(f.actions[0].threadId).toBeUndefined();
    expect(h.logs.filter((l) => l.level !== 'info')).toEqual([]);
  });

  it('reports a reply to the bot and a photo caption with its attachment', async () => {
    const f = await fake();
    const h = await adapter(f);
    f.pushMessage({ chatId: -100, chatType: 'supergroup', fromId: 5, text: 'and then?', replyTo: { messageId: 77, fromId: BOT_ID, isBot: true } });
    f.pushMessage({ chatId: 5, chatType: 'private', fromId: 5, caption: 'what is this', photo: true });
    await until(() => h.received.length === 2, 'two messages');
    expect(h.received[0]).toMatchObject({ mentionsBot: true, replyToBot: true, replyToId: '77' });
    expect(h.received[0].chat.threadId).toBeUndefined();
    expect(h.received[1]).toMatchObject({ text: 'what is this', attachments: [{ kind: 'photo', bytes: 98765 }] });
  });
});

describe('telegram adapter: sending through failures', () => {
  it('waits out a 429 (retry_after) and sends exactly once', async () => {
    const f = await fake();
    const clock = fakeClock();
    const h = await adapter(f, { start: false, clock });
    f.failNext('sendMessage', { status: 429, description: 'Too Many Requests: retry after 1', retry_after: 1 });
    const sending = h.channel.send({ to: { kind: 'direct', id: '42' }, text: 'after the wait' });
    await until(() => clock.waits.includes(1000), 'the retry_after wait');
    await clock.advance(999);
    expect(f.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(1); // not a moment early
    await clock.advance(1);
    await sending;
    expect(f.sent.map((s) => s.visibleText)).toEqual(['after the wait']);
    expect(f.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(2);
  });

  it('fails fast (not permanent) when retry_after is longer than we are willing to wait', async () => {
    const f = await fake();
    const h = await adapter(f, { start: false, retry: { maxRetryAfterSeconds: 5 } });
    f.failNext('sendMessage', { status: 429, description: 'Too Many Requests: retry after 300', retry_after: 300 });
    const err = await h.channel.send({ to: { kind: 'direct', id: '42' }, text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelSendError);
    expect((err as ChannelSendError).permanent).toBe(false);
    expect(f.sent).toEqual([]);
  });

  it('retries 5xx with backoff, and gives up with a non-permanent error when it persists', async () => {
    const f = await fake();
    const h = await adapter(f, { start: false });
    f.failNext('sendMessage', { status: 502, description: 'Bad Gateway' }, 2);
    await h.channel.send({ to: { kind: 'direct', id: '42' }, text: 'third time lucky' });
    expect(f.sent.map((s) => s.visibleText)).toEqual(['third time lucky']);

    f.failNext('sendMessage', { status: 500, description: 'Internal Server Error' }, 10);
    const err = await h.channel.send({ to: { kind: 'direct', id: '42' }, text: 'never' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelSendError);
    expect((err as ChannelSendError).permanent).toBe(false);
    expect((err as Error).message).toMatch(/gave up after 4 attempts/);
    expect(f.sent).toHaveLength(1);
  });

  it("resends as plain text once when Telegram can't parse the entities", async () => {
    const f = await fake();
    const h = await adapter(f, { start: false });
    f.failNext('sendMessage', { status: 400, description: 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 3' });
    await h.channel.send({ to: { kind: 'direct', id: '42' }, text: 'some **markdown**' });
    expect(f.sent).toHaveLength(1);
    expect(f.sent[0].parseMode).toBeUndefined();
    expect(f.sent[0].text).toBe('some **markdown**');
    expect(h.logs.some((l) => l.level === 'warn' && /plain text/.test(l.msg))).toBe(true);
  });

  it('does not retry a sendMessage whose connection died after sending (it may have been delivered)', async () => {
    const f = await fake();
    const h = await adapter(f, { start: false });
    f.failNext('sendMessage', { drop: true });
    const err = await h.channel.send({ to: { kind: 'direct', id: '42' }, text: 'maybe' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelSendError);
    expect((err as Error).message).toMatch(/delivery unknown/);
    expect(f.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(1);
  });

  it('treats other 4xx as permanent (e.g. the user blocked the bot, or the topic is gone)', async () => {
    const f = await fake();
    const h = await adapter(f, { start: false });
    f.failNext('sendMessage', { status: 403, description: 'Forbidden: bot was blocked by the user' });
    const err = await h.channel.send({ to: { kind: 'direct', id: '42' }, text: 'x' }).catch((e: unknown) => e);
    expect((err as ChannelSendError).permanent).toBe(true);
    expect(f.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(1);
  });

  it('logs (does not throw) a failed typing action', async () => {
    const f = await fake();
    const h = await adapter(f, { start: false });
    f.failNext('sendChatAction', { status: 500, description: 'Internal Server Error' });
    await expect(h.channel.typing({ kind: 'direct', id: '42' })).resolves.toBeUndefined();
    expect(h.logs.some((l) => l.level === 'warn' && /typing/.test(l.msg))).toBe(true);
  });
});

describe('telegram adapter: polling robustness', () => {
  it('persists the offset after each accepted update; a restarted adapter does not reprocess', async () => {
    const f = await fake();
    const offsets = new Map<string, number>();
    const first = await adapter(f, { offsets });
    const u1 = f.pushMessage({ chatId: 1, chatType: 'private', fromId: 1, text: 'one' });
    const u2 = f.pushMessage({ chatId: 1, chatType: 'private', fromId: 1, text: 'two' });
    await until(() => first.received.length === 2, 'two updates');
    expect(u2).toBe(u1 + 1);
    await until(() => offsets.get('telegram:default') === u2 + 1, 'the offset');
    await first.channel.stop();

    const u3 = f.pushMessage({ chatId: 1, chatType: 'private', fromId: 1, text: 'three' });
    const second = await adapter(f, { offsets });
    await until(() => second.received.length === 1, 'the new update');
    expect(second.received.map((m) => m.text)).toEqual(['three']);
    expect(offsets.get('telegram:default')).toBe(u3 + 1);
    // The restarted poller's first getUpdates asked from the persisted offset.
    const polls = f.calls.filter((c) => c.method === 'getUpdates');
    expect(polls.some((c) => c.params.offset === u2 + 1)).toBe(true);
  });

  it('does not confirm an update the runtime failed to accept: it is fetched again and delivered', async () => {
    const f = await fake();
    let failOnce = true;
    const h = await adapter(f, {
      onInbound: () => {
        if (failOnce) {
          failOnce = false;
          throw new Error('journal write failed');
        }
      },
    });
    const id = f.pushMessage({ chatId: 1, chatType: 'private', fromId: 1, text: 'important' });
    await until(() => h.received.length === 1, 'the redelivered update');
    expect(h.offsets.get('telegram:default')).toBe(id + 1);
    expect(h.logs.some((l) => l.level === 'error' && l.data?.updateId === id)).toBe(true);
  });

  it('keeps polling through getUpdates 5xx and dropped connections', async () => {
    const f = await fake();
    f.failNext('getUpdates', { status: 502, description: 'Bad Gateway' }, 2);
    f.failNext('getUpdates', { drop: true });
    const h = await adapter(f);
    f.pushMessage({ chatId: 1, chatType: 'private', fromId: 1, text: 'still here' });
    await until(() => h.received.length === 1, 'the message after errors');
    expect(h.channel.state).toBe('polling');
    expect(h.logs.filter((l) => l.level === 'warn' && /getUpdates failed/.test(l.msg)).length).toBeGreaterThanOrEqual(2);
  });

  it('honours retry_after on getUpdates', async () => {
    const f = await fake();
    f.failNext('getUpdates', { status: 429, description: 'Too Many Requests: retry after 1', retry_after: 1 });
    const clock = fakeClock();
    const h = await adapter(f, { clock });
    f.pushMessage({ chatId: 1, chatType: 'private', fromId: 1, text: 'later' });
    await until(() => clock.waits.includes(1000), 'the retry_after wait');
    await clock.advance(999);
    expect(f.calls.filter((c) => c.method === 'getUpdates')).toHaveLength(1);
    await clock.advance(1);
    await until(() => h.received.length === 1, 'the message after the 429');
  });

  it('skips unknown update types and malformed messages without crashing, and moves past them', async () => {
    const f = await fake();
    const h = await adapter(f);
    f.pushUpdate({ callback_query: { id: 'cb1', from: { id: 1, is_bot: false, first_name: 'X' }, data: 'yes' } });
    f.pushUpdate({ message: { message_id: 'weird', chat: 'nope' } });
    f.pushUpdate({ some_future_update: { x: 1 } });
    const last = f.pushMessage({ chatId: 1, chatType: 'private', fromId: 1, text: 'normal' });
    await until(() => h.received.length === 1, 'the normal message');
    expect(h.received[0].text).toBe('normal');
    await until(() => h.offsets.get('telegram:default') === last + 1, 'the offset past all');
    expect(h.channel.state).toBe('polling');
  });

  it('stops the account with a clear error when the token is rejected (401), without throwing', async () => {
    const f = await fake();
    const h = await adapter(f, { cfg: { botToken: '999:WRONG', apiRoot: f.apiRoot, pollTimeoutSeconds: 1 } });
    expect(h.channel.state).toBe('unauthorized');
    const err = h.logs.find((l) => l.level === 'error');
    expect(err?.msg).toMatch(/channels\.telegram\.botToken was rejected by Telegram \(401\): check the token from @BotFather/);
    expect(f.calls.filter((c) => c.method === 'getUpdates')).toEqual([]);
    await h.channel.stop();
  });

  it('stop() ends a long poll promptly and the account can be started again', async () => {
    const f = await fake();
    const h = await adapter(f, { cfg: { botToken: TOKEN, apiRoot: f.apiRoot, pollTimeoutSeconds: 50 } });
    await until(() => f.calls.some((c) => c.method === 'getUpdates'), 'a long poll in flight');
    await h.channel.stop(); // would outlive the test timeout if the 50 s poll were not aborted
    expect(h.channel.state).toBe('stopped');
    await h.channel.start((m) => void h.received.push(m));
    f.pushMessage({ chatId: 1, chatType: 'private', fromId: 1, text: 'after restart' });
    await until(() => h.received.length === 1, 'a message after restart');
  });

  it('ignores a saved offset that belongs to a different bot', async () => {
    const f = await fake();
    const offsets = new Map<string, number>([
      ['telegram:default', 99_999_999],
      ['telegram:default:botId', 1],
    ]);
    const h = await adapter(f, { offsets });
    f.pushMessage({ chatId: 1, chatType: 'private', fromId: 1, text: 'new bot, new offsets' });
    await until(() => h.received.length === 1, 'the message');
    expect(offsets.get('telegram:default:botId')).toBe(BOT_ID);
    expect(h.logs.some((l) => l.level === 'warn' && /different bot/.test(l.msg))).toBe(true);
  });
});
