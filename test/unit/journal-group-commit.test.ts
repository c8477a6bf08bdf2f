// The inbound journal's group commit: appends made while a write is in flight share one write + fdatasync, yet
// every append resolves only after its own line is on disk, lines keep call order, and reads see earlier appends.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../runtime/types/storage.js';
import { createInboundJournal } from '../../storage/journal.js';
import { statePaths } from '../../storage/paths.js';
import { acceptedEntry as accepted } from '../fakes/journal-entries.js';
import { useTempHome } from '../fakes/temp-home.js';

const tmp = useTempHome('sy-journal-gc-');
const { logs, log } = tmp;

const done = (id: string, ts: number): JournalEntry => ({ type: 'done', ids: [id], ts });

async function fileLines(): Promise<JournalEntry[]> {
  const text = await readFile(statePaths(tmp.home).journal, 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as JournalEntry);
}

describe('inbound journal group commit', () => {
  it('writes many concurrent appends whole and in call order, each resolved only once it is in the file', async () => {
    const j = createInboundJournal(tmp.home, log);
    const ids = Array.from({ length: 200 }, (_, i) => `m${i}`);
    const settled: string[] = [];
    const appends = ids.map((id) =>
      j.append(accepted(id)).then(async () => {
        // When an append resolves, its line is already in the file.
        const onDisk = (await readFile(statePaths(tmp.home).journal, 'utf8')).includes(`"id":"${id}"`);
        settled.push(onDisk ? id : `missing:${id}`);
      }),
    );
    await Promise.all(appends);
    expect(settled.filter((s) => s.startsWith('missing:'))).toEqual([]);
    expect((await fileLines()).map((e) => (e.type === 'accepted' ? e.id : e.type))).toEqual(ids);
    expect(logs).toEqual([]);
  });

  it('keeps order across batches: an append made while a batch is being written goes into the next one', async () => {
    const j = createInboundJournal(tmp.home, log);
    const first = j.append(accepted('a'));
    const second = j.append(accepted('b')); // same batch as 'a'
    await Promise.resolve();
    const third = j.append(done('a', 2));
    await Promise.all([first, second, third]);
    await j.append(done('b', 3));
    expect((await fileLines()).map((e) => e.type)).toEqual(['accepted', 'accepted', 'done', 'done']);
    expect(await j.pending()).toEqual([]);
  });

  it('pending() and compact() see every append made before them, and none made after', async () => {
    const j = createInboundJournal(tmp.home, log);
    void j.append(accepted('a'));
    void j.append(accepted('b'));
    const pending = j.pending();
    const late = j.append(done('a', 2)); // called after pending(): must not be in its answer
    expect((await pending).map((e) => (e.type === 'accepted' ? e.id : e.type))).toEqual(['a', 'b']);
    await late;
    void j.append(done('b', 3));
    const compacted = j.compact();
    const afterCompact = j.append(accepted('c'));
    await Promise.all([compacted, afterCompact]);
    expect((await j.pending()).map((e) => (e.type === 'accepted' ? e.id : e.type))).toEqual(['c']);
    expect(await fileLines()).toHaveLength(1);
  });

  it('a failed write rejects every append of its batch, and the journal keeps working after it', async () => {
    const j = createInboundJournal(join(tmp.home, 'not-a-dir-file'), log);
    // Make the journal directory path a file, so creating the journal fails.
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(join(tmp.home, 'not-a-dir-file'), { recursive: true });
    await writeFile(join(tmp.home, 'not-a-dir-file', 'journal'), 'a file where a directory should be');
    const results = await Promise.allSettled([j.append(accepted('x')), j.append(accepted('y'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await rm(join(tmp.home, 'not-a-dir-file', 'journal'));
    await j.append(accepted('z'));
    expect((await j.pending()).map((e) => (e.type === 'accepted' ? e.id : e.type))).toEqual(['z']);
  });
});
