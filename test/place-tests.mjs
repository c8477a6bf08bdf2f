#!/usr/bin/env node
// Puts test files left in test/ itself where docs/architecture.md ("Tests") says they belong, and rewrites
// their relative paths: a test that starts a whole gateway (in-process or as a child process) goes to
// test/e2e/, every other test to test/unit/, and a helper module (a non-test .ts file) to test/fakes/.
// Files that still import a moved file are rewritten too. Running it again changes nothing.
//
//   node test/place-tests.mjs            move and rewrite (git mv for tracked files)
//   node test/place-tests.mjs --dry-run  print what it would do
//   node test/place-tests.mjs --check    list tests that are not where the rule puts them (exit 1 if any)
//
// No dependencies: it runs before `npm ci` if need be.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(TEST, '..');
const DRY = process.argv.includes('--dry-run');

/** Files that stay in test/ itself. */
const KEEP = new Set(['place-tests.mjs', 'tsconfig.json', 'setup.ts']);

/**
 * Names given when the tests were first sorted (old name in test/ → new place). A test that comes back under its
 * old name (another branch changed it and git did not follow the rename) is not moved: it is reported, for its
 * changes to be carried into the renamed file by hand.
 */
const RENAMED = {
  'admin.test.ts': 'e2e/admin-commands.test.ts',
  'e2e-admin.test.ts': 'e2e/admin.test.ts',
  'failover.test.ts': 'unit/failover-caller.test.ts',
  'failover-cooldowns.test.ts': 'unit/failover-caller-cooldowns.test.ts',
  'failover-transient.test.ts': 'unit/failover-caller-transient.test.ts',
  'history-repeat.test.ts': 'unit/agent-history.test.ts',
  'provider-errors.test.ts': 'unit/providers-errors.test.ts',
  'provider-registry.test.ts': 'unit/providers-registry.test.ts',
  'telegram-decode.test.ts': 'unit/telegram-inbound.test.ts',
  'tools-fs.test.ts': 'unit/tools-workspace-path.test.ts',
  'tools-fs-race.test.ts': 'unit/tools-workspace-open.test.ts',
  'tools-read-bounded.test.ts': 'unit/tools-line-window.test.ts',
  'whatsapp-decode.test.ts': 'unit/whatsapp-inbound.test.ts',
  'discord-decode.test.ts': 'unit/discord-inbound.test.ts',
  'slack-decode.test.ts': 'unit/slack-inbound.test.ts',
  'workspace.test.ts': 'unit/agent-workspace.test.ts',
  'workspace-cache.test.ts': 'unit/agent-workspace-cache.test.ts',
};

/**
 * End to end: the test starts a whole gateway — through a harness or fixture of test/fakes/ (startHarness,
 * useGateway, start<Platform>Gateway, startGatewayChild) or by spawning runtime/main.ts (spawn, fork, exec…
 * with runtime/main.ts among the next few lines) — or its name says so (e2e-…).
 */
export function isEndToEnd(name, text) {
  if (name.startsWith('e2e-')) return true;
  if (/\b(?:startHarness|useGateway|start\w*Gateway\w*)\s*\(/.test(text)) return true;
  return /\b(?:spawn|fork|exec|execFile)(?:Sync)?\([\s\S]{0,300}?runtime\/main\.ts/.test(text);
}

/** Where a file in test/ itself belongs (relative to test/), or null when it stays. */
export function placeOf(name, text) {
  if (KEEP.has(name) || !name.endsWith('.ts')) return null;
  if (!name.endsWith('.test.ts')) return `fakes/${name}`;
  if (RENAMED[name]) return RENAMED[name];
  return isEndToEnd(name, text) ? `e2e/${name.replace(/^e2e-/, '')}` : `unit/${name}`;
}

/**
 * The relative paths in a test source: import/export … from, side-effect imports, import(), vi.mock(),
 * new URL('…', import.meta.url), and `import.meta.dirname, '..'`-style joins to the repository root.
 */
const SPEC = /(\bfrom\s+|\bimport\s*\(?\s*|\bvi\.mock\(\s*)(['"])(\.{1,2}\/[^'"]*)\2|(\bnew URL\(\s*)(['"`])(\.{1,2}\/[^'"`$]*)/g;
const UP_FROM_DIR = /(import\.meta\.dirname|fileURLToPath\(import\.meta\.url\)\)),(\s*)(['"])((?:\.\.\/?)+)\3/g;

/** Rewrites the relative paths of `text` (a file that was at `fromFile` and is now at `toFile`). */
export function rewrite(text, fromFile, toFile, moved) {
  const target = (spec) => {
    const abs = resolve(dirname(fromFile), spec);
    const ts = abs.replace(/\.js$/, '.ts');
    const now = moved.get(ts) ?? moved.get(abs);
    if (!now) return abs;
    return spec.endsWith('.js') ? now.replace(/\.ts$/, '.js') : now;
  };
  const rel = (abs, keepSlash) => {
    let r = relative(dirname(toFile), abs).split(sep).join('/');
    if (!r.startsWith('.')) r = `./${r}`;
    return keepSlash && !r.endsWith('/') ? `${r}/` : r;
  };
  let out = text.replace(SPEC, (_whole, pre, q, spec, urlPre, urlQ, urlSpec) => {
    if (pre !== undefined) return `${pre}${q}${rel(target(spec), spec.endsWith('/'))}${q}`;
    return `${urlPre}${urlQ}${rel(target(urlSpec), urlSpec.endsWith('/'))}`;
  });
  // A path climbed from this file's own folder (e.g. to the repository root) climbs from the new folder.
  out = out.replace(UP_FROM_DIR, (_whole, anchor, space, q, ups) => {
    const abs = resolve(dirname(fromFile), ups);
    return `${anchor},${space}${q}${relative(dirname(toFile), abs).split(sep).join('/') || '.'}${q}`;
  });
  return out;
}

function tracked(file) {
  return spawnSync('git', ['ls-files', '--error-unmatch', file], { cwd: ROOT, stdio: 'ignore' }).status === 0;
}

function move(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  if (tracked(from)) {
    const r = spawnSync('git', ['mv', from, to], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git mv ${from} ${to} failed: ${r.stderr}`);
  } else renameSync(from, to);
}

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'fixtures' || name === 'node_modules' ? [] : sources(p);
    return /\.(ts|mjs)$/.test(name) ? [p] : [];
  });
}

/** Tests that are not where the rule puts them (for --check). */
export function misplaced() {
  const out = [];
  for (const name of readdirSync(TEST)) {
    const p = join(TEST, name);
    if (statSync(p).isFile() && name.endsWith('.test.ts'))
      out.push(`test/${name}: not in test/unit/ or test/e2e/ (vitest runs only those); run node test/place-tests.mjs`);
  }
  for (const [dir, e2e] of [
    ['unit', false],
    ['e2e', true],
  ]) {
    if (!existsSync(join(TEST, dir))) continue;
    for (const file of sources(join(TEST, dir)).filter((f) => f.endsWith('.test.ts'))) {
      if (isEndToEnd(basename(file), readFileSync(file, 'utf8')) === e2e) continue;
      const where = e2e ? 'starts no whole gateway: it belongs in test/unit/' : 'starts a whole gateway: it belongs in test/e2e/';
      out.push(`test/${relative(TEST, file).split(sep).join('/')} ${where}`);
    }
  }
  return out;
}

function main() {
  if (process.argv.includes('--check')) {
    const bad = misplaced();
    for (const b of bad) console.error(b);
    if (bad.length > 0) process.exitCode = 1;
    return;
  }
  const moved = new Map(); // absolute old path → absolute new path
  const problems = [];
  for (const name of readdirSync(TEST).sort()) {
    const from = join(TEST, name);
    if (statSync(from).isDirectory()) continue;
    const place = placeOf(name, readFileSync(from, 'utf8'));
    if (!place) continue;
    const to = join(TEST, place);
    if (existsSync(to)) {
      problems.push(`test/${name}: test/${place} exists already; carry its changes over by hand, then remove test/${name}`);
      continue;
    }
    moved.set(from, to);
  }
  for (const [from, to] of moved) {
    const text = readFileSync(from, 'utf8');
    const next = rewrite(text, from, to, moved);
    console.log(`${DRY ? 'would move' : 'moved'} test/${relative(TEST, from)} → test/${relative(TEST, to)}`);
    if (DRY) continue;
    move(from, to);
    if (next !== text) writeFileSync(to, next);
  }
  // Files that stayed put but import something that moved; documents, scripts and tests that name a moved test.
  // `test/<name>.test.ts` where no such file is left: the name of where it went (this run or an earlier one).
  const placed = (name) => {
    const now = [...moved].find(([from]) => basename(from) === name)?.[1];
    if (now) return relative(TEST, now).split(sep).join('/');
    return [RENAMED[name], `unit/${name}`, `e2e/${name.replace(/^e2e-/, '')}`].find((c) => c && existsSync(join(TEST, c)));
  };
  const mentions = (text) =>
    text.replace(/\btest\/([\w.-]+\.test\.ts)\b/g, (whole, name) =>
      existsSync(join(TEST, name)) && !moved.has(join(TEST, name)) ? whole : placed(name) ? `test/${placed(name)}` : whole,
    );
  const docs = ['README.md', 'package.json', 'bench/README.md', ...(existsSync(join(ROOT, 'docs')) ? readdirSync(join(ROOT, 'docs')).map((n) => `docs/${n}`) : [])]
    .map((d) => join(ROOT, d))
    .filter((f) => existsSync(f) && statSync(f).isFile());
  for (const dir of ['bots', 'runtime', 'storage', 'admin', 'bench']) if (existsSync(join(ROOT, dir))) docs.push(...sources(join(ROOT, dir)));
  // This script and its own test name test files in examples; they are left as written.
  const tests = DRY ? [] : sources(TEST).filter((f) => !basename(f).startsWith('place-tests.'));
  for (const file of [...tests, ...docs]) {
    const text = readFileSync(file, 'utf8');
    const keepImports = !file.startsWith(TEST + sep) || [...moved.values()].includes(file);
    const next = mentions(keepImports ? text : rewrite(text, file, file, moved));
    if (next === text) continue;
    console.log(`${DRY ? 'would update' : 'updated'} paths in ${relative(ROOT, file)}`);
    if (!DRY) writeFileSync(file, next);
  }
  for (const p of problems) console.error(p);
  if (moved.size === 0 && problems.length === 0) console.log('test/ holds no test files to place.');
  if (problems.length > 0) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
