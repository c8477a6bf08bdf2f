// WhatsApp benchmark: what Baileys costs and that it is loaded only when WhatsApp is configured and linked.
// Prints Markdown tables; see bench/README.md.
//
//   npx tsx bench/whatsapp.ts [--runs 5] [--only=load,gateway]
//
// load:    fresh processes (compiled, --expose-gc), median of --runs: node alone; the WhatsApp registry entry with
//          WhatsApp configured but not linked; import('@whiskeysockets/baileys'); the adapter's real socket
//          connected to a local WhatsApp Web handshake (test/fakes/fake-whatsapp-server.ts) until Baileys offers its
//          QR code. RSS after GC, time from the first import.
// gateway: the compiled gateway spawned as `npm start` runs it, fresh SWITCHYARD_HOME each time: without WhatsApp;
//          with channels.whatsapp but no link; with a linked account. Time to GET /healthz 200, RSS 1 s after.
//          (The linked account's socket dials web.whatsapp.com, unreachable from this machine, so the figure is the
//          gateway with Baileys loaded and the account in its reconnect loop.)
// Traffic goes only to 127.0.0.1; every child is stopped before the script exits.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable, median, mib, ms } from './lib/stats.js';
import { spawnGateway } from './lib/cold-start.js';
import { rssOfPid } from './lib/memory.js';
import { startFakeWaServer, testCaPublicKey } from '../test/fakes/fake-whatsapp-server.js';
import { writeLinkedCreds } from '../test/fakes/fake-whatsapp.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PHASES = ['load', 'gateway'];
const args = process.argv.slice(2);
let runs = 5;
let only = PHASES;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs' && Number(args[i + 1]) > 0) runs = Number(args[++i]);
  else if (args[i].startsWith('--only=')) only = args[i].slice('--only='.length).split(',');
  else {
    console.error(`unknown argument ${args[i]}: use --runs N and/or --only=${PHASES.join(',')}`);
    process.exit(2);
  }
}
const say = (s: string) => process.stderr.write(`${s}\n`);

interface ChildLine {
  mode: string;
  rss: number;
  heapUsed: number;
  ms: number;
  cpuMs: number;
  baileysLoaded: boolean;
  sharpLoaded: boolean;
}

function runChild(mode: string, extra: string[] = []): Promise<ChildLine> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', join(ROOT, 'dist/bench/lib/whatsapp-child.js'), mode, ...extra], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`whatsapp-child ${mode} exited ${code}: ${err.trim()}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildLine);
    });
  });
}

async function loadPhase(): Promise<string> {
  const server = await startFakeWaServer();
  const rows: string[][] = [];
  try {
    for (const mode of ['bare', 'module', 'baileys', 'socket']) {
      const lines: ChildLine[] = [];
      for (let i = 0; i < runs; i++) {
        say(`load: ${mode} ${i + 1}/${runs}`);
        if (mode === 'socket') {
          const home = await mkdtemp(join(tmpdir(), 'sy-bench-wa-'));
          try {
            lines.push(await runChild(mode, [server.url, testCaPublicKey().toString('hex'), home]));
          } finally {
            await rm(home, { recursive: true, force: true });
          }
        } else lines.push(await runChild(mode));
      }
      const label = {
        bare: 'node alone',
        module: 'WhatsApp configured, not linked (registry entry + create())',
        baileys: "import('@whiskeysockets/baileys')",
        socket: 'adapter socket connected, QR offered',
      }[mode]!;
      rows.push([
        label,
        mib(median(lines.map((l) => l.rss))),
        mib(median(lines.map((l) => l.heapUsed))),
        mode === 'bare' ? '' : ms(median(lines.map((l) => l.ms)), 0),
        ms(median(lines.map((l) => l.cpuMs)), 0),
        lines.every((l) => l.baileysLoaded) ? 'yes' : lines.some((l) => l.baileysLoaded) ? 'sometimes' : 'no',
        lines.some((l) => l.sharpLoaded) ? 'yes' : 'no',
      ]);
    }
  } finally {
    await server.close();
  }
  return (
    `### What Baileys costs (fresh process each, median of ${runs}; load avg ${loadavg()[0].toFixed(2)})\n\n` +
    markdownTable(['process', 'RSS after GC', 'heap', 'time', 'process CPU', 'Baileys loaded', 'sharp loaded'], rows)
  );
}

async function gatewayPhase(): Promise<string> {
  const variants: { label: string; whatsapp?: unknown; link?: boolean }[] = [
    { label: 'no WhatsApp' },
    { label: 'channels.whatsapp, not linked', whatsapp: {} },
    { label: 'channels.whatsapp, linked (socket dialling out)', whatsapp: {}, link: true },
  ];
  const rows: string[][] = [];
  for (const v of variants) {
    const ready: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < runs; i++) {
      say(`gateway: ${v.label} ${i + 1}/${runs}`);
      const gw = await spawnGateway({
        command: process.execPath,
        args: [join(ROOT, 'dist/runtime/main.js')],
        cwd: ROOT,
        configText: (port) => JSON.stringify({ gateway: { port }, ...(v.whatsapp ? { channels: { whatsapp: v.whatsapp } } : {}) }),
        beforeStart: v.link ? (home) => writeLinkedCreds(join(home, 'credentials', 'whatsapp', 'default')) : undefined,
      });
      try {
        ready.push(gw.readyMs);
        await new Promise((r) => setTimeout(r, 1000));
        rss.push(await rssOfPid(gw.child.pid!));
      } finally {
        await gw.stop();
      }
    }
    rows.push([v.label, ms(median(ready), 0), `${ms(Math.min(...ready), 0)} – ${ms(Math.max(...ready), 0)}`, mib(median(rss))]);
  }
  return (
    `### Gateway with WhatsApp (spawn → GET /healthz 200, fresh SWITCHYARD_HOME, median of ${runs}; load avg ${loadavg()[0].toFixed(2)})\n\n` +
    markdownTable(['config', 'ready', 'range', 'RSS 1 s after ready'], rows)
  );
}

async function main(): Promise<void> {
  say('building dist/ with tsc (the measurements run compiled code in fresh processes)…');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
  const sections = [`WhatsApp benchmark — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · nproc ${cpus().length} · node ${process.version}`];
  if (only.includes('load')) sections.push(await loadPhase());
  if (only.includes('gateway')) sections.push(await gatewayPhase());
  process.stdout.write(`${sections.join('\n\n')}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    say(`bench/whatsapp failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
