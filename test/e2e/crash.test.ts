// Crash safety with the real product process: the gateway runs as a CHILD PROCESS
// (`node --import tsx runtime/main.ts`) on a temp state dir, talking to the fake Telegram Bot API and the fake
// Anthropic server in this process. It is SIGKILLed at a known point and restarted on the same state dir; every
// message must then be answered exactly once — nothing accepted is lost, nothing delivered is sent again.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeModelServer, type FakeResponse } from '../fakes/fake-anthropic.js';
import { FakeTelegram, type SentMessage } from '../fakes/fake-telegram.js';
import {
  eventually,
  journalPending as pendingIn,
  killAll,
  killChild as kill,
  lastUserText,
  startGatewayChild,
  type GatewayChild as Child,
} from '../fakes/gateway-child.js';

const TOKEN = '123456:TEST-TOKEN';
const KEY = 'key-crash';

let fake: FakeModelServer;
let tg: FakeTelegram;
let home: string;
const children: Child[] = [];

beforeEach(async () => {
  fake = await startFakeAnthropic();
  tg = await new FakeTelegram({ [TOKEN]: { username: 'switchyard_crash_bot' } }).start();
  home = await mkdtemp(join(tmpdir(), 'sy-crash-'));
});

afterEach(async () => {
  // Children die first, whatever happened in the test, so no gateway outlives it.
  await killAll(children);
  await tg.close();
  await fake.close();
  await rm(home, { recursive: true, force: true });
});

/** Writes the config (a fresh port each start) and spawns the gateway; resolves when /healthz says ready. */
function startChild(telegram: Record<string, unknown> = {}, queue: Record<string, unknown> = { mode: 'followup' }): Promise<Child> {
  const config = {
    models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: fake.url } } },
    agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
    // followup (default here): each message is its own turn with its own reply, so replies can be counted per message.
    messages: { queue },
    channels: { telegram: { botToken: TOKEN, apiRoot: tg.apiRoot, dmPolicy: 'open', ...telegram } },
  };
  return startGatewayChild({ home, config, env: { ANTHROPIC_API_KEY: KEY }, children });
}

/** The update has been handed to the gateway and journaled: the poller confirmed it with a higher offset. */
function confirmed(updateId: number): boolean {
  return tg.calls.some((c) => c.method === 'getUpdates' && typeof c.params.offset === 'number' && c.params.offset > updateId);
}

const sends = () => tg.sent.filter((s) => s.method === 'sendMessage');
const repliesTo = (text: string) => sends().filter((s) => s.visibleText === `reply to: ${text}`);
const modelCallsFor = (text: string) => fake.requests.filter((r) => lastUserText(r) === text).length;

const journalPending = () => pendingIn(home);

describe('crash safety: SIGKILL the gateway process and restart it on the same state dir', () => {
  it('answers every message exactly once: done ones are not repeated, in-flight and queued ones are not lost', { timeout: 150_000 }, async () => {
    const SLOW = 'alice asks something slow';
    let slowSeen = false;
    fake.setDefault((req): FakeResponse => {
      const text = lastUserText(req);
      // The first run of SLOW hangs until the process dies: the kill lands mid-run.
      if (text === SLOW && !slowSeen) {
        slowSeen = true;
        return { text: `reply to: ${text}`, delayMs: 120_000 };
      }
      return { text: `reply to: ${text}` };
    });

    const first = await startChild();
    const B = 'bob, answered before the crash';
    tg.pushMessage({ chatId: 222, chatType: 'private', fromId: 222, text: B });
    await eventually(() => repliesTo(B).length === 1, 'the reply to bob', first);

    tg.pushMessage({ chatId: 111, chatType: 'private', fromId: 111, text: SLOW });
    await eventually(() => slowSeen, 'the slow model request (mid-run)', first);
    const A2 = 'alice again, queued behind the slow run';
    const queuedId = tg.pushMessage({ chatId: 111, chatType: 'private', fromId: 111, text: A2 });
    await eventually(() => confirmed(queuedId), 'the queued message to be accepted', first);

    await kill(first, 'SIGKILL');
    expect(first.proc.signalCode).toBe('SIGKILL');
    expect(repliesTo(SLOW)).toHaveLength(0);
    expect(repliesTo(A2)).toHaveLength(0);

    // Arrives while no gateway runs: Telegram keeps it until the next poll.
    const D = 'dave, sent while the gateway was down';
    tg.pushMessage({ chatId: 444, chatType: 'private', fromId: 444, text: D });

    const second = await startChild();
    await eventually(() => repliesTo(SLOW).length && repliesTo(A2).length && repliesTo(D).length, 'the replies after the restart', second);
    // A last message on alice's lane runs after everything recovered there, so late duplicates would show by now.
    const E = 'alice, the last word';
    tg.pushMessage({ chatId: 111, chatType: 'private', fromId: 111, text: E });
    await eventually(() => repliesTo(E).length, 'the reply to the last message', second);
    await kill(second, 'SIGTERM');

    for (const text of [B, SLOW, A2, D, E]) expect(repliesTo(text), text).toHaveLength(1);
    expect(sends()).toHaveLength(5);
    expect(
      sends()
        .filter((s) => s.chatId === 111)
        .map((s) => s.visibleText),
    ).toEqual([`reply to: ${SLOW}`, `reply to: ${A2}`, `reply to: ${E}`]);
    expect(modelCallsFor(B)).toBe(1); // finished before the crash: never run again
    expect(modelCallsFor(SLOW)).toBe(2); // the run the crash cut off is repeated once
    expect(modelCallsFor(A2)).toBe(1);
    expect(await journalPending()).toEqual([]);
  });

  it('resumes a reply cut off between chunks: only the unsent chunks go out, in the same topic', { timeout: 150_000 }, async () => {
    const FORUM = -100777;
    const para = (mark: string) => `${mark} ` + Array.from({ length: 40 }, (_, i) => `Sentence ${i} of part ${mark} goes on for a little while.`).join(' ');
    const long = [para('PART-ONE'), para('PART-TWO'), para('PART-THREE')].join('\n\n');
    fake.setDefault((req): FakeResponse => ({ text: lastUserText(req).includes('long') ? long : `reply to: ${lastUserText(req)}`, chunkSize: 1000 }));
    // Telegram rate-limits the second chunk for longer than the process lives: the kill lands between chunks,
    // after the first one was delivered and journaled.
    tg.failWhen('sendMessage', (p) => String(p.text).startsWith('PART-TWO'), { status: 429, description: 'Too Many Requests: retry after 40', retry_after: 40 });

    const groups = { [String(FORUM)]: { requireMention: false } };
    const first = await startChild({ groups });
    tg.pushMessage({ chatId: FORUM, chatType: 'supergroup', isForum: true, threadId: 77, fromId: 111, text: 'something long please' });
    await eventually(() => tg.calls.some((c) => c.method === 'sendMessage' && String(c.params.text).startsWith('PART-TWO')), 'the rate-limited second chunk', first);
    await kill(first, 'SIGKILL');
    const part = (mark: string) => sends().filter((s) => s.visibleText.startsWith(mark));
    expect(part('PART-ONE')).toHaveLength(1);
    expect(part('PART-TWO')).toHaveLength(0);

    const second = await startChild({ groups });
    await eventually(() => part('PART-THREE').length, 'the rest of the reply', second);
    tg.pushMessage({ chatId: FORUM, chatType: 'supergroup', isForum: true, threadId: 77, fromId: 111, text: 'thanks' });
    await eventually(() => sends().some((s) => s.visibleText.endsWith('thanks')), 'the reply to the follow-up', second);
    await kill(second, 'SIGTERM');

    const order = sends().map((s: SentMessage) => s.visibleText.split(' ')[0]);
    expect(order.filter((w) => w.startsWith('PART-'))).toEqual(['PART-ONE', 'PART-TWO', 'PART-THREE']);
    for (const s of sends()) expect(s.threadId).toBe(77);
    expect(fake.requests.filter((r) => lastUserText(r).includes('long please'))).toHaveLength(1); // delivered from the journal, not re-run
    expect(await journalPending()).toEqual([]);
  });

  it('messages dropped at the queue cap survive a kill until the answer that summarises them', { timeout: 150_000 }, async () => {
    // cap 2, drop summarize: while the first message runs, six more arrive; the oldest waiting ones are dropped
    // and only noted for the next turn. A kill before that turn ran must not lose them.
    const texts = Array.from({ length: 6 }, (_, i) => `message number ${i + 1} from carol`);
    let slowSeen = false;
    fake.setDefault((req): FakeResponse => {
      const text = lastUserText(req);
      if (text === texts[0] && !slowSeen) {
        slowSeen = true;
        return { text: `reply to: ${text}`, delayMs: 120_000 };
      }
      return { text: `reply to: ${text}` };
    });
    const queue = { mode: 'collect', debounceMs: 200, cap: 2, drop: 'summarize' };
    const first = await startChild({}, queue);
    tg.pushMessage({ chatId: 333, chatType: 'private', fromId: 333, text: texts[0] });
    await eventually(() => slowSeen, 'the slow first run', first);
    let lastId = 0;
    for (const text of texts.slice(1)) lastId = tg.pushMessage({ chatId: 333, chatType: 'private', fromId: 333, text });
    await eventually(() => confirmed(lastId), 'all messages accepted', first);
    await eventually(() => first.output.join('').includes('queued messages dropped'), 'the cap to drop messages', first);
    await kill(first, 'SIGKILL');
    expect(sends()).toHaveLength(0);

    const second = await startChild({}, queue);
    // Every message shows up in exactly one delivered answer: as its own turn or in the note of dropped ones.
    const answering = (text: string) => sends().filter((s) => s.visibleText.includes(text));
    await eventually(() => texts.every((t) => answering(t).length > 0), 'every message answered or summarised', second);
    await eventually(async () => (await journalPending()).length === 0 || undefined, 'the journal to settle', second);
    await kill(second, 'SIGTERM');
    for (const t of texts) expect(answering(t), t).toHaveLength(1);
    expect(sends().some((s) => s.visibleText.includes('Earlier messages were dropped'))).toBe(true);
    expect(await journalPending()).toEqual([]);
  });
});
