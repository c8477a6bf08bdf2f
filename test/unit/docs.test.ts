// The repository explains itself: its documents link only to files a person cloning it has, nothing cites an
// issue number (the tracker is not part of the repository), and package.json says what the product does today.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNEL_MODULES } from '../../bots/registry.js';
import { CHANNEL_IDS } from '../../runtime/types/channel.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DIRS = ['bots', 'runtime', 'storage', 'admin', 'test', 'bench', 'docs', '.ci'];

function files(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).flatMap((name) => {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) return name === 'fixtures' ? [] : files(relative(ROOT, p));
    return /\.(ts|md|json|sh)$|^run$/.test(name) ? [relative(ROOT, p)] : [];
  });
}

const docs = ['README.md', 'bench/README.md', ...files('docs')];

describe('the repository explains itself', () => {
  it('every relative link in the documents points at a file inside the repository', () => {
    const bad: string[] = [];
    for (const doc of docs) {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      for (const m of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = m[1];
        if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto
        const abs = resolve(dirname(join(ROOT, doc)), target);
        if (!abs.startsWith(ROOT + '/') || !existsSync(abs)) bad.push(`${doc} → ${target}`);
      }
      if (text.includes('../shared')) bad.push(`${doc} mentions ../shared`);
    }
    expect(bad).toEqual([]);
  });

  it('no code, comment or document cites an issue number', () => {
    const cite = /\b[Ii]ssues? #?\d+\b|\(#\d+\)/;
    const found = [...docs, 'package.json', ...DIRS.flatMap(files)].filter((f) => cite.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(found).toEqual([]);
  });

  it("package.json's description names the platforms this build has adapters for, and no other", () => {
    const { description } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { description: string };
    const names: Record<string, RegExp> = { telegram: /telegram/i, discord: /discord/i, slack: /slack/i, whatsapp: /whatsapp/i, webchat: /web chat/i };
    const supported = CHANNEL_MODULES.map((m) => m.id);
    for (const id of CHANNEL_IDS) expect(names[id].test(description), `${id} in "${description}"`).toBe(supported.includes(id));
  });
});
