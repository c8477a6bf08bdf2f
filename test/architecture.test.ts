// Keeps DESIGN.md's dependency rules true by reading import lines.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
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

function imports(file: string): Imp[] {
  return importsIn(readFileSync(join(ROOT, file), 'utf8'), file);
}

function importsIn(src: string, file: string): Imp[] {
  const out: Imp[] = [];
  // Static imports, dynamic import() and require() (CommonJS packages are loaded with createRequire).
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:\brequire|\))\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of src.matchAll(re)) {
    const spec = m[3] ?? m[4] ?? m[5];
    const typeOnly = Boolean(m[2]);
    const target = spec.startsWith('.') ? relative(ROOT, resolve(dirname(join(ROOT, file)), spec)) : undefined;
    out.push({ spec, typeOnly, target });
  }
  return out;
}

function violations(dir: string, allowed: (file: string, imp: Imp) => boolean): string[] {
  const bad: string[] = [];
  for (const f of files(dir)) for (const imp of imports(f)) if (!allowed(f, imp)) bad.push(`${f} imports ${imp.spec}`);
  return bad;
}

const under = (p: string | undefined, dir: string) => p !== undefined && (p === dir || p.startsWith(dir + '/'));

describe('architecture', () => {
  it('parses imports (self-check)', () => {
    expect(imports('runtime/main.ts').some((i) => i.spec === '../storage/paths.js')).toBe(true);
    const required = importsIn("const { Api } = createRequire(import.meta.url)('grammy') as X;\nconst p = require('pino');", 'runtime/x.ts');
    expect(required.map((i) => i.spec)).toEqual(['grammy', 'pino']);
  });

  it('bots/ import only runtime/types and their own adapter folder; never another adapter', () => {
    const bad = violations('bots', (f, imp) => {
      if (!imp.target) return true; // packages: each adapter its own SDK
      const own = f.split('/').slice(0, 2).join('/');
      return under(imp.target, own) || under(imp.target, 'runtime/types');
    });
    expect(bad).toEqual([]);
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

  it('runtime/ never imports bots/, admin/, storage/ or a platform SDK (main.ts excepted)', () => {
    const bad = violations('runtime', (f, imp) => {
      if (f === 'runtime/main.ts') return true;
      if (!imp.target) return !PLATFORM_SDKS.some((s) => imp.spec === s || imp.spec.startsWith(s + '/'));
      return under(imp.target, 'runtime');
    });
    expect(bad).toEqual([]);
  });
});
