// End to end through the WHOLE gateway: the real grammY client polls the fake Telegram Bot API, messages go
// through access, routing, journal, lanes and the agent loop to the real Anthropic SDK against the fake model
// server, and the replies come back to the fake Telegram. Only the outside world is fake.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FakeRequest } from '../fakes/fake-anthropic.js';
import type { SentMessage } from '../fakes/fake-telegram.js';
import { useGateway } from '../fakes/gateway-fixture.js';
import { FakeClock } from '../fakes/fake-clock.js';
import type { Harness } from '../fakes/gateway-harness.js';

const TOKEN = '123456:TEST-TOKEN';
const BOT_ID = 123456;
const BOT = 'switchyard_e2e_bot';
const KEY = 'key-a';

const web = useGateway({ telegram: { [TOKEN]: { username: BOT } } });

type TelegramBlock = Record<string, unknown>;

function config(telegram: TelegramBlock = {}) {
  return {
    models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url } } },
    agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
    channels: { telegram: { botToken: TOKEN, apiRoot: web.tg.apiRoot, dmPolicy: 'open', ...telegram } },
  };
}

function start(telegram?: TelegramBlock, home?: string, clock?: FakeClock): Promise<Harness> {
  return web.start({ config: config(telegram), env: { ANTHROPIC_API_KEY: KEY }, ...(home ? { home } : {}), ...(clock ? { clock } : {}) });
}

/** Everything the model was sent, as one string (system prompt excluded). */
function bodyText(req: FakeRequest): string {
  return JSON.stringify(req.body.messages);
}

/** The text of the last user message of a request. */
function lastUserText(req: FakeRequest): string {
  const messages = req.body.messages as { role: string; content: unknown }[];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return (last.content as { type: string; text?: string }[])
    .filter((b) => b.type === 'text')
    .map((b) => b.text ?? '')
    .join('\n');
}

async function eventually<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function sessionsOnDisk(home: string): Promise<Record<string, { sessionId: string }>> {
  try {
    return JSON.parse(await readFile(join(home, 'agents', 'main', 'sessions', 'sessions.json'), 'utf8')) as Record<string, { sessionId: string }>;
  } catch {
    return {}; // not written yet (the store coalesces writes); callers poll
  }
}

/** Waits until sessions.json holds every key, and returns the document. */
async function sessionsWith(keys: string[]): Promise<Record<string, { sessionId: string }>> {
  return eventually(
    async () => {
      const s = await sessionsOnDisk(web.h.home);
      return keys.every((k) => s[k]) && s;
    },
    `sessions.json to hold ${keys.join(', ')}`,
  );
}

const sentTo = (chatId: number) => web.tg.sent.filter((s) => s.chatId === chatId && s.method === 'sendMessage');
const reply = (chatId: number, match?: (s: SentMessage) => boolean) =>
  web.tg.waitForSent((s) => s.chatId === chatId && s.method === 'sendMessage' && (match ? match(s) : true), 10_000);

beforeEach(() => {
  // The model answers every turn with the text of that turn, so replies can be matched to their messages.
  web.fake.setDefault((req) => ({ text: `reply to: ${lastUserText(req)}` }));
});

describe('Telegram through the whole gateway', () => {
  it('answers a DM in the same chat, with its own session', async () => {
    await start();
    web.tg.pushMessage({ chatId: 111, chatType: 'private', fromId: 111, fromName: 'Alice', text: 'hello bot' });
    const r = await reply(111);
    expect(r.visibleText).toBe('reply to: hello bot');
    expect(r.threadId).toBeUndefined();
    expect(web.fake.requests).toHaveLength(1);
    expect(web.fake.requests[0].key).toBe(KEY);
    expect(bodyText(web.fake.requests[0])).toContain('hello bot');
    await sessionsWith(['agent:main:telegram:direct:111']);
  });

  it('keeps two DMs from two users apart', async () => {
    await start();
    web.tg.pushMessage({ chatId: 111, chatType: 'private', fromId: 111, text: 'my secret word is PINEAPPLE' });
    await reply(111);
    web.tg.pushMessage({ chatId: 222, chatType: 'private', fromId: 222, text: 'what is the secret word?' });
    const bobReply = await reply(222);
    expect(bobReply.visibleText).toBe('reply to: what is the secret word?');

    const bobReq = web.fake.requests.find((r) => bodyText(r).includes('secret word?'))!;
    expect(bodyText(bobReq)).not.toContain('PINEAPPLE');
    expect(sentTo(111)).toHaveLength(1);
    expect(sentTo(222)).toHaveLength(1);
    const sessions = await sessionsWith(['agent:main:telegram:direct:111', 'agent:main:telegram:direct:222']);
    expect(sessions['agent:main:telegram:direct:111'].sessionId).not.toBe(sessions['agent:main:telegram:direct:222'].sessionId);
  });

  it('in a group answers only when addressed: an @mention or a reply to the bot', async () => {
    const GROUP = -100200;
    await start({ groups: { [String(GROUP)]: {} } }); // requireMention defaults to true
    web.tg.pushMessage({ chatId: GROUP, chatType: 'supergroup', fromId: 111, text: 'just chatting among humans' });
    const mentionId = web.tg.pushMessage({ chatId: GROUP, chatType: 'supergroup', fromId: 111, text: `@${BOT} what do you think?` });
    const first = await reply(GROUP);
    // Updates are handled in order, so by now the first message was decided: not answered, never sent to the model.
    expect(first.visibleText).toContain('what do you think?');
    expect(web.fake.requests.some((r) => bodyText(r).includes('among humans'))).toBe(false);
    expect(mentionId).toBeGreaterThan(0);

    web.tg.pushMessage({
      chatId: GROUP,
      chatType: 'supergroup',
      fromId: 222,
      text: 'and you, what else?',
      replyTo: { messageId: first.messageId, fromId: BOT_ID, isBot: true },
    });
    const second = await reply(GROUP, (s) => s.visibleText.includes('what else?'));
    expect(second.replyTo).toBeGreaterThan(0); // in a group the reply quotes the message it answers
    web.tg.pushMessage({ chatId: GROUP, chatType: 'supergroup', fromId: 222, text: 'a reply to a human', replyTo: { messageId: 42, fromId: 111 } });
    web.tg.pushMessage({ chatId: GROUP, chatType: 'supergroup', fromId: 111, text: `@${BOT} last one` });
    await reply(GROUP, (s) => s.visibleText.includes('last one'));

    expect(sentTo(GROUP)).toHaveLength(3);
    expect(web.fake.requests).toHaveLength(3);
    expect(web.fake.requests.some((r) => bodyText(r).includes('a reply to a human'))).toBe(false);
    await sessionsWith([`agent:main:telegram:group:${GROUP}`]);
  });

  it('keeps two forum topics apart, answers each in its topic, and the General topic without a thread id', async () => {
    const FORUM = -100300;
    await start({ groups: { [String(FORUM)]: { requireMention: false } } });
    const forum = { chatId: FORUM, chatType: 'supergroup' as const, isForum: true, title: 'Forum' };
    web.tg.pushMessage({ ...forum, fromId: 111, threadId: 11, text: 'topic eleven: remember MANGO' });
    web.tg.pushMessage({ ...forum, fromId: 222, threadId: 22, text: 'topic twenty-two: what fruit?' });
    web.tg.pushMessage({ ...forum, fromId: 333, text: 'hello from General' });

    const r11 = await reply(FORUM, (s) => s.visibleText.includes('MANGO'));
    const r22 = await reply(FORUM, (s) => s.visibleText.includes('what fruit?'));
    const general = await reply(FORUM, (s) => s.visibleText.includes('General'));
    expect(r11.threadId).toBe(11);
    expect(r22.threadId).toBe(22);
    expect(general.threadId).toBeUndefined();
    expect(sentTo(FORUM)).toHaveLength(3);

    const req22 = web.fake.requests.find((r) => bodyText(r).includes('what fruit?'))!;
    expect(bodyText(req22)).not.toContain('MANGO');
    const sessions = await sessionsWith([`agent:main:telegram:group:${FORUM}:topic:11`, `agent:main:telegram:group:${FORUM}:topic:22`]);
    expect(sessions[`agent:main:telegram:group:${FORUM}:topic:11`].sessionId).not.toBe(sessions[`agent:main:telegram:group:${FORUM}:topic:22`].sessionId);
  });

  it('sends a 9,000-character reply as ordered chunks with its code blocks intact', async () => {
    const long = longReply();
    expect(long.text.length).toBeGreaterThanOrEqual(9000);
    web.fake.script(KEY, { text: long.text, chunkSize: 500 });
    await start();
    web.tg.pushMessage({ chatId: 111, chatType: 'private', fromId: 111, text: 'write me something long' });
    await reply(111);
    await web.h.gw.gateway.lanes.idle();
    const chunks = sentTo(111);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) {
      expect(c.visibleText.length).toBeLessThanOrEqual(4096);
      expect(c.parseMode).toBe('HTML');
      // Every chunk renders on its own: each <pre> it opens it also closes (the fake also rejected bad nesting).
      expect(count(c.text, '<pre>')).toBe(count(c.text, '</pre>'));
    }
    // In order, nothing lost or repeated: the visible texts in sequence are the reply without its fence lines.
    const visible = chunks.map((c) => c.visibleText).join('\n');
    expect(squash(visible)).toBe(squash(long.text.replace(/^```.*$/gm, '')));
    // The small block fits in one chunk and is never split; the big one is closed and reopened at a line.
    const small = chunks.filter((c) => c.visibleText.includes('smallBlock'));
    expect(small).toHaveLength(1);
    expect(codeOf(small[0].text)).toContain(long.smallCode);
    const bigParts = chunks.filter((c) => c.visibleText.includes('bigBlock'));
    expect(bigParts.length).toBeGreaterThanOrEqual(2);
    expect(bigParts.map((c) => codeOf(c.text, 'python')).join('\n')).toBe(long.bigCode);
  });

  it('waits out a 429 on sendMessage and shows exactly one reply', async () => {
    const clock = new FakeClock();
    await start(undefined, undefined, clock);
    web.tg.failNext('sendMessage', { status: 429, description: 'Too Many Requests: retry after 1', retry_after: 1 });
    web.tg.pushMessage({ chatId: 111, chatType: 'private', fromId: 111, text: 'are you rate limited?' });
    await eventually(() => clock.requested.includes(1000), 'the retry_after wait');
    await clock.advance(999);
    expect(sentTo(111)).toHaveLength(0); // still waiting: retry_after is honoured, on the gateway's clock
    await clock.advance(1);
    const r = await reply(111);
    expect(r.visibleText).toBe('reply to: are you rate limited?');
    await web.h.gw.gateway.lanes.idle();
    expect(web.tg.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(2); // the 429, then the success
    expect(sentTo(111)).toHaveLength(1);
    expect(web.fake.requests).toHaveLength(1);
  });

  it('after a restart neither reprocesses nor loses updates', async () => {
    const first = await start();
    const updateId = web.tg.pushMessage({ chatId: 111, chatType: 'private', fromId: 111, text: 'before the restart' });
    await reply(111);
    await first.gw.gateway.lanes.idle();
    const home = first.home;
    await web.stop({ keepHome: true });
    const callsBefore = web.tg.calls.length;

    // Telegram may hand an update out again if it never saw the confirming offset: simulate that too.
    web.tg.pushUpdate({ update_id: updateId, message: redelivered(updateId) });
    await start(undefined, home);
    web.tg.pushMessage({ chatId: 111, chatType: 'private', fromId: 111, text: 'after the restart' });
    await reply(111, (s) => s.visibleText.includes('after the restart'));
    await web.h.gw.gateway.lanes.idle();

    const polls = web.tg.calls.slice(callsBefore).filter((c) => c.method === 'getUpdates');
    expect(polls[0].params.offset).toBe(updateId + 1); // the offset was persisted and resumed
    expect(sentTo(111).map((s) => s.visibleText)).toEqual(['reply to: before the restart', 'reply to: after the restart']);
    expect(web.fake.requests).toHaveLength(2);
    expect(bodyText(web.fake.requests[1])).toContain('before the restart'); // same session, history kept
  });

  it('an answered update delivered again after a restart with a stale offset is not answered twice', async () => {
    const first = await start();
    const message = { ...redelivered(0), message_id: 7001, text: 'answer me once' };
    const updateId = web.tg.pushUpdate({ message });
    await reply(111);
    await first.gw.gateway.lanes.idle();
    const home = first.home;
    await web.stop({ keepHome: true });
    // The offset write is coalesced into state.json: a crash right after a run can lose it. Simulate that.
    const statePath = join(home, 'state.json');
    const state = JSON.parse(await readFile(statePath, 'utf8'));
    state.channelOffsets = {};
    await writeFile(statePath, JSON.stringify(state));

    web.tg.pushUpdate({ update_id: updateId, message });
    await start(undefined, home);
    web.tg.pushMessage({ chatId: 111, chatType: 'private', fromId: 111, text: 'a new question' });
    await reply(111, (s) => s.visibleText.includes('a new question'));
    await web.h.gw.gateway.lanes.idle();
    expect(sentTo(111).map((s) => s.visibleText)).toEqual(['reply to: answer me once', 'reply to: a new question']);
    expect(web.fake.requests).toHaveLength(2);
  });

  it('shows the typing action in the topic of the active run', async () => {
    const FORUM = -100400;
    web.fake.setDefault((req) => ({ text: `reply to: ${lastUserText(req)}`, delayMs: 600 }));
    await start({ groups: { '*': { requireMention: false } } });
    web.tg.pushMessage({ chatId: FORUM, chatType: 'supergroup', isForum: true, fromId: 111, threadId: 33, text: 'slow question' });
    await eventually(() => web.fake.requests.length === 1, 'the model request');
    const typing = await eventually(() => web.tg.actions.find((a) => a.chatId === FORUM), 'a typing action');
    expect(typing).toMatchObject({ action: 'typing', threadId: 33 });
    const r = await reply(FORUM);
    expect(r.threadId).toBe(33);
    const order = web.tg.calls.map((c) => c.method);
    expect(order.indexOf('sendChatAction')).toBeLessThan(order.indexOf('sendMessage'));

    web.tg.pushMessage({ chatId: FORUM, chatType: 'supergroup', isForum: true, fromId: 111, text: 'slow in General' });
    await reply(FORUM, (s) => s.visibleText.includes('General'));
    const generalTyping = web.tg.actions.filter((a) => a.chatId === FORUM && a.threadId === undefined);
    expect(generalTyping.length).toBeGreaterThanOrEqual(1);
    expect(web.tg.actions.every((a) => a.threadId === undefined || a.threadId === 33)).toBe(true);
  });

  it('sends a failed run’s error to the topic the message came from', async () => {
    const FORUM = -100500;
    web.fake.script(KEY, { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is malformed' } } });
    await start({ groups: { [String(FORUM)]: { requireMention: false } } });
    web.tg.pushMessage({ chatId: FORUM, chatType: 'supergroup', isForum: true, fromId: 111, threadId: 44, text: 'this will fail' });
    const err = await reply(FORUM);
    expect(err.visibleText).toMatch(/model call failed/i);
    expect(err.threadId).toBe(44);
  });

  it('processes a photo caption and describes the attachment to the model', async () => {
    await start();
    web.tg.pushMessage({ chatId: 111, chatType: 'private', fromId: 111, caption: 'what is in this picture?', photo: true });
    await reply(111);
    const sent = lastUserText(web.fake.requests[0]);
    expect(sent).toContain('what is in this picture?');
    expect(sent).toMatch(/\[attachment: photo, 96\.5 KB\]/);
  });
});

/** A DM message payload with a given update's id, as Telegram would send it again. */
function redelivered(updateId: number): Record<string, unknown> {
  return {
    message_id: updateId, // any id: dedupe must come from the offset, not from message ids
    from: { id: 111, is_bot: false, first_name: 'User' },
    chat: { id: 111, type: 'private', first_name: 'User' },
    date: Math.floor(Date.now() / 1000),
    text: 'before the restart (again)',
  };
}

function count(s: string, needle: string): number {
  return s.split(needle).length - 1;
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The code inside a chunk's <pre> blocks (HTML entities decoded), optionally only those of one language. */
function codeOf(html: string, lang?: string): string {
  const re = /<pre>(?:<code class="language-([\w-]+)">)?([\s\S]*?)(?:<\/code>)?<\/pre>/g;
  const out: string[] = [];
  for (const m of html.matchAll(re)) {
    if (lang && m[1] !== lang) continue;
    out.push(m[2].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  }
  return out.join('\n');
}

/** Prose, a small code block a naive cut at 4000 would split, more prose, and a code block longer than a chunk. */
function longReply(): { text: string; smallCode: string; bigCode: string } {
  const sentence = (i: number) => `This is sentence number ${i} of the explanation, and it carries on for a while.`;
  const para = (from: number, n: number) => Array.from({ length: n }, (_, i) => sentence(from + i)).join(' ');
  const smallCode = Array.from({ length: 30 }, (_, i) => `const smallBlock${i} = compute(${i}) && check(${i}) < ${i + 1}; // step ${i}`).join('\n');
  const bigCode = Array.from({ length: 65 }, (_, i) => `bigBlock_${i} = transform(items[${i}], lambda x: x * ${i} + offset)  # line ${i}`).join('\n');
  const text = [para(0, 22), para(22, 14), '```ts\n' + smallCode + '\n```', para(36, 6), '```python\n' + bigCode + '\n```', para(42, 4)].join('\n\n');
  return { text, smallCode, bigCode };
}
