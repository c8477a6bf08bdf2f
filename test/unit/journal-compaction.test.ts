// A long-running gateway's journal stays small: finished work is compacted away while it runs, not only at the
// next start (which would otherwise have to read every message the gateway ever handled, replies included).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../runtime/types/storage.js';
import { createInboundJournal } from '../../storage/journal.js';
import { statePaths } from '../../storage/paths.js';
import { acceptedEntry as accepted } from '../fakes/journal-entries.js';
import { useTempHome } from '../fakes/temp-home.js';

const tmp = useTempHome('sy-journal-compact-');
const { logs, log } = tmp;

const reply = (id: string): JournalEntry => ({ type: 'reply', ids: [id], ts: 2, runId: `r-${id}`, chunks: ['a long answer '.repeat(50)] });
const done = (id: string): JournalEntry => ({ type: 'done', ids: [id], ts: 3 });

async function lines(): Promise<JournalEntry[]> {
  const text = await readFile(statePaths(tmp.home).journal, 'utf8');
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalEntry);
}

describe('journal compaction while running', () => {
  it('keeps only unfinished work once enough entries were appended, without losing a concurrent append', async () => {
    const journal = createInboundJournal(tmp.home, log, { compactEvery: 50 });
    // 100 messages handled to the end, one left open midway, all appended as fast as they come (no awaits between).
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      const id = `m${i}`;
      writes.push(journal.append(accepted(id)), journal.append(reply(id)));
      if (i !== 42) writes.push(journal.append(done(id)));
    }
    await Promise.all(writes);
    await journal.pending(); // waits for anything queued on the file
    const now = await lines();
    expect(now.length).toBeLessThan(100);
    const pending = await journal.pending();
    expect(pending.map((e) => e.type)).toEqual(['accepted', 'reply']);
    expect(pending.every((e) => (e.type === 'accepted' ? e.id : e.ids[0]) === 'm42')).toBe(true);
    expect(logs).toEqual([]);
  });

  it('a restart still sees exactly the unfinished work', async () => {
    const journal = createInboundJournal(tmp.home, log, { compactEvery: 10 });
    for (let i = 0; i < 30; i++) {
      await journal.append(accepted(`m${i}`));
      if (i % 7 !== 3) await journal.append(done(`m${i}`));
    }
    const again = createInboundJournal(tmp.home, log);
    const ids = (await again.pending()).map((e) => (e.type === 'accepted' ? e.id : ''));
    expect(ids).toEqual(['m3', 'm10', 'm17', 'm24']);
  });

  it('keeps the newest entries, so a restart still knows which messages were finished just before it', async () => {
    const journal = createInboundJournal(tmp.home, log, { compactEvery: 40 });
    for (let i = 0; i < 20; i++) {
      await journal.append(accepted(`m${i}`));
      await journal.append(done(`m${i}`));
    }
    await journal.pending();
    expect((await lines()).length).toBeLessThan(40);
    const { finished } = await createInboundJournal(tmp.home, log).compact();
    expect(finished).toContain('m19');
    expect(finished).toContain('m16');
    expect(finished).not.toContain('m0');
  });
});

describe('journal temp files', () => {
  it('the start-up compaction removes a temp file a kill during an earlier compaction left behind', async () => {
    const first = createInboundJournal(tmp.home, log);
    await first.append(accepted('m1'));
    const file = statePaths(tmp.home).journal;
    // What a SIGKILL between writing the compacted copy and renaming it leaves: a half-written temp file.
    const stale = `${file}.tmp-424242-deadbeef`;
    const other = `${file}.tmp-1-00000000`;
    await writeFile(stale, '{"type":"accepted","id":"m1"');
    await writeFile(other, '');
    const next = createInboundJournal(tmp.home, log); // the next start
    await next.compact();
    const left = (await readdir(dirname(file))).sort();
    expect(left).toEqual(['inbound.jsonl']);
    expect((await next.pending()).map((e) => (e.type === 'accepted' ? e.id : ''))).toEqual(['m1']);
    expect(logs.filter((l) => l.includes('left by a write that was interrupted'))).toHaveLength(2);
  });
});
