import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeUpdate } from '../../bots/telegram/inbound.js';
import { threadParams } from '../../bots/telegram/outbound.js';
import { markdownToTelegramHtml } from '../../bots/telegram/format.js';
import { parseHtml } from '../fakes/fake-telegram.js';

const me = { id: 7123456789, username: 'switchyard_bot' };
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/telegram/${name}.json`, import.meta.url), 'utf8'));

describe('decodeUpdate (saved payloads)', () => {
  const cases: [string, Record<string, unknown>][] = [
    [
      'dm-text',
      {
        chat: { kind: 'direct', id: '48211377' },
        sender: { id: '48211377', name: 'Ana Ribeiro', username: 'ana_r', isBot: false },
        messageId: '311',
        eventId: '734112001',
        text: "Hi! Can you summarise today's notes?",
        mentionsBot: false,
      },
    ],
    ['group-mention', { chat: { kind: 'group', id: '-1001987654321', title: 'Home Lab' }, mentionsBot: true, replyToBot: undefined }],
    ['group-no-mention', { chat: { kind: 'group', id: '-1001987654321', title: 'Home Lab' }, mentionsBot: false }],
    [
      'forum-topic',
      {
        chat: { kind: 'group', id: '-1002233445566', title: 'Projects', isForum: true, threadId: '17', threadWord: 'topic' },
        mentionsBot: true,
        // The topic-creation message is structure, not a reply.
        replyToId: undefined,
        replyToBot: undefined,
      },
    ],
    [
      'forum-general',
      {
        chat: { kind: 'group', id: '-1002233445566', title: 'Projects', isForum: true, threadId: '1', threadWord: 'topic' },
        mentionsBot: true,
        text: '/status now',
      },
    ],
    [
      'photo-caption',
      {
        text: 'What plant is this?',
        attachments: [{ kind: 'photo', bytes: 112054 }],
        mentionsBot: false,
      },
    ],
    ['voice', { text: '', attachments: [{ kind: 'voice', mime: 'audio/ogg', bytes: 23410 }] }],
    [
      'document',
      {
        text: '@switchyard_bot why did this fail?',
        mentionsBot: true,
        attachments: [{ kind: 'document', name: 'backup-log.txt', mime: 'text/plain', bytes: 5120 }],
      },
    ],
    ['reply-to-bot', { mentionsBot: true, replyToBot: true, replyToId: '1027' }],
    [
      'forum-reply-to-bot',
      {
        chat: { kind: 'group', id: '-1002233445566', title: 'Projects', isForum: true, threadId: '17', threadWord: 'topic' },
        mentionsBot: true,
        replyToBot: true,
        replyToId: '2055',
      },
    ],
    ['text-mention', { mentionsBot: true, text: 'Switchyard, restart the job 👍' }],
    ['sticker', { text: '', attachments: [{ kind: 'sticker', name: '😂', bytes: 28311 }] }],
  ];
  it.each(cases)('%s', (name, expected) => {
    const m = decodeUpdate(fixture(name), me, 'default');
    expect(m).not.toBeNull();
    expect(m!.channel).toBe('telegram');
    expect(m!.accountId).toBe('default');
    for (const [k, v] of Object.entries(expected)) expect(m![k as keyof typeof m], k).toEqual(v);
  });

  it.each(['edited-message', 'channel-post', 'topic-created-service'])('%s → null (not a message we answer)', (name) => {
    expect(decodeUpdate(fixture(name), me, 'default')).toBeNull();
  });

  it('uses the message date unless a receive time is given', () => {
    expect(decodeUpdate(fixture('dm-text'), me, 'a')!.receivedAt).toBe(1767225600 * 1000);
    expect(decodeUpdate(fixture('dm-text'), me, 'a', 42)!.receivedAt).toBe(42);
  });

  it('never throws on junk', () => {
    const junk: unknown[] = [
      null,
      42,
      'x',
      [],
      {},
      { update_id: 'nope', message: {} },
      { update_id: 1, message: null },
      { update_id: 1, message: { message_id: 1, chat: { id: 5, type: 'private' } } },
      { update_id: 1, message: { message_id: 1, chat: { id: 5, type: 'private' }, from: { id: 5 }, text: 'hi', entities: 'bad' } },
      { update_id: 1, message: { message_id: 1, chat: { id: 5, type: 'private' }, from: { id: 5 }, photo: [null, 3] } },
      { update_id: 1, callback_query: { id: 'q', data: 'x' } },
      { update_id: 1, my_chat_member: { chat: { id: 1 } } },
    ];
    for (const j of junk) expect(() => decodeUpdate(j, me, 'default')).not.toThrow();
    expect(decodeUpdate(junk[8], me, 'default')!.mentionsBot).toBe(false);
  });

  it('leaves /cmd@otherbot alone and does not count it as a mention', () => {
    const m = decodeUpdate(
      {
        update_id: 9,
        message: {
          message_id: 3,
          date: 1,
          chat: { id: -5, type: 'group', title: 'g' },
          from: { id: 2, is_bot: false, first_name: 'X' },
          text: '/help@other_bot',
          entities: [{ type: 'bot_command', offset: 0, length: 15 }],
        },
      },
      me,
      'default',
    );
    expect(m!.text).toBe('/help@other_bot');
    expect(m!.mentionsBot).toBe(false);
  });
});

describe('threadParams: the one place deciding message_thread_id', () => {
  it.each([
    ['forum topic', { kind: 'group', id: '-100', isForum: true, threadId: '17' }, { message_thread_id: 17 }],
    ['General topic', { kind: 'group', id: '-100', isForum: true, threadId: '1' }, {}],
    ['forum without topic info', { kind: 'group', id: '-100', isForum: true }, {}],
    ['plain group', { kind: 'group', id: '-100' }, {}],
    ['non-forum group with stray thread id', { kind: 'group', id: '-100', isForum: false, threadId: '17' }, {}],
    ['ChatRef rebuilt from a session key (isForum unknown)', { kind: 'group', id: '-100', threadId: '23' }, { message_thread_id: 23 }],
    ['direct chat', { kind: 'direct', id: '5', threadId: '17' }, {}],
  ] as const)('%s', (_n, chat, expected) => {
    expect(threadParams({ ...chat })).toEqual(expected);
  });
});

describe('markdownToTelegramHtml', () => {
  it.each([
    ['plain text is escaped', 'a < b && c > d', 'a &lt; b &amp;&amp; c &gt; d'],
    ['bold and italic', '**bold**, *it* and _it_', '<b>bold</b>, <i>it</i> and <i>it</i>'],
    ['nested', '**a *b* c**', '<b>a <i>b</i> c</b>'],
    ['snake_case untouched', 'call snake_case_name now', 'call snake_case_name now'],
    ['inline code is literal', 'run `a <b> **c**`', 'run <code>a &lt;b&gt; **c**</code>'],
    ['links', '[docs](https://example.com/a_b?x=1&y=2)', '<a href="https://example.com/a_b?x=1&amp;y=2">docs</a>'],
    ['unsafe link scheme stays literal', '[x](javascript:alert(1))', '[x](javascript:alert(1))'],
    ['bare URL keeps underscores', 'see https://x.io/_a_ ok', 'see https://x.io/_a_ ok'],
    ['heading', '## Plan', '<b>Plan</b>'],
    ['strike and spoiler', '~~old~~ ||secret||', '<s>old</s> <tg-spoiler>secret</tg-spoiler>'],
    ['code fence with language', 'Run:\n```ts\nif (a < b) x = "y";\n```\ndone', 'Run:\n<pre><code class="language-ts">if (a &lt; b) x = "y";</code></pre>\ndone'],
    ['code fence without language', '```\n<tag>\n```', '<pre>&lt;tag&gt;</pre>'],
    ['list bullets stay', '* one\n* two *x*', '* one\n* two <i>x</i>'],
  ])('%s', (_n, md, html) => {
    expect(markdownToTelegramHtml(md)).toBe(html);
  });

  it("always produces HTML that Telegram can parse (checked with the fake's strict parser)", () => {
    const samples = [
      '**unclosed bold and *mixed _stuff',
      'a ** b ** c * d * e',
      '```py\nprint("<x>")\n```\n**after** `code` [l](https://e.x)',
      '__under__ and ~~~not a fence',
      '<script>alert(1)</script> & more',
    ];
    for (const s of samples) expect(parseHtml(markdownToTelegramHtml(s))).not.toHaveProperty('error');
  });
});
