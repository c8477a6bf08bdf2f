// Steady state: does the gateway's memory stay flat over many messages and sessions? 10,000 Telegram DMs from 200
// users (200 sessions), in waves of one message per user, through the whole gateway in its own process
// (journal, lanes, sessions, transcripts, logger at info to /dev/null) with a zero-latency model.
//
//   npx tsx bench/steady-state.ts                       # 10,000 messages, 200 sessions
//   npx tsx bench/steady-state.ts --messages=20000 --chats=400
//
// At every 1,000 messages: RSS as it is (no forced GC, after 1 s of quiet), then the live V8 heap after a forced
// GC (the leak signal: what is still referenced). Target: RSS at the end within 10 % of RSS after 1,000 messages.
import { execFileSync } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { markdownTable } from './lib/stats.js';
import { startTelegramLoad } from './lib/telegram-load.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '10000' },
    chats: { type: 'string', default: '200' },
    'node-arg': { type: 'string', multiple: true, default: [] },
    'no-build': { type: 'boolean', default: false },
  },
});
const chats = Math.max(1, Math.min(5000, Number(values.chats) || 200));
const waves = Math.max(5, Math.ceil((Number(values.messages) || 10_000) / chats));
const say = (s: string) => process.stderr.write(`${s}\n`);
const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;

/** Bytes of every file under dir. */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}

async function main(): Promise<void> {
  if (!values['no-build']) {
    say('building dist/ with tsc…');
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
  }
  const load = await startTelegramLoad({ root: ROOT, chats, execArgv: values['node-arg'] });
  const rows: string[][] = [];
  let base: { rss: number; heap: number } | undefined;
  let last: { rss: number; heap: number } | undefined;
  const t0 = performance.now();
  try {
    const checkpointEvery = Math.max(1, Math.round(1000 / chats));
    for (let w = 1; w <= waves; w++) {
      await load.wave(`wave ${w}`);
      if (w % checkpointEvery !== 0 && w !== waves) continue;
      await new Promise((r) => setTimeout(r, 1000));
      const raw = await load.mem(false);
      const gc = await load.mem(true);
      const point = { rss: raw.rss, heap: gc.heapUsed };
      base ??= point;
      last = point;
      const vs = `${(((raw.rss - base.rss) / base.rss) * 100).toFixed(1)} %`;
      rows.push([String(load.sent), mb(raw.rss), vs, mb(gc.rss), mb(gc.heapUsed), mb(await dirBytes(load.home))]);
      say(`${load.sent} messages (${((performance.now() - t0) / 1000).toFixed(0)} s): RSS ${mb(raw.rss)} (${vs}), after GC ${mb(gc.rss)}, heap ${mb(gc.heapUsed)}`);
    }
  } finally {
    await load.stop();
  }
  const growth = base && last ? (last.rss - base.rss) / base.rss : NaN;
  const heapGrowth = base && last ? last.heap - base.heap : NaN;
  process.stdout.write(
    `\n### Steady state — ${waves * chats} Telegram DMs from ${chats} users (${chats} sessions), zero-latency model\n\n` +
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · nproc ${cpus().length} · node ${process.version} · load avg ${loadavg()[0].toFixed(2)}` +
      `${values['node-arg']?.length ? ` · node ${values['node-arg'].join(' ')}` : ''}\n\n` +
      markdownTable(['messages', 'RSS (no GC)', 'vs 1,000', 'RSS after GC', 'V8 heap after GC', 'state dir'], rows) +
      `\n\nRSS growth from 1,000 to ${waves * chats} messages: ${(growth * 100).toFixed(1)} % (target within 10 %: ${Math.abs(growth) <= 0.1 ? 'yes' : 'NO'}); ` +
      `live heap ${heapGrowth >= 0 ? '+' : ''}${mb(heapGrowth)}.\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`steady-state: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
