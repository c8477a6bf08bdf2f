// Benchmark: the Discord adapter against the fake Discord on 127.0.0.1 (the real discord.js Client on a real
// WebSocket gateway in, @discordjs/rest's real HTTP out), and what configuring Discord costs the gateway at start.
//
//   npx tsx bench/discord.ts [--only=adapter,gateway,startup] [--messages 2000] [--channels 50] [--sequential 300]
//
// adapter: the adapter alone: each decoded message is answered with channel.send() at once (gateway frame →
//          discord.js → decode → REST POST at the fake).
// gateway: the whole gateway in process (startGateway) with an in-process model that answers at once, Discord
//          configured: adds access, routing, journal, lanes, transcripts and delivery.
// startup: `node dist/runtime/main.js` in child processes (built with tsc first): ready time (spawn → /healthz
//          200, which waits for Discord's READY) and RSS, without Discord, with a Discord block but no token, and
//          logged in to the fake.
// Traffic goes only to 127.0.0.1; every wait is bounded; the script exits by itself.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDiscordChannels } from '../bots/discord/index.js';
import { DiscordSender, type RestLike } from '../bots/discord/outbound.js';
import { defaultRetryPolicy } from '../bots/discord/retry.js';
import { startGateway, type RunningGateway } from '../runtime/main.js';
import type { Logger } from '../runtime/types/index.js';
import type { ModelCallEvent, ModelCallRequest, ModelCaller } from '../runtime/agent/model-caller.js';
import { systemClock } from '../runtime/clock.js';
import { FakeDiscord, type FakeGuild, type FakeUser } from '../test/fakes/fake-discord.js';
import { coldStart } from './lib/cold-start.js';
import { markdownTable, median, mib, ms, summarize } from './lib/stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PHASES = ['adapter', 'gateway', 'startup'] as const;
type Phase = (typeof PHASES)[number];
const PHASE_DEADLINE_MS = 60_000;
const GUILD = '1150000000000000001';

interface Options {
  only: Phase[];
  messages: number;
  channels: number;
  sequential: number;
  starts: number;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { only: [...PHASES], messages: 2000, channels: 50, sequential: 300, starts: 5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--only=')) {
      const want = a.slice('--only='.length).split(',');
      const bad = want.filter((p) => !(PHASES as readonly string[]).includes(p));
      if (bad.length) throw new Error(`bench/discord: unknown phase(s) ${bad.join(', ')}: use --only=${PHASES.join(',')}`);
      o.only = want as Phase[];
      continue;
    }
    const n = Number(argv[i + 1]);
    if (a === '--messages' && n > 0) o.messages = n;
    else if (a === '--channels' && n > 0) o.channels = n;
    else if (a === '--sequential' && n >= 0) o.sequential = n;
    else if (a === '--starts' && n > 0) o.starts = n;
    else throw new Error(`bench/discord: unknown or bad argument ${a} ${argv[i + 1] ?? ''}: use --only=… --messages N --channels M --sequential K --starts S`);
    i++;
  }
  return o;
}

/** Warnings and errors only: a benchmark must not measure its own logging. */
let rateLimitWarnings = 0;
const quietLog: Logger = {
  info() {},
  debug() {},
  warn: (msg, data) => (msg.startsWith('discord: rate limited') ? void rateLimitWarnings++ : console.warn(`[warn] ${msg}`, data ?? '')),
  error: (msg, data) => console.error(`[error] ${msg}`, data ?? ''),
};

const channelIds = (n: number) => Array.from({ length: n }, (_, i) => String(1150000000000001000n + BigInt(i)));
const benchGuild = (n: number): FakeGuild => ({ id: GUILD, name: 'Bench', channels: channelIds(n).map((id, i) => ({ id, name: `c${i}` })) });
const USER: FakeUser = { id: '1100000000000000042', username: 'bench_user' };

function lastUserText(req: ModelCallRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i];
    if (m.role === 'user') return m.text;
  }
  return '';
}

const tagOf = (text: string): number | undefined => {
  const m = /#(\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
};

interface Rig {
  discord: FakeDiscord;
  pushed: Map<number, number>;
  /** When the adapter handed the message over (adapter phase) or the model was asked (gateway phase). */
  inbound: Map<number, number>;
  replied: Map<number, number>;
  waiters: Map<number, () => void>;
  stop(): Promise<void>;
}

function track(discord: FakeDiscord): Pick<Rig, 'pushed' | 'inbound' | 'replied' | 'waiters'> {
  const replied = new Map<number, number>();
  const waiters = new Map<number, () => void>();
  discord.onSent((s) => {
    const at = performance.now();
    const tag = tagOf(s.content);
    if (tag === undefined || replied.has(tag)) return;
    replied.set(tag, at);
    waiters.get(tag)?.();
  });
  return { pushed: new Map(), inbound: new Map(), replied, waiters };
}

type AdapterMode = 'inbound' | 'unlimited' | 'production';

/**
 * The adapter alone. inbound: messages are only handed over (nothing sent). unlimited: each is answered through
 * the adapter's sender over a REST client whose global limit is lifted, so the adapter's own cost shows.
 * production: answered with channel.send, i.e. with Discord's global limit of 50 requests/s that the REST client
 * enforces (a real bot cannot send faster).
 */
async function adapterRig(o: Options, mode: AdapterMode): Promise<Rig> {
  const discord = await new FakeDiscord({ guilds: [benchGuild(o.channels)] }).start();
  const t = track(discord);
  const cfg = { token: discord.token, apiRoot: discord.apiRoot, dmPolicy: 'open' as const, allowFrom: [], guilds: {} };
  const [channel] = await createDiscordChannels(cfg, { log: quietLog, clock: systemClock });
  const { REST } = await import('discord.js');
  const rest = new REST({ api: discord.apiRoot, retries: 0, globalRequestsPerSecond: 1_000_000 }).setToken(discord.token);
  const unlimited = new DiscordSender({ rest: rest as RestLike, accountId: 'bench', log: quietLog, clock: systemClock, retry: defaultRetryPolicy });
  await channel.start((m) => {
    const tag = tagOf(m.text);
    if (tag === undefined) return;
    t.inbound.set(tag, performance.now());
    if (mode === 'inbound') return void t.waiters.get(tag)?.();
    const reply = { to: m.chat, text: `ok #${tag}`, replyToId: m.messageId };
    void (mode === 'unlimited' ? unlimited.send(reply) : channel.send(reply)).catch((err: unknown) => console.error('bench: send failed', err));
  });
  return {
    discord,
    ...t,
    // In inbound mode the hand-over is the "reply".
    ...(mode === 'inbound' ? { replied: t.inbound } : {}),
    async stop() {
      await channel.stop();
      rest.clearHashSweeper();
      rest.clearHandlerSweeper();
      await discord.close();
    },
  };
}

async function gatewayRig(o: Options): Promise<Rig> {
  const discord = await new FakeDiscord({ guilds: [benchGuild(o.channels)] }).start();
  const t = track(discord);
  const home = await mkdtemp(join(tmpdir(), 'sy-bench-dc-'));
  const config = {
    agents: { defaults: { model: { primary: 'anthropic/claude-bench' }, maxConcurrent: 4 } },
    // followup: one reply per message; the cap above a channel's share of the burst, so nothing is dropped.
    messages: { queue: { mode: 'followup', cap: 1000 } },
    channels: { webchat: { enabled: false }, discord: { token: discord.token, apiRoot: discord.apiRoot, guilds: { [GUILD]: { requireMention: false } } } },
  };
  await writeFile(join(home, 'switchyard.json'), JSON.stringify(config));
  // An in-process model that answers at once, repeating the message's tag so the reply can be matched.
  async function* answer(text: string): AsyncGenerator<ModelCallEvent> {
    yield { type: 'text', delta: text };
    yield { type: 'done', text, toolCalls: [], usage: { inputTokens: 1, outputTokens: 1 }, stopReason: 'end' };
  }
  const modelCaller: ModelCaller = {
    stream(req: ModelCallRequest) {
      const tag = tagOf(lastUserText(req));
      if (tag !== undefined) t.inbound.set(tag, performance.now());
      return answer(`ok #${tag}`);
    },
  };
  const gw: RunningGateway = await startGateway({ home, env: {}, port: 0, log: quietLog, modelCaller });
  return {
    discord,
    ...t,
    async stop() {
      await gw.stop();
      await discord.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

let nextTag = 1;

function push(rig: Rig, channelId: string): number {
  const tag = nextTag++;
  rig.pushed.set(tag, performance.now());
  rig.discord.pushMessage({ channelId, author: USER, content: `message #${tag}` });
  return tag;
}

function waitReply(rig: Rig, tag: number, deadlineMs = PHASE_DEADLINE_MS): Promise<void> {
  if (rig.replied.has(tag)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to message #${tag} within ${deadlineMs} ms`)), deadlineMs);
    rig.waiters.set(tag, () => {
      clearTimeout(timer);
      rig.waiters.delete(tag);
      resolve();
    });
  });
}

const between = (tags: number[], from: Map<number, number>, to: Map<number, number>) =>
  tags.filter((t) => from.has(t) && to.has(t)).map((t) => to.get(t)! - from.get(t)!);

type Variant = AdapterMode | 'gateway';

const TITLES: Record<Variant, string> = {
  inbound: 'Adapter inbound only (gateway frame → discord.js → decode → handed over; nothing sent)',
  unlimited: "Adapter round trip, REST global limit lifted (the adapter's own cost)",
  production: "Adapter round trip as shipped (the REST client keeps Discord's global limit of 50 requests/s)",
  gateway: 'Whole gateway with Discord, zero-latency in-process model (queue followup, maxConcurrent 4)',
};

/** Below Discord's 50 requests/s, so one-at-a-time latency is not a rate-limit wait. */
const PACE_MS = 25;

async function throughputPhase(variant: Variant, o: Options): Promise<string> {
  const rig = variant === 'gateway' ? await gatewayRig(o) : await adapterRig(o, variant);
  const ids = channelIds(o.channels);
  const paced = variant === 'gateway' || variant === 'production';
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    for (let i = 0; i < 30; i++) {
      await waitReply(rig, push(rig, ids[i % ids.length])); // warm-up
      if (paced) await sleep(PACE_MS);
    }
    const seq: number[] = [];
    for (let i = 0; i < o.sequential; i++) {
      const started = performance.now();
      const tag = push(rig, ids[i % ids.length]);
      seq.push(tag);
      await waitReply(rig, tag);
      if (paced) await sleep(Math.max(0, PACE_MS - (performance.now() - started)));
    }
    if (paced) await sleep(1100); // let the global bucket refill before the burst
    const start = performance.now();
    const burst: number[] = [];
    for (let i = 0; i < o.messages; i++) burst.push(push(rig, ids[i % ids.length]));
    // Behind Discord's 50 requests/s a burst takes messages/50 s at best; give it three times that.
    const burstDeadline = PHASE_DEADLINE_MS + (o.messages / 50) * 3000;
    await Promise.all(burst.map((t) => waitReply(rig, t, burstDeadline)));
    const wall = performance.now() - start;
    const row = (what: string, v: number[]) => {
      const x = summarize(v);
      return [what, ms(x.p50), ms(x.p99), ms(x.max)];
    };
    const handed = variant === 'gateway' ? 'model request' : 'handed to onInbound';
    const rows =
      variant === 'inbound'
        ? [row('MESSAGE_CREATE sent → handed to onInbound', between(seq, rig.pushed, rig.inbound))]
        : [
            row('MESSAGE_CREATE sent → reply POST at the fake', between(seq, rig.pushed, rig.replied)),
            row(`  MESSAGE_CREATE sent → ${handed}`, between(seq, rig.pushed, rig.inbound)),
            row(`  ${handed} → reply POST at the fake`, between(seq, rig.inbound, rig.replied)),
          ];
    const lat = summarize(between(burst, rig.pushed, rig.replied));
    const posts = variant === 'inbound' ? '' : ` Message POSTs in total: ${rig.discord.sent.length} (expected ${30 + o.sequential + o.messages}).`;
    return [
      `### ${TITLES[variant]} — load avg ${loadavg()[0].toFixed(2)}`,
      '',
      `One message at a time (${o.sequential} messages over ${Math.min(o.channels, o.sequential)} channels${paced ? `, one every ≥ ${PACE_MS} ms` : ''}):`,
      '',
      markdownTable(['measure', 'p50', 'p99', 'max'], rows),
      '',
      `Burst: ${o.messages} messages over ${o.channels} channels dispatched at once: **${Math.round(o.messages / (wall / 1000))} messages/s** ` +
        `(${(wall / 1000).toFixed(2)} s; latency incl. queueing p50 ${ms(lat.p50)}, p99 ${ms(lat.p99)}).${posts}`,
    ].join('\n');
  } finally {
    await rig.stop();
  }
}

async function startupPhase(o: Options): Promise<string> {
  process.stderr.write('building dist/ with tsc (the children run the compiled gateway)…\n');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
  const discord = await new FakeDiscord({ guilds: [benchGuild(20)] }).start();
  try {
    const kinds: { label: string; channels: (port: number) => Record<string, unknown> }[] = [
      { label: 'no Discord (embedded defaults)', channels: () => ({}) },
      { label: 'Discord block without a token', channels: () => ({ discord: { guilds: { '*': { requireMention: true } } } }) },
      {
        label: 'Discord logged in to the fake (1 server, 20 channels)',
        channels: () => ({ discord: { token: discord.token, apiRoot: discord.apiRoot, guilds: { '*': {} } } }),
      },
    ];
    const rows: string[][] = [];
    for (const k of kinds) {
      const times: number[] = [];
      const rss: number[] = [];
      for (let i = 0; i < o.starts; i++) {
        process.stderr.write(`startup: ${k.label} (${i + 1}/${o.starts})…\n`);
        const r = await coldStart({
          command: process.execPath,
          args: ['dist/runtime/main.js'],
          cwd: ROOT,
          configText: (port) => JSON.stringify({ gateway: { port }, channels: k.channels(port) }),
          measureRss: true,
          settleMs: 2000,
        });
        times.push(r.readyMs);
        rss.push(r.rssAfterReady);
      }
      rows.push([k.label, ms(median(times), 0), `${ms(Math.min(...times), 0)} – ${ms(Math.max(...times), 0)}`, mib(median(rss))]);
    }
    return [
      `### Gateway start with and without Discord (node dist/runtime/main.js, median of ${o.starts}; load avg ${loadavg()[0].toFixed(2)})`,
      '',
      markdownTable(['config', 'ready (spawn → /healthz 200)', 'range', 'RSS 2 s after ready (no GC)'], rows),
    ].join('\n');
  } finally {
    await discord.close();
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const started = performance.now();
  const out: string[] = [`# Discord benchmark (node ${process.version}, ${process.platform}/${process.arch}); fake Discord on 127.0.0.1 in this process`];
  if (o.only.includes('adapter')) for (const v of ['inbound', 'unlimited', 'production'] as const) out.push(await throughputPhase(v, o));
  if (o.only.includes('gateway')) out.push(await throughputPhase('gateway', o));
  if (o.only.includes('startup')) out.push(await startupPhase(o));
  console.log(out.join('\n\n'));
  console.log(`\nrate-limit log lines (one per route per 10 s): ${rateLimitWarnings}`);
  console.log(`\ntotal bench time ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench/discord failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
