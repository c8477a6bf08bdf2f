// Transcript reads after the first parse only what was appended since; a file changed behind the store's back is
// read again in full.
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTranscriptStore } from '../../storage/transcripts.js';
import { statePaths } from '../../storage/paths.js';
import type { TranscriptEntry } from '../../runtime/types/index.js';

const msg = (text: string): TranscriptEntry => ({ type: 'message', ts: 1, message: { role: 'user', text } });
let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'sy-tcache-'));
});
afterEach(() => rm(home, { recursive: true, force: true }));

describe('transcript reads', () => {
  it('see appends made after a read, by this store and by another', async () => {
    const a = createTranscriptStore(home, () => {});
    const b = createTranscriptStore(home, () => {});
    await a.create({ sessionId: 's1', sessionKey: 'k', agentId: 'main', createdAt: 0 });
    await a.append('main', 's1', msg('one'));
    expect(await a.read('main', 's1')).toEqual([msg('one')]);
    await a.append('main', 's1', msg('two'));
    await b.append('main', 's1', msg('three'));
    expect(await a.read('main', 's1')).toEqual([msg('one'), msg('two'), msg('three')]);
    // What a caller does with the list it got does not change the next read.
    (await a.read('main', 's1')).push(msg('bogus'));
    expect(await a.read('main', 's1')).toHaveLength(3);
  });

  it('a last line without its newline is returned, and read again once completed', async () => {
    const a = createTranscriptStore(home, () => {});
    await a.create({ sessionId: 's1', sessionKey: 'k', agentId: 'main', createdAt: 0 });
    const file = statePaths(home).transcript('main', 's1');
    await appendFile(file, JSON.stringify(msg('no newline')));
    expect(await a.read('main', 's1')).toEqual([msg('no newline')]);
    await a.append('main', 's1', msg('after'));
    expect(await a.read('main', 's1')).toEqual([msg('no newline'), msg('after')]);
  });

  it('a file rewritten shorter (by hand) is read anew', async () => {
    const a = createTranscriptStore(home, () => {});
    await a.create({ sessionId: 's1', sessionKey: 'k', agentId: 'main', createdAt: 0 });
    await a.append('main', 's1', msg('one'));
    await a.append('main', 's1', msg('two'));
    expect(await a.read('main', 's1')).toHaveLength(2);
    const file = statePaths(home).transcript('main', 's1');
    await writeFile(
      file,
      `${JSON.stringify({ type: 'header', version: 1, sessionId: 's1', sessionKey: 'k', agentId: 'main', createdAt: 0 })}\n${JSON.stringify(msg('x'))}\n`,
    );
    expect(await a.read('main', 's1')).toEqual([msg('x')]);
  });
});
