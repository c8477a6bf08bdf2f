// bots/discord/inbound.ts: saved gateway MESSAGE_CREATE dispatches → Inbound, table-driven.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMessage, type DecodeContext } from '../../bots/discord/inbound.js';
import { mutate, prng } from '../fakes/fuzz.js';

const BOT = { id: '1187642011233112064', username: 'switchyard' };
const BOT_ROLE = '1187650000000000001';
const GUILD = '1150000000000000001';
const GENERAL = '1150000000000000010';
const THREAD = '1187700000000000100';
const FORUM = '1150000000000000020';
const FORUM_POST = '1187700000000000200';
const DM = '1187600000000000500';

const FIXTURES = new URL('../fixtures/discord/', import.meta.url);
const packet = (name: string) => JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as { t: string; d: unknown };
const fixture = (name: string): unknown => {
  const p = packet(name);
  expect(p.t).toBe('MESSAGE_CREATE');
  return p.d;
};

const ctx = (extra: Partial<DecodeContext> = {}): DecodeContext => ({ accountId: 'default', bot: BOT, botRoleIds: [BOT_ROLE], receivedAt: 1_767_600_000_000, ...extra });
const general = { type: 0, name: 'general' };
const thread = { type: 11, parentId: GENERAL, name: 'backup failures', parentName: 'general' };

describe('decodeMessage (saved payloads)', () => {
  const cases: [string, Partial<DecodeContext>, Record<string, unknown>][] = [
    [
      'guild-mention',
      { channel: general },
      {
        chat: { kind: 'channel', id: GENERAL, guildId: GUILD, title: 'general' },
        sender: { id: '1100000000000000042', name: 'Ana (ops)', username: 'ana_r', isBot: false, roles: ['1150000000000000300'] },
        messageId: '1325791840010000001',
        text: "what's on the deploy list today?",
        mentionsBot: true,
        replyToId: undefined,
      },
    ],
    [
      'guild-no-mention',
      { channel: general },
      { text: 'lunch at 12?', mentionsBot: false, sender: { id: '1100000000000000077', name: 'Tom', username: 'tomk', isBot: false, roles: [] } },
    ],
    // `@BotName` in a server often picks the bot's managed role.
    ['guild-role-mention', { channel: general }, { text: 'are you there?', mentionsBot: true }],
    ['guild-command-after-mention', {}, { text: '/bind coding chat', mentionsBot: true }],
    ['guild-mention-other-user', {}, { text: 'ask @Tom about the backup', mentionsBot: true }],
    ['guild-reply-to-bot', {}, { mentionsBot: true, replyToBot: true, replyToId: '1325791840010000900', text: 'which one is first?' }],
    ['guild-reply-to-human', {}, { mentionsBot: false, replyToBot: undefined, replyToId: '1325791840010000901' }],
    [
      'thread-message',
      { channel: thread },
      {
        chat: { kind: 'channel', id: THREAD, threadId: THREAD, parentId: GENERAL, guildId: GUILD, threadWord: 'thread', title: 'general › backup failures' },
        text: 'summarise this thread',
        mentionsBot: true,
      },
    ],
    [
      'forum-post',
      { channel: { type: 11, parentId: FORUM } },
      { chat: { kind: 'channel', id: FORUM_POST, threadId: FORUM_POST, parentId: FORUM, guildId: GUILD, threadWord: 'thread' }, mentionsBot: false },
    ],
    // Without channel_type the adapter's knowledge of the channel decides.
    [
      'thread-without-channel-type',
      { channel: { type: 11, parentId: GENERAL, name: 'backup failures' } },
      { chat: { kind: 'channel', id: THREAD, threadId: THREAD, parentId: GENERAL, guildId: GUILD, threadWord: 'thread', title: 'backup failures' } },
    ],
    [
      'dm-text',
      {},
      {
        chat: { kind: 'direct', id: DM },
        sender: { id: '1100000000000000042', name: 'Ana Ribeiro', username: 'ana_r', isBot: false },
        text: "Hi! Can you summarise today's notes?",
        mentionsBot: false,
      },
    ],
    [
      'image-attachment',
      {},
      {
        text: 'what plant is this?',
        attachments: [{ kind: 'photo', name: 'IMG_2041.jpg', mime: 'image/jpeg', bytes: 112054, url: 'https://cdn.discordapp.com/attachments/1/2/IMG_2041.jpg?ex=1' }],
      },
    ],
    [
      'voice-message',
      {},
      {
        text: '',
        attachments: [{ kind: 'voice', name: 'voice-message.ogg', mime: 'audio/ogg', bytes: 23410, url: 'https://cdn.discordapp.com/attachments/1/3/voice-message.ogg' }],
      },
    ],
    ['sticker-only', {}, { text: '', attachments: [{ kind: 'sticker', name: 'Wave' }] }],
    ['link-embed', {}, { text: 'look https://example.org/report', attachments: [{ kind: 'other', name: 'embed: Quarterly report', url: 'https://example.org/report' }] }],
    ['forwarded', {}, { text: '(forwarded message)\nThe deploy list has three items.', replyToId: undefined, mentionsBot: false }],
    ['other-bot', {}, { sender: { id: '1187000000000000999', username: 'otherbot', name: 'otherbot', isBot: true, roles: [] }, mentionsBot: true }],
    ['webhook', {}, { sender: expect.objectContaining({ isBot: true }) }],
  ];

  it.each(cases)('%s', (name, extra, expected) => {
    const m = decodeMessage(fixture(name), ctx(extra));
    expect(m).not.toBeNull();
    expect(m!.channel).toBe('discord');
    expect(m!.accountId).toBe('default');
    expect(m!.receivedAt).toBe(1_767_600_000_000);
    for (const [k, v] of Object.entries(expected)) expect(m![k as keyof typeof m], k).toEqual(v);
  });

  it.each(['member-join', 'thread-created'])('%s: system messages are not decoded', (name) => {
    expect(decodeMessage(fixture(name), ctx())).toBeNull();
  });

  it('an edit (MESSAGE_UPDATE) is not decoded: answering the correction would answer twice', () => {
    const p = packet('edited-message');
    expect(p.t).toBe('MESSAGE_UPDATE');
    expect(decodeMessage(p.d, ctx())).toBeNull();
  });

  it("the bot's own message is reported as a bot's (the adapter drops it)", () => {
    expect(decodeMessage(fixture('own-message'), ctx())!.sender).toMatchObject({ id: BOT.id, isBot: true });
  });

  it('a thread whose parent is unknown keeps its own id and says it is a thread', () => {
    const m = decodeMessage(fixture('thread-message'), ctx());
    expect(m!.chat).toEqual({ kind: 'channel', id: THREAD, threadId: THREAD, guildId: GUILD, threadWord: 'thread' });
  });

  it('a mention of someone else before the bot is kept in the text', () => {
    const d = fixture('guild-mention-other-user') as Record<string, unknown>;
    const m = decodeMessage({ ...d, content: '<@!1100000000000000077> <@1187642011233112064> look' }, ctx());
    expect(m!.text).toBe('@Tom @switchyard look');
    expect(m!.mentionsBot).toBe(true);
  });

  it('a role mention of another role does not address the bot', () => {
    const d = fixture('guild-role-mention') as Record<string, unknown>;
    expect(decodeMessage({ ...d, mention_roles: ['1150000000000000300'] }, ctx())!.mentionsBot).toBe(false);
    expect(decodeMessage(d, ctx({ botRoleIds: [] }))!.mentionsBot).toBe(false);
  });
});

describe('decodeMessage never throws on odd payloads', () => {
  const base = fixture('guild-mention') as Record<string, unknown>;
  const odd: [string, unknown][] = [
    ['null', null],
    ['a string', 'MESSAGE_CREATE'],
    ['an array', [base]],
    ['no id', { ...base, id: undefined }],
    ['numeric id', { ...base, id: 1325791840010000001 }],
    ['no author', { ...base, author: undefined }],
    ['author without id', { ...base, author: { username: 'x' } }],
    ['no channel', { ...base, channel_id: null }],
    ['group DM', { ...base, guild_id: undefined, member: undefined, channel_type: 3 }],
    ['empty text, nothing attached', { ...base, content: '' }],
    ['only the bot mention', { ...base, content: '<@1187642011233112064>' }],
    ['unknown message type', { ...base, type: 9999 }],
  ];
  it.each(odd)('%s → null', (_name, payload) => {
    expect(decodeMessage(payload, ctx())).toBeNull();
  });

  const junk: [string, unknown][] = [
    ['mentions not a list', { ...base, mentions: 'everyone' }],
    ['mentions with junk', { ...base, mentions: [null, 5, { id: 7 }, { id: BOT.id }] }],
    ['member.roles junk', { ...base, member: { roles: [1, null, 'r1'] } }],
    ['attachments junk', { ...base, attachments: [null, 'x', { size: 'big' }] }],
    ['eleven thousand attachments', { ...base, attachments: Array.from({ length: 11_000 }, () => ({ filename: 'a.txt', size: 1 })) }],
    ['embeds junk', { ...base, embeds: [null, {}, { title: 5 }] }],
    ['referenced_message null', { ...base, type: 19, message_reference: { message_id: '1' }, referenced_message: null }],
    ['snapshots junk', { ...base, message_reference: { type: 1 }, message_snapshots: 'x' }],
  ];
  it.each(junk)('%s → decoded, junk ignored', (_name, payload) => {
    const m = decodeMessage(payload, ctx());
    expect(m).not.toBeNull();
    expect(m!.attachments?.length ?? 0).toBeLessThanOrEqual(30);
  });
});

describe('decodeMessage over mutated and truncated saved payloads (seeded, reproducible)', () => {
  const all = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => packet(f.replace(/\.json$/, '')).d);

  it('3,000 mutations never throw and always give an Inbound or null', () => {
    const r = prng(20260105);
    let decoded = 0;
    for (let i = 0; i < 3000; i++) {
      const m = decodeMessage(mutate(r.pick(all), r), ctx({ channel: r.next() < 0.5 ? thread : undefined }));
      if (m) {
        decoded++;
        expect(typeof m.text).toBe('string');
        expect(typeof m.messageId).toBe('string');
        expect(m.chat.id).not.toBe('');
      }
    }
    expect(decoded).toBeGreaterThan(100); // the mutations still exercise the decode, not just the early exits
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('truncated JSON of every fixture either fails to parse or decodes without throwing', () => {
    for (const name of readdirSync(FIXTURES).filter((f) => f.endsWith('.json'))) {
      const text = readFileSync(new URL(name, FIXTURES), 'utf8');
      for (let cut = 1; cut < text.length; cut += 37) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text.slice(0, cut));
        } catch {
          continue;
        }
        expect(() => decodeMessage((parsed as { d?: unknown })?.d ?? parsed, ctx())).not.toThrow();
      }
    }
  });
});
