// Benchmark: the Slack adapter against the fake Slack on 127.0.0.1 (test/fakes/fake-slack.ts): the real bolt App
// receives events_api envelopes over the Socket Mode WebSocket and the real WebClient posts the answers over HTTP.
//
//   npx tsx bench/slack.ts [--messages 2000] [--chats 100] [--sequential 300] [--only load,adapter,gateway]
//
// load:    child processes (compiled, plain node): the whole gateway started with no Slack block vs with one —
//          is bolt loaded, and what does it cost (RSS, heap, modules, time to ready)?
// adapter: the adapter alone (no gateway): each message is answered with channel.send() at once, so the figures
//          are bolt's socket + dispatch, our dedupe/decode/render/send code and the WebClient's HTTP.
// gateway: the whole gateway in process with a zero-latency in-process model (queue mode followup, maxConcurrent
//          4): adds access, routing, the journal (fdatasync), lanes, session and transcript files, delivery.
// Every post mentions the bot in a channel, so Slack (the fake) sends two envelopes per message (message +
// app_mention) and echoes every answer back as the bot's own message: three envelopes per message.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSlackChannels } from '../bots/slack/index.js';
import { startGateway } from '../runtime/main.js';
import type { Logger } from '../runtime/types/index.js';
import { zeroLatencyCaller } from './lib/zero-latency-caller.js';
import { FakeSlack, type Posted } from '../test/fakes/fake-slack.js';
import { markdownTable, mib, ms, summarize } from './lib/stats.js';

const ROOT = resolve(import.meta.dirname, '..');
/** Generous: on a shared machine a burst can take minutes; a message not answered by then is reported as stuck. */
const PHASE_DEADLINE_MS = 180_000;

interface Options {
  messages: number;
  chats: number;
  sequential: number;
  only: Set<string>;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { messages: 2000, chats: 100, sequential: 300, only: new Set(['load', 'adapter', 'gateway']) };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const n = Number(value);
    if (flag === '--messages' && n > 0) o.messages = n;
    else if (flag === '--chats' && n > 0) o.chats = n;
    else if (flag === '--sequential' && n >= 0) o.sequential = n;
    else if (flag === '--only' && value) o.only = new Set(value.split(','));
    else throw new Error(`bench/slack: unknown or bad argument ${flag} ${value ?? ''}: use --messages N --chats M --sequential K --only load,adapter,gateway`);
    i++;
  }
  return o;
}

const quietLog: Logger = {
  info() {},
  debug() {},
  warn: (msg, data) => console.warn(`[slack warn] ${msg}`, data ?? ''),
  error: (msg, data) => console.error(`[slack error] ${msg}`, data ?? ''),
};

const tagOf = (text: string): number | undefined => {
  const m = /#(\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
};

// ---------------------------------------------------------------------------------------------------------------
// load

interface LoadReading {
  mode: string;
  boltLoaded: boolean;
  cjsModules: number;
  rss: number;
  heapUsed: number;
  readyMs: number;
}

function loadPhase(): void {
  console.log('\n## What Slack support costs the gateway process (compiled, plain node, median of 5 child processes each)\n');
  execFileSync(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', resolve(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  const child = resolve(ROOT, 'dist/bench/lib/slack-load-child.js');
  const run = (mode: string): LoadReading[] =>
    Array.from({ length: 5 }, () => JSON.parse(execFileSync(process.execPath, [child, mode], { encoding: 'utf8' }).trim()) as LoadReading);
  const rows = ['unconfigured', 'configured'].map((mode) => {
    const rs = run(mode);
    const med = (f: (r: LoadReading) => number) => summarize(rs.map(f)).p50;
    const loaded = rs.every((r) => r.boltLoaded) ? 'yes' : rs.some((r) => r.boltLoaded) ? 'sometimes' : 'no';
    return [
      mode,
      loaded,
      String(med((r) => r.cjsModules)),
      mib(med((r) => r.rss)),
      mib(med((r) => r.heapUsed)),
      ms(
        med((r) => r.readyMs),
        0,
      ),
    ];
  });
  console.log(markdownTable(['channels.slack', 'bolt loaded', 'CJS modules', 'RSS (after GC)', 'heap used', 'start → ready'], rows));
}

// ---------------------------------------------------------------------------------------------------------------
// adapter

interface Rig {
  slack: FakeSlack;
  pushed: Map<number, number>;
  replied: Map<number, number>;
  waiters: Map<number, () => void>;
  stop(): Promise<void>;
}

/** Answers arriving at the fake, matched to their message by its tag. */
function trackAnswers(slack: FakeSlack, stop: () => Promise<void>): Rig {
  const rig: Rig = { slack, pushed: new Map(), replied: new Map(), waiters: new Map(), stop };
  let seen = 0;
  slack.onChange(() => {
    const now = performance.now();
    for (; seen < slack.posted.length; seen++) {
      const p: Posted = slack.posted[seen];
      const tag = tagOf(p.text);
      if (tag === undefined || rig.replied.has(tag)) continue;
      rig.replied.set(tag, now);
      rig.waiters.get(tag)?.();
    }
  });
  return rig;
}

async function startAdapterRig(): Promise<Rig> {
  const slack = await new FakeSlack().start();
  const [channel] = await createSlackChannels({ botToken: slack.app.botToken, appToken: slack.app.appToken, apiUrl: slack.apiUrl }, { log: quietLog, env: {} });
  await channel.start((m) => {
    void channel.send({ to: m.chat, text: `ok #${tagOf(m.text)}` }).catch((err: unknown) => console.error('bench: send failed', err));
  });
  return trackAnswers(slack, async () => {
    await channel.stop();
    await slack.close();
  });
}

async function startGatewayRig(): Promise<Rig> {
  const slack = await new FakeSlack().start();
  const home = await mkdtemp(join(tmpdir(), 'sy-bench-slack-'));
  const config = {
    // A model must be named for runs to start; the in-process caller below answers instead of it.
    agents: { defaults: { model: { primary: 'anthropic/claude-bench' }, maxConcurrent: 4 } },
    // followup: every message is its own turn with its own answer (collect would merge bursts).
    messages: { queue: { mode: 'followup' } },
    channels: {
      webchat: { enabled: false },
      slack: { botToken: slack.app.botToken, appToken: slack.app.appToken, apiUrl: slack.apiUrl, channels: { '*': { requireMention: true } } },
    },
  };
  await writeFile(join(home, 'switchyard.json'), JSON.stringify(config));
  // The model repeats the message's tag, so the answer is matched to its message.
  const caller = zeroLatencyCaller();
  const tagged: typeof caller = {
    get calls() {
      return caller.calls;
    },
    stream(req) {
      const last = [...req.messages].reverse().find((m) => m.role === 'user');
      const tag = tagOf(last && 'text' in last ? String(last.text) : '');
      return zeroLatencyCaller({}, `ok #${tag}`).stream(req);
    },
  };
  const gw = await startGateway({ home, env: { ANTHROPIC_API_KEY: 'bench-key' }, port: 0, log: quietLog, modelCaller: tagged });
  return trackAnswers(slack, async () => {
    await gw.stop();
    await slack.close();
    await rm(home, { recursive: true, force: true, maxRetries: 5 });
  });
}

let nextTag = 1;

function push(rig: Rig, chat: number): number {
  const tag = nextTag++;
  rig.pushed.set(tag, performance.now());
  rig.slack.post({ channel: `C${chat}`, user: `U${chat}`, text: `<@${rig.slack.app.botUserId}> message #${tag}` });
  return tag;
}

function waitReply(rig: Rig, tag: number): Promise<void> {
  if (rig.replied.has(tag)) return Promise.resolve();
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no answer to #${tag} within ${PHASE_DEADLINE_MS} ms`)), PHASE_DEADLINE_MS);
    rig.waiters.set(tag, () => {
      clearTimeout(timer);
      rig.waiters.delete(tag);
      res();
    });
  });
}

const latencies = (rig: Rig, tags: number[]) => tags.filter((t) => rig.replied.has(t)).map((t) => rig.replied.get(t)! - rig.pushed.get(t)!);

async function runPhase(kind: 'adapter' | 'gateway', o: Options): Promise<void> {
  const rig = kind === 'adapter' ? await startAdapterRig() : await startGatewayRig();
  try {
    for (let i = 0; i < 30; i++) await waitReply(rig, push(rig, 900 + (i % 5))); // warm-up
    const firstMeasured = rig.slack.socket.envelopes.length;
    const seq: number[] = [];
    for (let i = 0; i < o.sequential; i++) {
      const tag = push(rig, 1000 + (i % o.chats));
      seq.push(tag);
      await waitReply(rig, tag);
    }
    const seqAcks = rig.slack.socket.envelopes.slice(firstMeasured).flatMap((e) => (e.ackMs === undefined ? [] : [e.ackMs]));
    const burstFrom = rig.slack.socket.envelopes.length;
    const start = performance.now();
    const burst: number[] = [];
    for (let i = 0; i < o.messages; i++) burst.push(push(rig, 2000 + (i % o.chats)));
    await Promise.all(burst.map((t) => waitReply(rig, t)));
    const wall = performance.now() - start;
    await rig.slack.waitFor(() => rig.slack.socket.envelopes.every((e) => e.ackedAt !== undefined), 'every envelope acked', PHASE_DEADLINE_MS);
    const burstAcks = rig.slack.socket.envelopes.slice(burstFrom).flatMap((e) => (e.ackMs === undefined ? [] : [e.ackMs]));
    const posts = rig.slack.posted.filter((p) => p.method === 'chat.postMessage').length;
    const total = 30 + o.sequential + o.messages;

    console.log(
      kind === 'adapter'
        ? '\n## Slack adapter alone (each message answered with channel.send at once)\n'
        : '\n## Whole gateway with Slack, zero-latency in-process model (followup, maxConcurrent 4)\n',
    );
    const row = (name: string, v: number[]) => {
      const s = summarize(v);
      return [name, String(s.n), ms(s.p50), ms(s.p99), ms(s.max)];
    };
    console.log(
      markdownTable(
        ['measure', 'n', 'p50', 'p99', 'max'],
        [
          row(`one at a time: post → answer at chat.postMessage`, latencies(rig, seq)),
          row('one at a time: envelope written → ack received', seqAcks),
          row(`burst of ${o.messages} from ${o.chats} channels: post → answer`, latencies(rig, burst)),
          row('burst: envelope written → ack received', burstAcks),
        ],
      ),
    );
    console.log(`\nthroughput: ${(o.messages / (wall / 1000)).toFixed(0)} messages/s (${o.messages} answers in ${(wall / 1000).toFixed(2)} s)`);
    console.log(`chat.postMessage calls: ${posts} for ${total} messages; envelopes: ${rig.slack.socket.envelopes.length}, all acked`);
    console.log(`process RSS after the run (fake Slack and its records included): ${mib(process.memoryUsage().rss)}`);
    if (posts !== total) throw new Error(`expected exactly one answer per message, got ${posts} for ${total}`);
  } finally {
    await rig.stop().catch((err: unknown) => console.error('bench: stopping the rig failed', err));
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const started = performance.now();
  console.log(`# Slack adapter benchmark (node ${process.version}, ${process.platform}/${process.arch}); fake Slack on 127.0.0.1`);
  if (o.only.has('load')) loadPhase();
  if (o.only.has('adapter')) await runPhase('adapter', o);
  if (o.only.has('gateway')) await runPhase('gateway', o);
  console.log(`\ntotal bench time ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench/slack failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
