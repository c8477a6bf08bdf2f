// Workspace files are cached between runs (a stat per file instead of a read): an edit must still show up on
// the very next load, and a deleted or re-created file must be seen as such.
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadWorkspaceFiles, type WorkspaceIo } from '../../runtime/agent/workspace.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sy-ws-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The real file system, counting the files it reads; `later` ms added to the wall time the loads happen at. */
const reads: string[] = [];
const io = (later = 0): WorkspaceIo => ({
  read: (p, fh) => {
    reads.push(p);
    return fh.readFile('utf8');
  },
  now: () => Date.now() + later,
});
const agents = async (later = 0) => (await loadWorkspaceFiles(dir, io(later))).find((f) => f.name === 'AGENTS.md')!;
const readsOfAgents = () => reads.filter((p) => p.endsWith('AGENTS.md')).length;

describe('workspace file cache', () => {
  beforeEach(() => void (reads.length = 0));

  it('an unchanged file is served from the cache: a stat, no read', async () => {
    // Loads a minute after the write: the file's timestamps are then trustworthy (see the racy test below).
    await writeFile(join(dir, 'AGENTS.md'), 'steady');
    expect((await agents(60_000)).content).toBe('steady');
    for (let i = 0; i < 3; i++) expect((await agents(60_000)).content).toBe('steady');
    // The one existing workspace file was read once; the missing ones never.
    expect(reads).toEqual([join(dir, 'AGENTS.md')]);
    // A change of size is seen at once, whatever the time.
    await writeFile(join(dir, 'AGENTS.md'), 'steady, then edited');
    expect((await agents(60_000)).content).toBe('steady, then edited');
    expect(readsOfAgents()).toBe(2);
  });

  it('picks up an edit on the next load, even one of the same length', async () => {
    await writeFile(join(dir, 'AGENTS.md'), 'version one');
    expect((await agents()).content).toBe('version one');
    expect((await agents()).content).toBe('version one');
    await writeFile(join(dir, 'AGENTS.md'), 'version two'); // same length as before
    expect((await agents()).content).toBe('version two');
    await writeFile(join(dir, 'AGENTS.md'), 'a much longer third version');
    expect((await agents()).content).toBe('a much longer third version');
  });

  it('sees a file deleted and created again', async () => {
    await writeFile(join(dir, 'AGENTS.md'), 'here');
    expect(await agents()).toMatchObject({ missing: false, content: 'here' });
    await unlink(join(dir, 'AGENTS.md'));
    expect(await agents()).toMatchObject({ missing: true, content: '' });
    await writeFile(join(dir, 'AGENTS.md'), 'back');
    expect(await agents()).toMatchObject({ missing: false, content: 'back' });
  });
});

describe('workspace file cache: racy timestamps', () => {
  it('does not trust the cache for a file modified around the time it was read (same size, same tick)', async () => {
    // Many same-size rewrites in a tight loop land within one timestamp tick; each must still be seen.
    await writeFile(join(dir, 'AGENTS.md'), 'v000');
    for (let i = 1; i <= 50; i++) {
      const text = `v${String(i).padStart(3, '0')}`;
      await writeFile(join(dir, 'AGENTS.md'), text);
      expect((await agents()).content).toBe(text);
    }
  });
});
