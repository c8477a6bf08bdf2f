// Crash fuzz: the real gateway process (test/fakes/gateway-child.ts) under a mixed load of direct messages and
// forum-topic messages on the fake Telegram, with a slow, streaming, tool-calling fake model and the default queue
// settings (collect, 1 s debounce, cap 20, summarize), is SIGKILLed again and again at seeded random moments and
// started again on the same state directory. At the end, for every message: it is answered exactly once (one
// answer covers it: its own turn, a turn it was collected into, or the note of a turn it was summarised in), the
// answer went to its own chat and topic, and every multi-chunk answer arrived whole. A chunk Telegram accepted
// just before a kill, whose acceptance the gateway never heard of, may be sent again: those are counted apart.
//
// Runs in `npm test`; alone: `npx vitest run test/e2e/crash-fuzz.test.ts`. CRASH_FUZZ_SEED and CRASH_FUZZ_KILLS
// change the seed (default 7) and the number of kills (default 6) for longer hunts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeModelServer, type FakeRequest, type FakeResponse } from '../fakes/fake-anthropic.js';
import { FakeTelegram, type SentMessage } from '../fakes/fake-telegram.js';
import { eventually, journalPending, killAll, killChild, startGatewayChild, type GatewayChild } from '../fakes/gateway-child.js';

const SEED = Number(process.env.CRASH_FUZZ_SEED ?? 7);
const KILLS = Number(process.env.CRASH_FUZZ_KILLS ?? 6);
const MESSAGES = 10 * KILLS;
const TOKEN = '123456:TEST-TOKEN';
const FORUM = -100777000;
const TOPICS = [11, 12, 13, 14];
const DM_USERS = [201, 202, 203, 204, 205, 206];
const GROUP_USERS = [301, 302, 303];
/** Paragraphs of this size: two never fit one Telegram message (4096), so an answer of n parts is n chunks. */
const PART_CHARS = 2500;

let fake: FakeModelServer;
let tg: FakeTelegram;
let home: string;
const children: GatewayChild[] = [];

beforeEach(async () => {
  fake = await startFakeAnthropic();
  tg = await new FakeTelegram({ [TOKEN]: { username: 'switchyard_fuzz_bot' } }).start();
  tg.sendDelayMs = 120; // Telegram-like latency; accepted at once, confirmed later: a kill in between makes the gateway send it again
  home = await mkdtemp(join(tmpdir(), 'sy-crash-fuzz-'));
});

afterEach(async () => {
  await killAll(children);
  await tg.close();
  await fake.close();
  await rm(home, { recursive: true, force: true });
});

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

type Block = { type: string; text?: string };
type Msg = { role: string; content: string | Block[] };

/** The tokens of the turn being answered: the last user message that has text (tool results have none). */
function turnTokens(req: FakeRequest): string[] {
  const messages = req.body.messages as Msg[];
  for (const m of [...messages].reverse()) {
    if (m.role !== 'user') continue;
    const text =
      typeof m.content === 'string'
        ? m.content
        : m.content
            .filter((b) => b.type === 'text')
            .map((b) => b.text ?? '')
            .join('\n');
    if (text.trim() === '') continue;
    return [...new Set(text.match(/Q\d{3}/g) ?? [])].sort();
  }
  return [];
}

function afterToolResult(req: FakeRequest): boolean {
  const last = (req.body.messages as Msg[]).at(-1);
  return Array.isArray(last?.content) && last.content.some((b) => b.type === 'tool_result');
}

/**
 * The fake model: first a tool call (`time`), then the answer, both slow and streamed in small pieces. The answer
 * names the turn's tokens (its tag) in every paragraph; a third of the answers have 2–3 paragraphs (chunks).
 */
function model(req: FakeRequest): FakeResponse {
  const tokens = turnTokens(req);
  const tag = tokens.join('+') || 'NONE';
  const h = hash(tag);
  if (!afterToolResult(req)) {
    return { text: 'Let me check the time.', toolCalls: [{ name: 'time', args: {} }], delayMs: 60 + (h % 200), chunkSize: 8, deltaDelayMs: 10 };
  }
  const parts = h % 2 === 0 ? 2 + ((h >>> 1) % 2) : 1;
  const paragraphs = Array.from({ length: parts }, (_, k) => {
    const head = `${tag} part ${k + 1}/${parts}:`;
    const filler = parts === 1 ? ' short answer.' : ` ${'words of the answer '.repeat(Math.ceil(PART_CHARS / 20))}`.slice(0, PART_CHARS);
    return head + filler;
  });
  return { text: paragraphs.join('\n\n'), delayMs: 40 + (h % 150), chunkSize: 400, deltaDelayMs: 15 };
}

interface Sent {
  token: string;
  chatId: number;
  threadId?: number;
}

describe('crash fuzz: SIGKILL at seeded random moments under DM + forum-topic load', () => {
  it(`answers every message exactly once, in its own topic, every multi-chunk answer whole (seed ${SEED}, ${KILLS} kills)`, { timeout: 180_000 }, async () => {
    fake.setDefault(model);
    const config = {
      models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: fake.url } } },
      agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
      channels: {
        telegram: { botToken: TOKEN, apiRoot: tg.apiRoot, dmPolicy: 'open', groups: { [String(FORUM)]: { requireMention: false } } },
      },
    };
    const start = () => startGatewayChild({ home, config, env: { ANTHROPIC_API_KEY: 'key-fuzz' }, children });
    const random = rng(SEED);
    const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
    const pushed: Sent[] = [];
    const push = () => {
      const token = `Q${String(pushed.length).padStart(3, '0')}`;
      if (random() < 0.5) {
        const user = pick(DM_USERS);
        tg.pushMessage({ chatId: user, chatType: 'private', fromId: user, text: `question ${token} please` });
        pushed.push({ token, chatId: user });
      } else {
        const topic = pick(TOPICS);
        tg.pushMessage({
          chatId: FORUM,
          chatType: 'supergroup',
          isForum: true,
          threadId: topic,
          fromId: pick(GROUP_USERS),
          title: 'Fuzz forum',
          text: `about ${token} in the topic`,
        });
        pushed.push({ token, chatId: FORUM, threadId: topic });
      }
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    const killedAt: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      const child = await start();
      // The kill comes a seeded random time after this process's first model call: a freshly started gateway
      // first loads the model SDK (seconds on a loaded machine), and a kill before that would only test start-up.
      const requestsBefore = fake.requests.length;
      const lifeMs = 200 + random() * 3000;
      let until = Date.now() + 20_000;
      while (Date.now() < until) {
        if (pushed.length < MESSAGES && random() < 0.5) push();
        await sleep(30 + random() * 170);
        if (until - Date.now() > lifeMs && fake.requests.length > requestsBefore) until = Date.now() + lifeMs;
      }
      await killChild(child, 'SIGKILL');
      killedAt.push(`${Math.round(lifeMs)} ms`);
      if (pushed.length < MESSAGES && random() < 0.5) push(); // arrives while no gateway runs
    }
    const beforeLast = tg.sent.filter((s) => s.method === 'sendMessage').length;
    const last = await start();
    while (pushed.length < MESSAGES) push();

    const chunks = () => tg.sent.filter((s) => s.method === 'sendMessage');
    const tagOf = (s: SentMessage) => /^((?:Q\d{3}\+?)+) part (\d+)\/(\d+):/.exec(s.visibleText);
    const covered = () => new Set(chunks().flatMap((s) => tagOf(s)?.[1]?.split('+') ?? []));
    await eventually(() => pushed.every((p) => covered().has(p.token)), 'every message answered', last, 90_000);
    await eventually(async () => (await journalPending(home)).length === 0, 'nothing pending in the journal', last, 60_000);
    await killChild(last, 'SIGTERM');

    // Every answer chunk, by tag: which parts arrived how often, and where.
    const answers = new Map<string, { parts: number; seen: Map<number, number>; where: Set<string> }>();
    const strays: string[] = [];
    for (const s of chunks()) {
      const m = tagOf(s);
      if (!m) {
        strays.push(s.visibleText.slice(0, 120));
        continue;
      }
      const a = answers.get(m[1]!) ?? { parts: Number(m[3]), seen: new Map<number, number>(), where: new Set<string>() };
      a.seen.set(Number(m[2]), (a.seen.get(Number(m[2])) ?? 0) + 1);
      a.where.add(`${s.chatId}/${s.threadId ?? '-'}`);
      answers.set(m[1]!, a);
    }
    let resent = 0;
    for (const a of answers.values()) for (const n of a.seen.values()) resent += n - 1;
    const report =
      `seed ${SEED}, kills ${killedAt.join(', ')} after the first model call; ${answers.size} answers ` +
      `(${[...answers.values()].filter((a) => a.parts > 1).length} of several chunks), ${beforeLast} chunks sent before the last start, ` +
      `${resent} chunk(s) sent again`;
    // The kills must have hit a gateway at work, or this test shows nothing.
    expect(beforeLast, report).toBeGreaterThan(0);

    expect(strays, `${report}: sends that are not answers`).toEqual([]);
    const problems: string[] = [];
    for (const p of pushed) {
      const tags = [...answers.keys()].filter((t) => t.split('+').includes(p.token));
      if (tags.length !== 1) {
        problems.push(`${p.token}: answered ${tags.length} times (${tags.join(', ')})`);
        continue;
      }
      const a = answers.get(tags[0]!)!;
      const home = `${p.chatId}/${p.threadId ?? '-'}`;
      if (a.where.size !== 1 || !a.where.has(home)) problems.push(`${p.token}: answered in ${[...a.where].join(', ')}, asked in ${home}`);
      for (let part = 1; part <= a.parts; part++) if (!a.seen.has(part)) problems.push(`${p.token}: answer ${tags[0]} lacks part ${part}/${a.parts}`);
    }
    expect(problems, report).toEqual([]);
    // A kill can catch at most one accepted-but-unconfirmed chunk per chat being answered (maxConcurrent 4).
    expect(resent, report).toBeLessThanOrEqual(KILLS * 4);
    console.info(`crash fuzz: ${pushed.length} messages, ${report}`);
  });
});
