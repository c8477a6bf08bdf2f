// Dependencies are used or gone: every package in package.json is imported somewhere (or, for tools, run by a
// script or a test). A platform SDK may wait in package.json only while its adapter is not registered yet; once
// bots/registry.ts lists the platform, its adapter must import it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNEL_MODULES } from '../../bots/registry.js';
import type { ChannelId } from '../../runtime/types/channel.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The SDK each platform's adapter is built on. */
const PLATFORM_SDKS: Partial<Record<ChannelId, string>> = {
  telegram: 'grammy',
  discord: 'discord.js',
  slack: '@slack/bolt',
  whatsapp: '@whiskeysockets/baileys',
};

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const p = join(ROOT, dir, name);
    if (statSync(p).isDirectory()) return sources(relative(ROOT, p));
    return name.endsWith('.ts') ? [relative(ROOT, p)] : [];
  });
}

/** Package names a source text uses: static and dynamic imports, `export … from`, and `--import <pkg>` flags. */
function usedPackages(text: string): Set<string> {
  const out = new Set<string>();
  const add = (spec: string) => {
    if (spec.startsWith('.') || spec.startsWith('/')) return;
    if (spec.startsWith('node:')) return void out.add('node:');
    const parts = spec.split('/');
    out.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  };
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/g)) add(m[1]);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) add(m[1]);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1]);
  for (const m of text.matchAll(/['"]--import['"],\s*['"]([^'"]+)['"]/g)) add(m[1]);
  // require() through createRequire (CommonJS packages): `createRequire(import.meta.url)('pkg')`, `require('pkg')`.
  for (const m of text.matchAll(/(?:\brequire|\))\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1]);
  return out;
}

/**
 * Packages another installed package names as a peer: .npmrc turns npm's automatic peer installs off (they brought
 * in sharp's native binaries), so a peer the gateway needs is declared in package.json and counts as used.
 */
function peersOfInstalled(): Set<string> {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }> }>;
  };
  const out = new Set<string>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '') continue;
    for (const peer of Object.keys(entry.peerDependencies ?? {})) if (!entry.peerDependenciesMeta?.[peer]?.optional) out.add(peer);
  }
  return out;
}

/** The packages of package.json nothing uses; `@types/x` counts as used when x is (`@types/node`: any node: import). */
function unusedDependencies(declared: string[], used: Set<string>, scripts: string[]): string[] {
  const run = scripts.join(' ');
  const peers = peersOfInstalled();
  const tools: Record<string, RegExp> = { typescript: /\btsc\b/, tsx: /\btsx\b/, vitest: /\bvitest\b/, '@biomejs/biome': /\bbiome\b/ };
  return declared.filter((dep) => {
    if (used.has(dep) || peers.has(dep)) return false;
    if (tools[dep]?.test(run)) return false;
    if (dep.startsWith('@types/')) {
      const of = dep.slice('@types/'.length);
      return !(of === 'node' ? used.has('node:') : used.has(of));
    }
    return true;
  });
}

describe('dependencies', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    scripts: Record<string, string>;
  };
  const files = [...['bots', 'runtime', 'storage', 'admin', 'test', 'bench'].flatMap(sources), 'vitest.config.ts'];
  const used = new Set(files.flatMap((f) => [...usedPackages(readFileSync(join(ROOT, f), 'utf8'))]));
  const registered = new Set(CHANNEL_MODULES.map((m) => m.id));
  // An SDK whose adapter is not in the registry yet (its platform's work adds both): allowed to wait, unused.
  const waiting = Object.entries(PLATFORM_SDKS).flatMap(([platform, sdk]) => (registered.has(platform as ChannelId) ? [] : [sdk]));

  it('every dependency in package.json is used (platform SDKs may wait for their adapter)', () => {
    const declared = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)];
    const unused = unusedDependencies(declared, used, Object.values(pkg.scripts)).filter((d) => !waiting.includes(d));
    expect(unused).toEqual([]);
  });

  it("a registered platform's SDK is imported by its own adapter", () => {
    for (const platform of registered) {
      const sdk = PLATFORM_SDKS[platform];
      if (!sdk) continue; // web chat: ws, through the gateway's HTTP server
      const own = sources(`bots/${platform}`).some((f) => usedPackages(readFileSync(join(ROOT, f), 'utf8')).has(sdk));
      expect(own, `${sdk} imported under bots/${platform}/`).toBe(true);
    }
  });

  it('finds what it is for', () => {
    const seen = usedPackages(`import a from 'left-pad';\nimport type { X } from '@scope/pkg/sub';\nconst m = await import('late');\nimport 'side';`);
    expect([...seen].sort()).toEqual(['@scope/pkg', 'late', 'left-pad', 'side']);
    expect(unusedDependencies(['left-pad', 'nock', '@types/ws', 'typescript'], new Set(['left-pad']), ['tsc -p .'])).toEqual(['nock', '@types/ws']);
  });
});
