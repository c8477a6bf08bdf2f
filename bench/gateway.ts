// Gateway benchmark: per-message overhead, throughput, memory and cold start, with a
// zero-latency model so only the gateway's own cost is measured. Prints Markdown tables; see bench/README.md.
//
//   npm run bench                              # everything (about five minutes on 2 cores)
//   npx tsx bench/gateway.ts --quick           # smaller counts, for a smoke run
//   npx tsx bench/gateway.ts --only=overhead,load,coldstart
//
// Traffic goes only to 127.0.0.1. Every loop is bounded; the script exits by itself.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable, median, mib, ms, summarize, type Summary } from './lib/stats.js';
import { measureOverhead, type ModelVariant } from './lib/in-process.js';
import { measureInChild, type ChildLoadResult } from './lib/child-load.js';
import { coldStart } from './lib/cold-start.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PHASES = ['overhead', 'load', 'coldstart'];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? onlyArg.slice('--only='.length).split(',') : PHASES;
const bad = [...args.filter((a) => a !== '--quick' && !a.startsWith('--only=')), ...only.filter((p) => !PHASES.includes(p))];
if (bad.length > 0) {
  console.error(`unknown argument(s) ${bad.join(' ')}: use --quick and/or --only=${PHASES.join(',')}`);
  process.exit(2);
}

const N = quick
  ? { ovUsers: 10, ovWarmup: 50, ovCount: 300, sessions: 200, perSession: 5, rounds: 2, starts: 3 }
  : { ovUsers: 50, ovWarmup: 300, ovCount: 3000, sessions: 1000, perSession: 5, rounds: 2, starts: 5 };

const TARGET = { overheadP99Ms: 10, perSecond: 500, idleRssBytes: 80 * 1024 * 1024, readyMs: 1000 };

const verdict = (ok: boolean) => (ok ? 'yes' : 'NO');
const sections: string[] = [];
const say = (s: string) => process.stderr.write(`${s}\n`);
const load1 = () => loadavg()[0].toFixed(2);

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · nproc ${cpus().length} (${cpu.trim()}) · node ${process.version} · ${process.platform}`;
}

async function overheadPhase(): Promise<void> {
  const rows: string[][] = [];
  for (const variant of ['zero', 'sdk'] as ModelVariant[]) {
    say(`overhead: ${variant} model, ${N.ovWarmup} warm-up + ${N.ovCount} sequential messages over ${N.ovUsers} web chat users…`);
    const s = await measureOverhead(variant, { users: N.ovUsers, warmup: N.ovWarmup, count: N.ovCount });
    const label = variant === 'zero' ? 'zero-latency ModelCaller' : 'Anthropic SDK → fake server';
    const row = (what: string, x: Summary, target: boolean) => [label, what, ms(x.p50), ms(x.p99), ms(x.max), target ? verdict(x.p99 < TARGET.overheadP99Ms) : ''];
    rows.push(row('inbound → provider request', summarize(s.inToRequest), true));
    rows.push(row('provider reply → outbound', summarize(s.replyToOut), true));
    rows.push(row('whole round trip', summarize(s.total), false));
  }
  sections.push(
    `### Overhead per message (in process, web chat WebSocket, one message in flight, n = ${N.ovCount} after ${N.ovWarmup} warm-up; load avg ${load1()})\n\n` +
      markdownTable(['model', 'segment', 'p50', 'p99', 'max', `p99 < ${TARGET.overheadP99Ms} ms`], rows),
  );
}

function build(): void {
  say('building dist/ with tsc (the child processes run the compiled gateway)…');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
}

async function loadPhase(): Promise<void> {
  const results: ChildLoadResult[] = [];
  const plan: [ModelVariant, 'followup' | 'collect'][] = [
    ['zero', 'followup'],
    ['zero', 'collect'],
    ['sdk', 'followup'],
    ['sdk', 'collect'],
  ];
  for (const [variant, mode] of plan) {
    say(`load: ${variant} model, ${mode}, ${N.sessions} sessions × ${N.perSession} messages × ${N.rounds} rounds, maxConcurrent 4…`);
    results.push(await measureInChild({ root: ROOT, variant, mode, sessions: N.sessions, perSession: N.perSession, rounds: N.rounds }));
  }
  const name = (r: ChildLoadResult) => (r.variant === 'zero' ? 'zero-latency ModelCaller' : 'Anthropic SDK → fake');
  const rows = results.flatMap((r) =>
    r.rounds.map((x, i) => [
      name(r),
      r.mode,
      String(i + 1),
      String(x.messages),
      String(x.modelCalls),
      `${(x.elapsedMs / 1000).toFixed(2)} s`,
      String(Math.round(x.perSecond)),
      ms(x.gatewayCpuMs / x.messages),
      r.mode === 'followup' ? verdict(x.perSecond >= TARGET.perSecond) : '(merges bursts)',
    ]),
  );
  sections.push(
    `### Throughput (gateway in its own process; ${N.sessions} web chat sessions × ${N.perSession} messages sent at once per round; maxConcurrent 4; journal fsync + transcripts on disk; load avg ${load1()})\n\n` +
      markdownTable(['model', 'queue mode', 'round', 'messages', 'model calls', 'elapsed', 'messages/s', 'gateway CPU / msg', `≥ ${TARGET.perSecond}/s`], rows),
  );
  const gcNote = results.every((r) => r.gcAvailable) ? 'after GC' : 'GC NOT available';
  const memRows = results.map((r) => [
    `${name(r)}, ${r.mode}`,
    `${mib(r.rssIdleGc)} (heap ${mib(r.heapIdleGc)})`,
    r.rounds.map((x) => mib(x.rss)).join(' / '),
    r.rounds.map((x) => mib(x.rssGc)).join(' / '),
    `${mib(r.rssClientsGoneGc)} (heap ${mib(r.heapClientsGoneGc)})`,
    verdict(r.rssIdleGc < TARGET.idleRssBytes),
  ]);
  sections.push(
    `### RSS of the gateway process (the same child processes; "after round" includes ${N.sessions} open WebSocket connections)\n\n` +
      markdownTable(['run', `idle (${gcNote})`, 'after round 1 / 2', `after round 1 / 2 (${gcNote})`, `clients gone (${gcNote})`, 'idle < 80 MB'], memRows),
  );
}

async function coldStartPhase(): Promise<void> {
  const kinds: { label: string; command: string; args: string[]; rss: boolean; target: boolean }[] = [
    { label: 'node dist/runtime/main.js', command: process.execPath, args: ['dist/runtime/main.js'], rss: true, target: true },
    { label: 'node_modules/.bin/tsx runtime/main.ts', command: join(ROOT, 'node_modules/.bin/tsx'), args: ['runtime/main.ts'], rss: false, target: false },
    { label: 'npx tsx runtime/main.ts', command: 'npx', args: ['tsx', 'runtime/main.ts'], rss: false, target: false },
  ];
  const rows: string[][] = [];
  for (const k of kinds) {
    const times: number[] = [];
    const rssValues: number[] = [];
    for (let i = 0; i < N.starts; i++) {
      say(`cold start: ${k.label} (${i + 1}/${N.starts})…`);
      // The embedded defaults (no model, no platform tokens), on a free port: what a first `npm start` does.
      const r = await coldStart({ command: k.command, args: k.args, cwd: ROOT, configText: (port) => JSON.stringify({ gateway: { port } }), measureRss: k.rss });
      times.push(r.readyMs);
      if (k.rss) rssValues.push(r.rssAfterReady);
    }
    const med = median(times);
    rows.push([
      k.label,
      ms(med, 0),
      `${ms(Math.min(...times), 0)} – ${ms(Math.max(...times), 0)}`,
      k.rss ? mib(median(rssValues)) : 'n/a (a wrapper process)',
      k.target ? verdict(med < TARGET.readyMs) : '(reference)',
    ]);
  }
  sections.push(
    `### Cold start to ready (spawn → GET /healthz 200, fresh SWITCHYARD_HOME each time, median of ${N.starts}; load avg ${load1()})\n\n` +
      markdownTable(['command', 'median', 'range', 'RSS 1 s after ready (no GC)', `< ${TARGET.readyMs} ms`], rows),
  );
}

async function main(): Promise<void> {
  const head = `## Gateway benchmark — ${machine()}${quick ? ' · --quick' : ''}`;
  say(`${head} · load avg at start ${load1()}`);
  if (only.includes('overhead')) await overheadPhase();
  if (only.includes('load') || only.includes('coldstart')) build();
  if (only.includes('load')) await loadPhase();
  if (only.includes('coldstart')) await coldStartPhase();
  process.stdout.write(`\n${head}\n\n${sections.join('\n\n')}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
