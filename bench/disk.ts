// Disk writes per message: what an SD card sees. Telegram DMs from `chats` users through a gateway in its own
// process (zero-latency model), in waves of one message per user; after a warm-up, the measured waves are counted:
//   - bytes the gateway handed to write calls (/proc/<pid>/io wchar) and bytes that reached the block layer
//     (write_bytes: page-cache writeback of what this process dirtied; it lags, so it is read after a sync);
//   - fsync + fdatasync calls, and write calls, counted by attaching strace to the gateway (when strace exists);
//   - growth of the state directory, by file kind.
//
//   npx tsx bench/disk.ts                  # 200 users, 1 warm-up wave + 10 measured waves (2,000 messages)
//   npx tsx bench/disk.ts --chats=50 --waves=20
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { markdownTable } from './lib/stats.js';
import { processIo, startTelegramLoad } from './lib/telegram-load.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    chats: { type: 'string', default: '200' },
    waves: { type: 'string', default: '10' },
    'no-build': { type: 'boolean', default: false },
  },
});
const chats = Math.max(1, Math.min(5000, Number(values.chats) || 200));
const waves = Math.max(1, Math.min(1000, Number(values.waves) || 10));
const say = (s: string) => process.stderr.write(`${s}\n`);

/** Sizes of the files under dir, grouped by what they are. */
async function sizesByKind(home: string, dir = home, out = new Map<string, number>()): Promise<Map<string, number>> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await sizesByKind(home, p, out);
    else if (e.isFile()) {
      const rel = relative(home, p);
      const kind =
        rel.endsWith('.jsonl') && rel.includes('/sessions/')
          ? 'transcripts (*.jsonl)'
          : rel
              .replace(/^agents\/[^/]+\//, 'agents/<id>/')
              .replace(/^audit\/.*/, 'audit/*.jsonl')
              .replace(/^workspace[^/]*\/.*/, 'workspace files');
      out.set(kind, (out.get(kind) ?? 0) + (await stat(p)).size);
    }
  }
  return out;
}

function hasStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Attaches strace -c to pid (all threads); stop() detaches and returns calls per syscall. */
function attachStrace(pid: number): { stop(): Promise<Map<string, number>> } {
  const proc: ChildProcess = spawn('strace', ['-f', '-c', '-e', 'trace=fsync,fdatasync,write,writev,pwrite64,rename', '-p', String(pid)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (d: string) => (err += d));
  return {
    async stop() {
      proc.kill('SIGINT');
      await new Promise<void>((r) => (proc.exitCode !== null ? r() : proc.once('exit', () => r())));
      const calls = new Map<string, number>();
      // Summary rows: % time, seconds, usecs/call, calls, [errors], syscall
      for (const line of err.split('\n')) {
        const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
        if (m) calls.set(m[2], Number(m[1]));
      }
      return calls;
    },
  };
}

async function main(): Promise<void> {
  if (!values['no-build']) {
    say('building dist/ with tsc…');
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
  }
  const load = await startTelegramLoad({ root: ROOT, chats });
  const strace = hasStrace();
  if (!strace) say('strace not found: fsync counts are left out (apt-get install strace)');
  let result: string;
  try {
    say(`warm-up: one message from each of ${chats} users (sessions and transcripts created)…`);
    await load.wave('warm-up');
    await new Promise((r) => setTimeout(r, 1500)); // coalesced JSON writes of the warm-up land before counting
    execFileSync('sync');
    const sizes0 = await sizesByKind(load.home);
    const io0 = await processIo(load.pid);
    const tracer = strace ? attachStrace(load.pid) : undefined;
    if (tracer) await new Promise((r) => setTimeout(r, 500)); // attached before the first counted message
    const t0 = performance.now();
    for (let w = 1; w <= waves; w++) await load.wave(`wave ${w}`);
    await new Promise((r) => setTimeout(r, 1500));
    const calls = (await tracer?.stop()) ?? new Map<string, number>();
    execFileSync('sync');
    const io1 = await processIo(load.pid);
    const sizes1 = await sizesByKind(load.home);
    const n = waves * chats;
    const per = (x: number) => (x / n).toFixed(2);
    const kb = (x: number) => `${(x / 1024).toFixed(2)} KB`;
    const rows: string[][] = [
      ['bytes handed to write() (wchar)', kb((io1.wchar - io0.wchar) / n)],
      ['bytes that reached the disk (write_bytes)', kb((io1.writeBytes - io0.writeBytes) / n)],
      ['state dir growth', kb(([...sizes1.values()].reduce((a, b) => a + b, 0) - [...sizes0.values()].reduce((a, b) => a + b, 0)) / n)],
    ];
    if (strace) {
      rows.push(['fsync + fdatasync calls', per((calls.get('fsync') ?? 0) + (calls.get('fdatasync') ?? 0))]);
      rows.push(['write calls (write, writev, pwrite64)', per((calls.get('write') ?? 0) + (calls.get('writev') ?? 0) + (calls.get('pwrite64') ?? 0))]);
      rows.push(['renames (atomic JSON rewrites)', per(calls.get('rename') ?? 0)]);
    }
    const kinds = [...new Set([...sizes0.keys(), ...sizes1.keys()])].sort();
    const growth = kinds.map((k) => [k, kb(sizes1.get(k) ?? 0), kb(((sizes1.get(k) ?? 0) - (sizes0.get(k) ?? 0)) / n)]);
    result =
      `\n### Disk writes per message — ${n} Telegram DMs from ${chats} users after one warm-up wave (zero-latency model)\n\n` +
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · nproc ${cpus().length} · node ${process.version} · load avg ${loadavg()[0].toFixed(2)} · ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s for the measured waves${strace ? ' (under strace)' : ''}\n\n` +
      markdownTable(['per message', 'value'], rows) +
      '\n\n' +
      markdownTable(['state dir part', 'size at end', 'growth per message'], growth) +
      '\n';
  } finally {
    await load.stop();
  }
  process.stdout.write(result);
}

main().catch((err: unknown) => {
  process.stderr.write(`disk: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
