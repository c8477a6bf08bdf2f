// Footprint: how fast the gateway is ready and how much memory it holds when idle, for a chosen set of platforms
// configured against their fakes on 127.0.0.1.
//
//   npx tsx bench/footprint.ts                                  # Telegram only, 5 starts
//   npx tsx bench/footprint.ts --platforms=telegram,discord,slack,whatsapp --runs=5
//   npx tsx bench/footprint.ts --platforms=none                 # web chat only
//   npx tsx bench/footprint.ts --node-arg=--max-semi-space-size=1   # try a V8 flag (repeatable)
//
// ready = from spawning `node dist/runtime/main.js` (the compiled gateway; the TypeScript build is not counted)
// until GET /healthz answers 200; idle RSS = the process's VmRSS 5 s after ready (no forced GC). Each start gets a
// fresh state directory. The figures go to bench/README.md.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { spawnGateway } from './lib/cold-start.js';
import { parsePlatforms, startPlatforms, type PlatformFixture } from './lib/platforms.js';
import { markdownTable, median } from './lib/stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    platforms: { type: 'string', default: 'telegram' },
    runs: { type: 'string', default: '5' },
    'settle-ms': { type: 'string', default: '5000' },
    'node-arg': { type: 'string', multiple: true, default: [] },
    'no-build': { type: 'boolean', default: false },
  },
});
const platforms = parsePlatforms(values.platforms);
const runs = Math.max(1, Math.min(50, Number(values.runs) || 5));
const settleMs = Math.max(0, Math.min(60_000, Number(values['settle-ms']) || 0));
const nodeArgs = values['node-arg'] ?? [];
const say = (s: string) => process.stderr.write(`${s}\n`);

interface ProcMem {
  rss: number;
  anon: number;
  file: number;
}

async function procMem(pid: number): Promise<ProcMem> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/** CPU time (user + system) the process has used so far, in ms: less sensitive to other load than wall time. */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at state; utime and stime are the 12th and 13th.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ, 100 on Linux for arm and x86
  return ((Number(f[11]) + Number(f[12])) * 1000) / ticksPerSecond;
}

function configText(port: number, fixtures: PlatformFixture[]): string {
  const channels: Record<string, unknown> = {};
  for (const f of fixtures) channels[f.id] = f.config;
  return JSON.stringify({ gateway: { port }, channels }, null, 2);
}

async function main(): Promise<void> {
  if (!values['no-build']) {
    say('building dist/ with tsc (the gateway runs compiled; the build is not part of the figures)…');
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
  }
  const fixtures = await startPlatforms(platforms);
  const env = Object.assign({}, ...fixtures.map((f) => f.env ?? {})) as Record<string, string>;
  const ready: number[] = [];
  const cpu: number[] = [];
  const mem: ProcMem[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const before = fixtures.map((f) => f.connections());
      const g = await spawnGateway({
        command: process.execPath,
        args: [...nodeArgs, 'dist/runtime/main.js'],
        cwd: ROOT,
        env,
        configText: (port) => configText(port, fixtures),
      });
      try {
        const cpuAtReady = await cpuMs(g.child.pid!);
        await new Promise((r) => setTimeout(r, settleMs));
        const m = await procMem(g.child.pid!);
        // A start that never reached a platform would flatter the figures: refuse it.
        fixtures.forEach((f, k) => {
          const now = f.connections();
          if (now !== undefined && now === before[k]) throw new Error(`${f.id}: the gateway never called its fake; check the channel config`);
        });
        ready.push(g.readyMs);
        cpu.push(cpuAtReady);
        mem.push(m);
        say(
          `run ${i + 1}/${runs}: ready ${g.readyMs.toFixed(0)} ms (CPU ${cpuAtReady.toFixed(0)} ms), idle RSS ${(m.rss / 1048576).toFixed(1)} MB (anon ${(m.anon / 1048576).toFixed(1)}, file ${(m.file / 1048576).toFixed(1)})`,
        );
      } finally {
        await g.stop();
      }
    }
  } finally {
    await Promise.all(fixtures.map((f) => f.close()));
  }
  const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
  const range = (xs: number[], f: (x: number) => string) => `${f(Math.min(...xs))} – ${f(Math.max(...xs))}`;
  const msf = (x: number) => `${x.toFixed(0)} ms`;
  const rss = mem.map((m) => m.rss);
  const mid = mem.find((m) => m.rss === median(rss)) ?? mem[0];
  const label = platforms.length ? platforms.join(' + ') : 'web chat only';
  process.stdout.write(
    `\n### Footprint — ${label}${nodeArgs.length ? ` (node ${nodeArgs.join(' ')})` : ''}\n\n` +
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · nproc ${cpus().length} · node ${process.version} · load avg ${loadavg()[0].toFixed(2)} · ${runs} starts, RSS ${settleMs} ms after ready\n\n` +
      markdownTable(
        ['platforms', 'ready median', 'ready range', 'CPU to ready', 'idle RSS median', 'idle RSS range', 'anon / file-backed (median run)'],
        [[label, msf(median(ready)), range(ready, msf), msf(median(cpu)), mb(median(rss)), range(rss, mb), `${mb(mid.anon)} / ${mb(mid.file)}`]],
      ) +
      '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`footprint: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
