// switchyard archive: old transcripts that are not a session's current one are packed into archive/*.tar.gz and
// removed; current and recent ones stay; --dry-run changes nothing.
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { archiveCommand } from '../../runtime/cli/archive.js';
import type { CliIo } from '../../runtime/cli/types.js';
import { useTempHome } from '../fakes/temp-home.js';

const tmp = useTempHome('sy-archive-');

function io(): CliIo & { out: string; err: string } {
  const r = {
    out: '',
    err: '',
    env: { SWITCHYARD_HOME: tmp.home },
    isTTY: false,
    stdout: { write: (s: string) => (r.out += s) },
    stderr: { write: (s: string) => (r.err += s) },
  };
  return r;
}

async function plant(): Promise<string> {
  const dir = join(tmp.home, 'agents/main/sessions');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'sessions.json'), JSON.stringify({ version: 1, sessions: { 'agent:main:telegram:direct:1': { sessionId: 'cur', createdAt: 1 } } }));
  const old = (Date.now() - 100 * 86_400_000) / 1000;
  for (const id of ['cur', 'old1', 'old2', 'recent']) {
    await writeFile(join(dir, `${id}.jsonl`), `{"type":"header","id":"${id}"}\n`);
    if (id !== 'recent') await utimes(join(dir, `${id}.jsonl`), old, old);
  }
  return dir;
}

describe('switchyard archive', () => {
  it('packs old non-current transcripts and removes them; keeps the current and recent ones', async () => {
    const dir = await plant();
    const o = io();
    expect(await archiveCommand.run(['--older-than', '30d'], o)).toBe(0);
    expect(o.out).toMatch(/Archived 2 transcripts/);
    expect((await readdir(dir)).sort()).toEqual(['cur.jsonl', 'recent.jsonl', 'sessions.json']);
    const [archive] = await readdir(join(tmp.home, 'archive'));
    const file = join(tmp.home, 'archive', archive);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const tar = await import('tar');
    const contents = new Map<string, string>();
    await tar.t({
      file,
      onReadEntry: (e) => {
        let s = '';
        e.on('data', (c: Buffer) => (s += c.toString()));
        e.on('end', () => contents.set(e.path, s));
      },
    });
    expect([...contents.keys()].sort()).toEqual(['agents/main/sessions/old1.jsonl', 'agents/main/sessions/old2.jsonl']);
    expect(contents.get('agents/main/sessions/old1.jsonl')).toBe('{"type":"header","id":"old1"}\n');
  });

  it('--dry-run lists and changes nothing; an unreadable sessions.json keeps every transcript of that agent', async () => {
    const dir = await plant();
    const o = io();
    expect(await archiveCommand.run(['--dry-run', '--older-than', '30d'], o)).toBe(0);
    expect(o.out).toContain('agents/main/sessions/old1.jsonl');
    expect((await readdir(dir)).length).toBe(5);
    await writeFile(join(dir, 'sessions.json'), '{ broken');
    const b = io();
    expect(await archiveCommand.run(['--older-than', '30d'], b)).toBe(0);
    expect(b.err).toContain('cannot be read');
    expect((await readdir(dir)).length).toBe(5);
    expect(await readFile(join(dir, 'old1.jsonl'), 'utf8')).toContain('old1');
    expect(await archiveCommand.run(['--older-than', 'soon'], io())).toBe(2);
  });
});
