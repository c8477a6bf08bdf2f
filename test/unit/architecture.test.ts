// Keeps the layering rules of docs/architecture.md true by reading import lines.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const PLATFORM_SDKS = ['grammy', 'discord.js', '@whiskeysockets/baileys', '@slack/bolt'];

function files(dir: string): string[] {
  const abs = join(ROOT, dir);
  const out: string[] = [];
  for (const name of readdirSync(abs)) {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) out.push(...files(relative(ROOT, p)));
    else if (name.endsWith('.ts')) out.push(relative(ROOT, p));
  }
  return out;
}

interface Imp {
  spec: string;
  typeOnly: boolean;
  target?: string; // repo-relative path for relative imports
}

/**
 * The imports of a source text: `import … from`, `export … from`, side-effect `import '…'`, `import(…)` and
 * `require(…)` (CommonJS packages are loaded with createRequire).
 */
function importsOf(src: string, file: string): Imp[] {
  const out: Imp[] = [];
  const re =
    /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:\brequire|\))\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of src.matchAll(re)) {
    const spec = m[3] ?? m[4] ?? m[5] ?? m[6];
    const typeOnly = Boolean(m[2]);
    const target = spec.startsWith('.') ? relative(ROOT, resolve(dirname(join(ROOT, file)), spec)) : undefined;
    out.push({ spec, typeOnly, target });
  }
  return out;
}

const imports = (file: string): Imp[] => importsOf(readFileSync(join(ROOT, file), 'utf8'), file);

function violations(dir: string, allowed: (file: string, imp: Imp) => boolean): string[] {
  const bad: string[] = [];
  for (const f of files(dir)) for (const imp of imports(f)) if (!allowed(f, imp)) bad.push(`${f} imports ${imp.spec}`);
  return bad;
}

const under = (p: string | undefined, dir: string) => p !== undefined && (p === dir || p.startsWith(dir + '/'));

describe('architecture', () => {
  it('parses imports (self-check)', () => {
    expect(imports('runtime/main.ts').some((i) => i.spec === '../storage/paths.js')).toBe(true);
    const sample = "import './polyfill.js';\nimport type { A } from '../types/a.js';\nexport * from './b.js';\nconst c = await import('../../bots/x.js');\n";
    expect(importsOf(sample, 'runtime/gateway/s.ts')).toEqual([
      { spec: './polyfill.js', typeOnly: false, target: 'runtime/gateway/polyfill.js' },
      { spec: '../types/a.js', typeOnly: true, target: 'runtime/types/a.js' },
      { spec: './b.js', typeOnly: false, target: 'runtime/gateway/b.js' },
      { spec: '../../bots/x.js', typeOnly: false, target: 'bots/x.js' },
    ]);
  });

  it('runtime/types imports nothing else of runtime (and packages only for their types)', () => {
    const bad = violations('runtime/types', (_f, imp) => (imp.target ? under(imp.target, 'runtime/types') : imp.typeOnly));
    expect(bad).toEqual([]);
  });

  it('parses require() of CommonJS packages (self-check)', () => {
    const required = importsOf("const { Api } = createRequire(import.meta.url)('grammy') as X;\nconst p = require('pino');", 'runtime/x.ts');
    expect(required.map((i) => i.spec)).toEqual(['grammy', 'pino']);
  });

  it('bots/ import only runtime/types and their own adapter folder; never another adapter', () => {
    const bad = violations('bots', (f, imp) => {
      if (f === 'bots/registry.ts') return true; // checked below
      if (!imp.target) return true; // packages: each adapter its own SDK
      const own = f.split('/').slice(0, 2).join('/');
      return under(imp.target, own) || under(imp.target, 'runtime/types');
    });
    expect(bad).toEqual([]);
  });

  it('bots/registry.ts is the list of adapters: it imports each bots/<platform>/module.ts, and nothing else does', () => {
    const isModule = (t: string | undefined) => t !== undefined && /^bots\/[^/]+\/module\.ts$/.test(t.replace(/\.js$/, '.ts'));
    const registry = imports('bots/registry.ts');
    expect(registry.filter((i) => isModule(i.target)).length).toBeGreaterThanOrEqual(2);
    expect(registry.filter((i) => !isModule(i.target) && !under(i.target, 'runtime/types')).map((i) => i.spec)).toEqual([]);
    const others = ['bots', 'runtime', 'admin', 'storage'].flatMap((d) => violations(d, (f, imp) => f === 'bots/registry.ts' || !isModule(imp.target)));
    expect(others).toEqual([]);
  });

  it('the composition root reaches bots/ only through the registry', () => {
    const fromBots = imports('runtime/main.ts').filter((i) => under(i.target, 'bots'));
    expect(fromBots.map((i) => i.target)).toEqual(['bots/registry.js']);
  });

  it('one outbound path: only runtime/gateway/delivery.ts calls Channel.send', () => {
    // A call that hands send() an Outbound literal, or send() on something named channel.
    const sendCall = /\.send\(\s*\{\s*to\s*:|\b[cC]hannel\??\.send\(/;
    const callers = ['runtime', 'admin', 'bots', 'storage'].flatMap((d) => files(d)).filter((f) => sendCall.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(callers).toEqual(['runtime/gateway/delivery.ts']);
  });

  it('storage/ imports only runtime/types and itself', () => {
    const bad = violations('storage', (_f, imp) => !imp.target || under(imp.target, 'storage') || under(imp.target, 'runtime/types'));
    expect(bad).toEqual([]);
  });

  it('admin/ imports runtime types (type-only beyond runtime/types) and itself', () => {
    const bad = violations('admin', (_f, imp) => {
      if (!imp.target) return !PLATFORM_SDKS.includes(imp.spec);
      if (under(imp.target, 'admin') || under(imp.target, 'runtime/types')) return true;
      return under(imp.target, 'runtime') && imp.typeOnly;
    });
    expect(bad).toEqual([]);
  });

  it('runtime/ never imports bots/, admin/, storage/ or a platform SDK (main.ts excepted; the CLI may find the state directory)', () => {
    const bad = violations('runtime', (f, imp) => {
      if (f === 'runtime/main.ts') return true;
      // The CLI is a second entry point: it locates the gateway's state directory like the gateway does, nothing more.
      if (under(f, 'runtime/cli') && imp.target === 'storage/paths.js') return true;
      // Its command table is its composition root: the only CLI file that reaches the adapters, through the registry.
      if (f === 'runtime/cli/commands.ts' && imp.target === 'bots/registry.js') return true;
      if (!imp.target) return !PLATFORM_SDKS.some((s) => imp.spec === s || imp.spec.startsWith(s + '/'));
      return under(imp.target, 'runtime');
    });
    expect(bad).toEqual([]);
  });

  it('tests are where docs/architecture.md ("Tests") puts them: whole-gateway tests in test/e2e/, the rest in test/unit/', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'test/place-tests.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr.trim().split('\n').filter(Boolean)).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('errors are logged as errors: `err` carries the error object (stack and cause), never its text', () => {
    // `{ err: String(err) }`, `{ err: errText(err) }`, `{ err: e.message }`, `{ err: f.detail }` … lose the stack.
    const asText = /[{,]\s*err: (?!(?:err|e|error|unknown)\b)[^,}\n]+/g;
    const found = ['runtime', 'admin', 'bots', 'storage']
      .flatMap((d) => files(d))
      .flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(asText)].map((m) => `${f}: ${m[0]}`));
    expect(found).toEqual([]);
    expect('log.warn("x", { err: String(err) })'.match(asText)).not.toBeNull(); // the pattern finds what it is for
  });
});
