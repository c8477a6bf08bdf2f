// What a production install costs: `npm ci --omit=dev` of this checkout's package.json, package-lock.json and
// .npmrc into a temporary directory, then the size of node_modules, the largest packages, native modules
// (*.node files) and the packages that ask to run install scripts (and what those scripts are).
//
//   npx tsx bench/install-size.ts          # needs the npm registry (or a warm npm cache); about a minute
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownTable } from './lib/stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (s: string) => process.stderr.write(`${s}\n`);

/** Disk usage in KiB as `du -sk` counts it (allocated blocks). */
function duKb(path: string): number {
  return Number(execFileSync('du', ['-sk', path], { encoding: 'utf8' }).split('\t')[0]);
}

async function packageDirs(nm: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(nm, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    if (e.name.startsWith('@')) for (const s of await readdir(join(nm, e.name))) out.push(join(e.name, s));
    else out.push(e.name);
  }
  return out;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sy-install-'));
  try {
    for (const f of ['package.json', 'package-lock.json', '.npmrc']) await copyFile(join(ROOT, f), join(dir, f));
    say(`npm ci --omit=dev in ${dir}…`);
    const t0 = performance.now();
    execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
    const seconds = (performance.now() - t0) / 1000;
    const nm = join(dir, 'node_modules');
    const total = duKb(nm);
    const pkgs = await packageDirs(nm);
    const sizes = pkgs.map((p) => [p, duKb(join(nm, p))] as const).sort((a, b) => b[1] - a[1]);
    const native = execFileSync('find', [nm, '-name', '*.node', '-type', 'f'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    const scripts: string[][] = [];
    for (const p of pkgs) {
      const pj = JSON.parse(await readFile(join(nm, p, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
      for (const k of ['preinstall', 'install', 'postinstall']) if (pj.scripts?.[k]) scripts.push([p, k, pj.scripts[k]]);
    }
    const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
    process.stdout.write(
      `\n### npm ci --omit=dev\n\n${pkgs.length} top-level packages, node_modules ${mb(total)} (du), installed in ${seconds.toFixed(0)} s\n\n` +
        markdownTable(
          ['package', 'size'],
          sizes.slice(0, 15).map(([p, kb]) => [p, mb(kb)]),
        ) +
        `\n\nNative modules (*.node): ${native.length === 0 ? 'none' : native.map((f) => f.slice(nm.length + 1)).join(', ')}\n\n` +
        (scripts.length === 0
          ? 'Install scripts: none\n'
          : `Install scripts (npm asks before running them; none downloads anything):\n\n${markdownTable(['package', 'script', 'command'], scripts)}\n`),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`install-size: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
