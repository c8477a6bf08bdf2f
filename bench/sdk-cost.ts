// What each library costs to load on top of the gateway's own modules: load time and the RSS / V8 heap it adds.
//
//   npx tsx bench/sdk-cost.ts                 # every package below, 3 fresh processes each
//   npx tsx bench/sdk-cost.ts --runs=5 --only=grammy,discord.js
//
// Each measurement is a fresh `node` process that first imports dist/runtime/main.js (the gateway's modules,
// as at start, without starting it), settles (forced GC), then loads one package the way the product does
// (`require` for CommonJS packages, `import()` for ESM-only ones, both where both work) and settles again.
// Reported: load time, RSS added (after GC, so garbage from loading is not counted) and V8 heap added.
// Platform SDKs load only when their platform is configured, model SDKs on the first call of their provider.
import { execFileSync, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { markdownTable, median } from './lib/stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Pkg {
  name: string;
  role: string;
  /** How the product loads it (`first-fetch`: the first request through Node's built-in fetch). */
  how: ('require' | 'import' | 'first-fetch')[];
}

const PACKAGES: Pkg[] = [
  { name: 'grammy', role: 'Telegram (platform SDK)', how: ['require', 'import'] },
  { name: 'discord.js', role: 'Discord (platform SDK)', how: ['require', 'import'] },
  { name: '@slack/bolt', role: 'Slack (platform SDK)', how: ['require', 'import'] },
  { name: '@whiskeysockets/baileys', role: 'WhatsApp (platform SDK)', how: ['import'] },
  { name: '@anthropic-ai/sdk', role: 'Anthropic (model SDK)', how: ['import'] },
  { name: 'openai', role: 'OpenAI & compatible (model SDK)', how: ['import'] },
  // Both model SDKs call through globalThis.fetch (Node's bundled undici), which loads on its first request.
  { name: 'fetch', role: 'Node fetch (undici), used by the model SDKs', how: ['first-fetch'] },
];

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
  },
});
const runs = Math.max(1, Math.min(20, Number(values.runs) || 3));
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((n) => !PACKAGES.some((p) => p.name === n)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown package(s) ${unknown.join(', ')}: pick from ${PACKAGES.map((p) => p.name).join(', ')}`);
  process.exit(2);
}
const say = (s: string) => process.stderr.write(`${s}\n`);

// Runs in the child: core first, settle, then the package; prints one JSON line.
const CHILD = `
const { createRequire } = await import('node:module');
const settle = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); } };
await import(process.env.CORE);
let url;
if (process.env.HOW === 'first-fetch') {
  const { createServer } = await import('node:http');
  const srv = createServer((req, res) => res.end('{}'));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  srv.unref();
  url = 'http://127.0.0.1:' + srv.address().port + '/';
}
await settle();
const before = process.memoryUsage();
const t0 = performance.now();
if (process.env.HOW === 'require') createRequire(process.env.CORE)(process.env.PKG);
else if (process.env.HOW === 'first-fetch') await (await fetch(url)).text();
else await import(process.env.PKG);
const loadMs = performance.now() - t0;
await settle();
const after = process.memoryUsage();
console.log(JSON.stringify({ loadMs, rss: after.rss - before.rss, heap: after.heapUsed - before.heapUsed }));
`;

interface Sample {
  loadMs: number;
  rss: number;
  heap: number;
}

function measure(pkg: string, how: Pkg['how'][number]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, CORE: join(ROOT, 'dist/runtime/main.js'), PKG: pkg, HOW: how },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${how} ${pkg} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' ')}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Sample);
      } catch {
        reject(new Error(`${how} ${pkg}: unexpected output ${JSON.stringify(out.slice(0, 200))}`));
      }
    });
  });
}

async function main(): Promise<void> {
  if (!values['no-build']) {
    say('building dist/ with tsc…');
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
  }
  const rows: string[][] = [];
  for (const p of PACKAGES.filter((x) => !only || only.includes(x.name))) {
    for (const how of p.how) {
      const samples: Sample[] = [];
      for (let i = 0; i < runs; i++) samples.push(await measure(p.name, how));
      const m = (f: (s: Sample) => number) => median(samples.map(f));
      say(`${p.name} (${how}): ${samples.map((s) => `${s.loadMs.toFixed(0)} ms / ${(s.rss / 1048576).toFixed(1)} MB`).join(', ')}`);
      rows.push([
        p.name,
        p.role,
        how,
        `${m((s) => s.loadMs).toFixed(0)} ms`,
        `${(m((s) => s.rss) / 1048576).toFixed(1)} MB`,
        `${(m((s) => s.heap) / 1048576).toFixed(1)} MB`,
      ]);
    }
  }
  process.stdout.write(
    `\n### Library load cost on top of the gateway's modules\n\n` +
      `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · nproc ${cpus().length} · node ${process.version} · load avg ${loadavg()[0].toFixed(2)} · median of ${runs} fresh processes\n\n` +
      markdownTable(['package', 'what for', 'loaded with', 'load time', 'RSS added (after GC)', 'V8 heap added'], rows) +
      '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`sdk-cost: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
