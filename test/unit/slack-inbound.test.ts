// Slack decode, table-driven from saved Socket Mode envelopes (test/fixtures/slack/): payload shapes as Slack
// sends them for messages, mentions, threads, DMs, subtypes and other events.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeEvent, dedupeKeys, slackToPlain } from '../../bots/slack/inbound.js';
import type { Inbound } from '../../runtime/types/channel.js';

const me = { userId: 'U07SYBOT01', botId: 'B07SYBOT01', teamId: 'T07QD1ZK3AB' };
const TEAM = 'T07QD1ZK3AB';
const envelope = (name: string): { payload: Record<string, unknown> } => JSON.parse(readFileSync(new URL(`../fixtures/slack/${name}.json`, import.meta.url), 'utf8'));
const decode = (name: string, replyToMode: 'off' | 'all' = 'off') => decodeEvent(envelope(name).payload, me, 'default', { replyToMode }, 1_000);

describe('decodeEvent (saved envelopes)', () => {
  const cases: [string, Partial<Inbound> & Record<string, unknown>][] = [
    [
      'channel-mention-message',
      {
        channel: 'slack',
        accountId: 'default',
        chat: { kind: 'channel', id: 'C07GENERAL', teamId: TEAM },
        sender: { id: 'U05ANA1234', isBot: false },
        messageId: '1732612345.123459',
        eventId: 'Ev07ABCDEF01',
        text: "what's the build status?",
        mentionsBot: true,
        receivedAt: 1_000,
      },
    ],
    ['channel-app-mention', { chat: { kind: 'channel', id: 'C07GENERAL', teamId: TEAM }, messageId: '1732612345.123459', eventId: 'Ev07ABCDEF02', mentionsBot: true }],
    [
      'channel-no-mention',
      { chat: { kind: 'channel', id: 'C07GENERAL', teamId: TEAM }, sender: { id: 'U05BEN5678', isBot: false }, mentionsBot: false, text: 'lunch at noon anyone?' },
    ],
    [
      'thread-reply',
      {
        chat: { kind: 'channel', id: 'C07GENERAL', teamId: TEAM, threadId: '1732612345.123459', parentId: 'C07GENERAL', threadWord: 'thread' },
        messageId: '1732612500.000300',
        mentionsBot: true,
        // In a channel the thread is structure, not a reply to one message.
        replyToId: undefined,
        replyToBot: undefined,
      },
    ],
    [
      'thread-reply-to-bot',
      {
        chat: { kind: 'channel', id: 'C07GENERAL', teamId: TEAM, threadId: '1732612550.000350', parentId: 'C07GENERAL', threadWord: 'thread' },
        // A thread the bot started addresses the bot.
        mentionsBot: true,
        replyToBot: true,
        replyToId: undefined,
      },
    ],
    ['dm', { chat: { kind: 'direct', id: 'D07ANADM01', teamId: TEAM }, text: 'hi! can you summarise my notes?', mentionsBot: false, replyToId: undefined }],
    [
      'dm-thread-reply',
      // A DM stays one conversation; the thread root is what the message replies to (an approval request).
      { chat: { kind: 'direct', id: 'D07ANADM01', teamId: TEAM }, text: 'yes', replyToId: '1732612750.000550', replyToBot: true, mentionsBot: true },
    ],
    ['private-channel', { chat: { kind: 'channel', id: 'C07PRIVATE', teamId: TEAM }, text: 'ping', mentionsBot: true }],
    [
      'file-share',
      {
        text: 'why does this fail?',
        attachments: [
          { kind: 'document', name: 'build.log', mime: 'text/plain', bytes: 48213 },
          { kind: 'photo', name: 'screenshot.png', mime: 'image/png', bytes: 120554 },
        ],
        mentionsBot: true,
      },
    ],
    [
      'thread-broadcast',
      {
        chat: { kind: 'channel', id: 'C07GENERAL', teamId: TEAM, threadId: '1732612345.123459', parentId: 'C07GENERAL', threadWord: 'thread' },
        text: 'sharing this with everyone',
      },
    ],
    ['command-after-mention', { text: '/bind work', mentionsBot: true }],
    ['space-command', { chat: { kind: 'direct', id: 'D07ANADM01', teamId: TEAM }, text: ' /status' }],
    [
      'app-mention-in-thread',
      {
        chat: { kind: 'channel', id: 'C07GENERAL', teamId: TEAM, threadId: '1732612345.123459', parentId: 'C07GENERAL', threadWord: 'thread' },
        text: 'one more thing',
        mentionsBot: true,
      },
    ],
    [
      'markup',
      {
        text: 'see build 42 (https://ci.example.com/build/42?x=1&y=2), #deploys and ask @U05BEN5678; @here 3 < 4 && 5 > 4 ops@example.com',
        mentionsBot: false,
      },
    ],
  ];

  for (const [name, expected] of cases) {
    it(`decodes ${name}`, () => {
      const { payload } = envelope(name);
      const m = decodeEvent(payload, me, 'default', { replyToMode: 'off' }, 1_000);
      expect(m).not.toBeNull();
      for (const [k, v] of Object.entries(expected)) expect((m as unknown as Record<string, unknown>)[k], k).toEqual(v);
      expect(m!.raw).toBe(payload);
    });
  }

  const skipped = ['message-changed', 'message-deleted', 'bot-message', 'own-message', 'channel-join', 'reaction-added'];
  for (const name of skipped) {
    it(`skips ${name}`, () => expect(decode(name)).toBeNull());
  }

  it('replyToMode "all": a top-level channel message starts its own thread; DMs and thread replies are unchanged', () => {
    expect(decode('channel-mention-message', 'all')!.chat).toEqual({
      kind: 'channel',
      id: 'C07GENERAL',
      teamId: TEAM,
      threadId: '1732612345.123459',
      parentId: 'C07GENERAL',
      threadWord: 'thread',
    });
    expect(decode('thread-reply', 'all')!.chat.threadId).toBe('1732612345.123459');
    expect(decode('dm', 'all')!.chat).toEqual({ kind: 'direct', id: 'D07ANADM01', teamId: TEAM });
  });

  it('message and app_mention of one post share their channel + ts key; a redelivery shares the event id', () => {
    const msgKeys = dedupeKeys(envelope('channel-mention-message').payload);
    const mentionKeys = dedupeKeys(envelope('channel-app-mention').payload);
    const redelivered = dedupeKeys(envelope('redelivered-mention').payload);
    expect(msgKeys).toEqual(['event:Ev07ABCDEF01', 'msg:C07GENERAL:1732612345.123459']);
    expect(mentionKeys).toEqual(['event:Ev07ABCDEF02', 'msg:C07GENERAL:1732612345.123459']);
    expect(redelivered).toContain('event:Ev07ABCDEF01');
  });

  it('receivedAt falls back to the message ts', () => {
    const m = decodeEvent(envelope('dm').payload, me, 'default', { replyToMode: 'off' });
    expect(m!.receivedAt).toBe(1732612700001);
  });
});

describe('decodeEvent (odd payloads)', () => {
  const base = () => structuredClone(envelope('channel-mention-message').payload) as Record<string, unknown> & { event: Record<string, unknown> };

  it.each([
    ['not an object', null],
    ['a string', 'message'],
    ['no event', { type: 'event_callback' }],
    ['event is an array', { event: [] }],
  ])('returns null for %s', (_n, body) => {
    expect(decodeEvent(body, me, 'default', { replyToMode: 'off' })).toBeNull();
  });

  it.each([
    ['no channel', (e: Record<string, unknown>) => delete e.channel],
    ['no ts', (e: Record<string, unknown>) => delete e.ts],
    ['a ts that is not a Slack ts', (e: Record<string, unknown>) => (e.ts = '../../etc')],
    ['no user', (e: Record<string, unknown>) => delete e.user],
    ['a number as user', (e: Record<string, unknown>) => (e.user = 42)],
    ['empty text and no files', (e: Record<string, unknown>) => (e.text = '   ')],
    ['only a mention of the bot', (e: Record<string, unknown>) => (e.text = '<@U07SYBOT01>')],
    ['an unknown subtype', (e: Record<string, unknown>) => (e.subtype = 'something_new')],
    ['hidden', (e: Record<string, unknown>) => (e.hidden = true)],
    ['our own bot id under another user', (e: Record<string, unknown>) => (e.bot_id = 'B07SYBOT01')],
  ])('returns null for %s', (_n, mutate) => {
    const body = base();
    mutate(body.event);
    expect(decodeEvent(body, me, 'default', { replyToMode: 'off' })).toBeNull();
  });

  it('another app posting as a user is reported as a bot (the runtime decides)', () => {
    const body = base();
    body.event.bot_id = 'B05OTHER99';
    expect(decodeEvent(body, me, 'default', { replyToMode: 'off' })!.sender.isBot).toBe(true);
  });

  it('a thread_ts equal to ts is the thread root, not a reply in it', () => {
    const body = base();
    body.event.thread_ts = body.event.ts;
    expect(decodeEvent(body, me, 'default', { replyToMode: 'off' })!.chat.threadId).toBeUndefined();
  });

  it('a mention of the bot later in the text is kept and still counts', () => {
    const body = base();
    body.event.text = 'hey <@U07SYBOT01|switchyard> look';
    const m = decodeEvent(body, me, 'default', { replyToMode: 'off' })!;
    expect(m.text).toBe('hey @switchyard look');
    expect(m.mentionsBot).toBe(true);
  });

  it('team falls back to the event, then to the bot identity', () => {
    const body = base();
    delete body.team_id;
    body.event.team = 'T0OTHER001';
    expect(decodeEvent(body, me, 'default', { replyToMode: 'off' })!.chat.teamId).toBe('T0OTHER001');
    delete body.event.team;
    expect(decodeEvent(body, me, 'default', { replyToMode: 'off' })!.chat.teamId).toBe(TEAM);
  });

  it('a user profile on the event gives the sender a name', () => {
    const body = base();
    body.event.user_profile = { real_name: 'Ana Ribeiro', display_name: 'ana', name: 'ana.r' };
    expect(decodeEvent(body, me, 'default', { replyToMode: 'off' })!.sender).toEqual({ id: 'U05ANA1234', isBot: false, name: 'ana', username: 'ana.r' });
  });
});

describe('slackToPlain', () => {
  it.each([
    ['<@U1>', '@U1'],
    ['<@U1|ana>', '@ana'],
    ['<#C1>', '#C1'],
    ['<#C1|general>', '#general'],
    ['<!channel>', '@channel'],
    ['<!subteam^S1|@oncall>', '@oncall'],
    ['<!date^1392734382^{date}|Feb 18, 2014>', 'Feb 18, 2014'],
    ['<https://a.example>', 'https://a.example'],
    ['<https://a.example|https://a.example>', 'https://a.example'],
    ['&lt;b&gt; &amp;amp;', '<b> &amp;'],
  ])('%s → %s', (input, out) => expect(slackToPlain(input)).toBe(out));
});

describe('decodeEvent under fuzzing', () => {
  const fixtures = readdirSync(new URL('../fixtures/slack/', import.meta.url))
    .filter((f) => f.endsWith('.json'))
    .map((f) => (JSON.parse(readFileSync(new URL(`../fixtures/slack/${f}`, import.meta.url), 'utf8')) as { payload?: unknown }).payload)
    .filter((p) => p !== undefined);

  /** A small seeded PRNG (LCG): the cases are the same on every run, so a failure can be reproduced. */
  function prng(seed: number) {
    let s = seed;
    const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    return { next, pick: <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)] };
  }
  const JUNK: (() => unknown)[] = [
    () => null,
    () => 0,
    () => 1e308,
    () => '',
    () => 'x'.repeat(5000),
    () => [],
    () => ({}),
    () => true,
    () => '<@U07SYBOT01|' + '<'.repeat(2000),
    () => '1732612345.123459',
    () => '../../etc/passwd',
    () => 'C1 with spaces',
    () => '\u0000\ud800\u200b',
    () => JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
  ];
  const FIELDS = [
    'text',
    'channel',
    'user',
    'ts',
    'thread_ts',
    'subtype',
    'channel_type',
    'bot_id',
    'files',
    'parent_user_id',
    'user_profile',
    'team',
    'type',
    'event_id',
    'team_id',
  ];
  function mutate(v: unknown, r: ReturnType<typeof prng>): unknown {
    if (Array.isArray(v)) {
      const a = v.map((x) => mutate(x, r));
      if (r.next() < 0.2) a.push(r.pick(JUNK)());
      return a;
    }
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const roll = r.next();
        if (roll < 0.06) continue;
        o[k] = roll < 0.15 ? r.pick(JUNK)() : mutate(x, r);
      }
      if (r.next() < 0.15) o[r.pick(FIELDS)] = r.pick(JUNK)();
      return o;
    }
    if (typeof v === 'string' && r.next() < 0.15) return v.slice(0, Math.floor(r.next() * v.length));
    return v;
  }

  it('never throws on 20,000 mutated and truncated payloads, and what it decodes is well-formed', () => {
    const r = prng(20261201);
    let decoded = 0;
    for (let i = 0; i < 20_000; i++) {
      let json = JSON.stringify(mutate(r.pick(fixtures), r));
      if (r.next() < 0.05) json = json.slice(0, Math.floor(r.next() * json.length));
      let body: unknown;
      try {
        body = JSON.parse(json);
      } catch {
        continue; // not JSON any more: the SDK drops such frames before any listener
      }
      let m: Inbound | null;
      try {
        dedupeKeys(body);
        m = decodeEvent(body, me, 'default', { replyToMode: r.next() < 0.5 ? 'off' : 'all' });
      } catch (err) {
        throw new Error(`decodeEvent threw ${String(err)} on ${json.slice(0, 2000)}`);
      }
      if (!m) continue;
      decoded++;
      expect(m.chat.id).toMatch(/^[A-Z0-9]+$/);
      expect(m.sender.id).toMatch(/^[A-Z0-9]+$/);
      expect(m.messageId).toMatch(/^\d+\.\d+$/);
      if (m.chat.threadId !== undefined) expect(m.chat.threadId).toMatch(/^\d+\.\d+$/);
      expect(['direct', 'channel']).toContain(m.chat.kind);
      expect(typeof m.text).toBe('string');
      expect(m.sender.id).not.toBe(me.userId);
    }
    expect(decoded).toBeGreaterThan(1000);
  });

  it('a megabyte of text and a pile of unclosed brackets decode in linear time', () => {
    const body = structuredClone(envelope('channel-mention-message').payload) as { event: Record<string, unknown> };
    body.event.text = `<@U07SYBOT01> ${'a'.repeat(1_000_000)} ${'<'.repeat(100_000)}`;
    const m = decodeEvent(body, me, 'default', { replyToMode: 'off' });
    expect(m!.text.length).toBeGreaterThan(1_000_000);
  });
});
