// Benchmark: messages through the Telegram adapter of a whole in-process gateway, against the fake Telegram Bot
// API on 127.0.0.1 (grammY's real HTTP both ways: getUpdates long polling in, sendMessage out). The model answers
// instantly, so what is measured is the adapter plus the gateway: decode, access, routing, journal (fsync),
// lanes, transcript, chunking, HTML rendering and the Bot API calls.
//
//   npx tsx bench/telegram.ts [--messages 2000] [--chats 100] [--sequential 300] [--model adapter|zero|sdk|all]
//
// adapter: the Telegram adapter alone (no gateway): each decoded message is answered with channel.send() at once,
//       so the figures are grammY's HTTP plus our decode/render/send code.
// zero: an in-process model caller that answers at once (the gateway's own cost only).
// sdk:  the real Anthropic SDK against the fake Anthropic server on 127.0.0.1 answering at once (adds the SDK
//       and its HTTP/SSE round trip, as a real deployment would have).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type RunningGateway } from '../runtime/main.js';
import type { ModelCallEvent, ModelCallRequest, ModelCaller } from '../runtime/agent/model-caller.js';
import type { Logger } from '../runtime/types/index.js';
import { startFakeAnthropic, type FakeModelServer } from '../test/fakes/fake-anthropic.js';
import { FakeTelegram, type SentMessage } from '../test/fakes/fake-telegram.js';
import { createTelegramChannels } from '../bots/telegram/index.js';

const TOKEN = '424242:BENCH-TOKEN';
const KEY = 'bench-key';
/** The whole run stays under a minute; a phase that is not done by then is reported as stuck. */
const PHASE_DEADLINE_MS = 25_000;

type Variant = 'adapter' | 'zero' | 'sdk';

interface Options {
  messages: number;
  chats: number;
  sequential: number;
  variants: Variant[];
}

function parseOptions(argv: string[]): Options {
  const o: Options = { messages: 2000, chats: 100, sequential: 300, variants: ['adapter', 'zero', 'sdk'] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const n = Number(value);
    if (flag === '--messages' && n > 0) o.messages = n;
    else if (flag === '--chats' && n > 0) o.chats = n;
    else if (flag === '--sequential' && n >= 0) o.sequential = n;
    else if (flag === '--model' && (value === 'adapter' || value === 'zero' || value === 'sdk' || value === 'all'))
      o.variants = value === 'all' ? ['adapter', 'zero', 'sdk'] : [value];
    else throw new Error(`bench/telegram: unknown or bad argument ${flag} ${value ?? ''}: use --messages N --chats M --sequential K --model adapter|zero|sdk|all`);
    i++;
  }
  return o;
}

/** Warnings and errors only: a benchmark must not measure its own logging. */
const quietLog: Logger = {
  info() {},
  debug() {},
  warn: (msg, data) => console.warn(`[gateway warn] ${msg}`, data ?? ''),
  error: (msg, data) => console.error(`[gateway error] ${msg}`, data ?? ''),
};

/** Every message carries a tag `#<n>`; replies repeat it, so a reply is matched to its message. */
const tagOf = (text: string): number | undefined => {
  const m = /#(\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
};

function lastUserText(req: ModelCallRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i];
    if (m.role === 'user') return m.text;
  }
  return '';
}

/** Edges timestamped by the model side (zero variant): request arrived, reply handed back. */
interface Edges {
  request: Map<number, number>;
  reply: Map<number, number>;
}

function zeroLatencyModel(edges: Edges): ModelCaller {
  async function* answer(req: ModelCallRequest): AsyncGenerator<ModelCallEvent> {
    const tag = tagOf(lastUserText(req));
    const text = `ok #${tag}`;
    yield { type: 'text', delta: text };
    if (tag !== undefined) edges.reply.set(tag, performance.now());
    yield { type: 'done', text, toolCalls: [], usage: { inputTokens: 1, outputTokens: 1 }, stopReason: 'end' };
  }
  return {
    stream(req) {
      const tag = tagOf(lastUserText(req));
      if (tag !== undefined) edges.request.set(tag, performance.now());
      return answer(req);
    },
  };
}

interface Rig {
  tg: FakeTelegram;
  gw?: RunningGateway;
  edges: Edges;
  /** Reply arrival at the fake Telegram, by tag. */
  replied: Map<number, number>;
  waiters: Map<number, () => void>;
  stop(): Promise<void>;
}

/** Reply arrival at the fake, matched to the message by its tag. */
function trackReplies(tg: FakeTelegram): Pick<Rig, 'replied' | 'waiters'> {
  const replied = new Map<number, number>();
  const waiters = new Map<number, () => void>();
  tg.onSent((s: SentMessage) => {
    const at = performance.now();
    const tag = tagOf(s.visibleText);
    if (tag === undefined || replied.has(tag)) return;
    replied.set(tag, at);
    waiters.get(tag)?.();
  });
  return { replied, waiters };
}

/** The adapter alone: the same grammY client and sender the gateway uses, answering every message at once. */
async function startAdapterRig(): Promise<Rig> {
  const tg = await new FakeTelegram({ [TOKEN]: { username: 'bench_bot' } }).start();
  const offsets = new Map<string, number>();
  const [channel] = await createTelegramChannels(
    { botToken: TOKEN, apiRoot: tg.apiRoot },
    { log: quietLog, offsets: { get: (k) => offsets.get(k), set: (k, v) => void offsets.set(k, v) } },
  );
  await channel.start((m) => {
    const tag = tagOf(m.text);
    void channel.send({ to: m.chat, text: `ok #${tag}` }).catch((err: unknown) => console.error(`bench: send failed: ${String(err)}`));
  });
  return {
    tg,
    edges: { request: new Map(), reply: new Map() },
    ...trackReplies(tg),
    async stop() {
      await channel.stop();
      await tg.close();
    },
  };
}

async function startRig(variant: Variant): Promise<Rig> {
  if (variant === 'adapter') return startAdapterRig();
  const tg = await new FakeTelegram({ [TOKEN]: { username: 'bench_bot' } }).start();
  const home = await mkdtemp(join(tmpdir(), 'sy-bench-tg-'));
  let model: FakeModelServer | undefined;
  const edges: Edges = { request: new Map(), reply: new Map() };
  const config: Record<string, unknown> = {
    agents: { defaults: { model: { primary: 'anthropic/claude-bench' }, maxConcurrent: 4 } },
    // followup: every message is its own turn and gets its own reply (collect would merge bursts).
    messages: { queue: { mode: 'followup' } },
    channels: { telegram: { botToken: TOKEN, apiRoot: tg.apiRoot, dmPolicy: 'open' } },
  };
  if (variant === 'sdk') {
    model = await startFakeAnthropic({ record: false });
    model.setDefault((req) => {
      const messages = req.body.messages as { role: string; content: unknown }[];
      const last = messages[messages.length - 1];
      const text = typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? '');
      return { text: `ok #${tagOf(text)}`, chunkSize: 64 };
    });
    config.models = { providers: { anthropic: { api: 'anthropic-messages', baseUrl: model.url } } };
  }
  await writeFile(join(home, 'switchyard.json'), JSON.stringify(config));
  const gw = await startGateway({
    home,
    env: { ANTHROPIC_API_KEY: KEY },
    port: 0,
    log: quietLog,
    ...(variant === 'zero' ? { modelCaller: zeroLatencyModel(edges) } : {}),
  });
  return {
    tg,
    gw,
    edges,
    ...trackReplies(tg),
    async stop() {
      await gw.stop();
      await tg.close();
      await model?.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

function waitReply(rig: Rig, tag: number): Promise<void> {
  if (rig.replied.has(tag)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to message #${tag} within ${PHASE_DEADLINE_MS} ms`)), PHASE_DEADLINE_MS);
    rig.waiters.set(tag, () => {
      clearTimeout(timer);
      rig.waiters.delete(tag);
      resolve();
    });
  });
}

let nextTag = 1;
const pushed = new Map<number, number>();

function push(rig: Rig, chat: number): number {
  const tag = nextTag++;
  pushed.set(tag, performance.now());
  rig.tg.pushMessage({ chatId: chat, chatType: 'private', fromId: chat, text: `message #${tag} from chat ${chat}` });
  return tag;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function stats(values: number[]): { p50: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

const fmt = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)} ms` : 'n/a');
const row = (name: string, v: number[]) => {
  const s = stats(v);
  return `| ${name.padEnd(44)} | ${fmt(s.p50).padStart(10)} | ${fmt(s.p99).padStart(10)} | ${fmt(s.max).padStart(10)} |`;
};
const header = `| ${'measure'.padEnd(44)} | ${'p50'.padStart(10)} | ${'p99'.padStart(10)} | ${'max'.padStart(10)} |\n|${'-'.repeat(46)}|${'-'.repeat(12)}|${'-'.repeat(12)}|${'-'.repeat(12)}|`;

const between = (tags: number[], from: Map<number, number>, to: Map<number, number>) =>
  tags.filter((t) => from.has(t) && to.has(t)).map((t) => to.get(t)! - from.get(t)!);

/** One message at a time: overhead per message without queueing. */
async function sequential(rig: Rig, count: number, chats: number, chatBase: number): Promise<number[]> {
  const tags: number[] = [];
  for (let i = 0; i < count; i++) {
    const tag = push(rig, chatBase + (i % chats));
    tags.push(tag);
    await waitReply(rig, tag);
  }
  return tags;
}

/** Everything at once: N messages spread over M chats, pushed in one go. */
async function burst(rig: Rig, count: number, chats: number, chatBase: number): Promise<{ tags: number[]; wallMs: number }> {
  const start = performance.now();
  const tags: number[] = [];
  for (let i = 0; i < count; i++) tags.push(push(rig, chatBase + (i % chats)));
  await Promise.all(tags.map((t) => waitReply(rig, t)));
  return { tags, wallMs: performance.now() - start };
}

async function runVariant(variant: Variant, o: Options): Promise<void> {
  const rig = await startRig(variant);
  try {
    await sequential(rig, 30, 5, 9_000_000); // warm-up: JIT, first session files
    const seqTags = await sequential(rig, o.sequential, o.chats, 1_000_000);
    const b = await burst(rig, o.messages, o.chats, 2_000_000);
    const sendCalls = rig.tg.calls.filter((c) => c.method === 'sendMessage').length;
    const polls = rig.tg.calls.filter((c) => c.method === 'getUpdates').length;

    const title = {
      adapter: 'Telegram adapter alone (no gateway: each message answered with channel.send at once)',
      zero: 'whole gateway, zero-latency in-process model caller',
      sdk: 'whole gateway, Anthropic SDK → fake Anthropic server (instant)',
    }[variant];
    console.log(`\n## ${title}\n`);
    console.log(`One message at a time (${o.sequential} messages over ${Math.min(o.chats, o.sequential)} chats):\n`);
    console.log(header);
    console.log(row('push → reply sendMessage at the fake', between(seqTags, pushed, rig.replied)));
    if (variant === 'zero') {
      console.log(row('  push → model request (inbound path)', between(seqTags, pushed, rig.edges.request)));
      console.log(row('  model reply → sendMessage (outbound path)', between(seqTags, rig.edges.reply, rig.replied)));
    }
    console.log(`\nBurst: ${o.messages} messages from ${o.chats} chats pushed at once:\n`);
    console.log(header);
    console.log(row('push → reply sendMessage (queueing included)', between(b.tags, pushed, rig.replied)));
    console.log(`\nthroughput: ${(o.messages / (b.wallMs / 1000)).toFixed(0)} messages/s (${o.messages} replies in ${(b.wallMs / 1000).toFixed(2)} s)`);
    console.log(`Bot API calls in total: ${sendCalls} sendMessage, ${polls} getUpdates`);
  } finally {
    await rig.stop();
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const started = performance.now();
  console.log(`# Telegram adapter benchmark (node ${process.version}, ${process.platform}/${process.arch})`);
  console.log(`fake Telegram and gateway in one process, 127.0.0.1 only; state dir on ${tmpdir()}; maxConcurrent 4, queue mode followup`);
  for (const v of o.variants) await runVariant(v, o);
  console.log(`\ntotal bench time ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench/telegram failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
