import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSystemPrompt, ensureWorkspace, loadWorkspaceFiles, PER_FILE_LIMIT, TOTAL_LIMIT, truncateMiddle, WORKSPACE_FILES } from '../../runtime/agent/workspace.js';
import { historyFromTranscript } from '../../runtime/agent/history.js';
import type { TranscriptEntry } from '../../runtime/types/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sy-ws-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('workspace → system prompt', () => {
  it('creates the five files with short defaults, never overwriting the user’s', async () => {
    await writeFile(join(dir, 'SOUL.md'), 'my own soul');
    await ensureWorkspace(dir);
    for (const f of WORKSPACE_FILES) expect((await readFile(join(dir, f), 'utf8')).length).toBeGreaterThan(0);
    expect(await readFile(join(dir, 'SOUL.md'), 'utf8')).toBe('my own soul');
  });

  it('cuts a long file at 20,000 characters keeping head and tail with a marker', async () => {
    await ensureWorkspace(dir);
    const long = 'HEAD' + 'x'.repeat(50_000) + 'TAIL';
    await writeFile(join(dir, 'AGENTS.md'), long);
    const files = await loadWorkspaceFiles(dir);
    const agents = files.find((f) => f.name === 'AGENTS.md')!;
    expect(agents).toMatchObject({ rawChars: long.length, truncated: true, missing: false });
    expect(agents.injectedChars).toBeLessThanOrEqual(PER_FILE_LIMIT);
    expect(agents.content.startsWith('HEAD')).toBe(true);
    expect(agents.content.endsWith('TAIL')).toBe(true);
    expect(agents.content).toMatch(/characters cut/);
  });

  it('caps all files at 150,000 characters in total', async () => {
    const big = await mkdtemp(join(tmpdir(), 'sy-ws-big-'));
    try {
      for (const f of WORKSPACE_FILES) await writeFile(join(big, f), 'y'.repeat(40_000));
      const files = await loadWorkspaceFiles(big);
      const total = files.reduce((n, f) => n + f.injectedChars, 0);
      expect(total).toBeLessThanOrEqual(TOTAL_LIMIT);
      expect(files.every((f) => f.injectedChars <= PER_FILE_LIMIT)).toBe(true);
    } finally {
      await rm(big, { recursive: true, force: true });
    }
  });

  it('reports a missing file and leaves it out of the prompt', async () => {
    await writeFile(join(dir, 'AGENTS.md'), 'only agents here');
    const files = await loadWorkspaceFiles(dir);
    expect(files.find((f) => f.name === 'TOOLS.md')).toMatchObject({ missing: true, injectedChars: 0 });
    const prompt = buildSystemPrompt({ agentId: 'main', files, now: 0 });
    expect(prompt.text).toContain('only agents here');
    expect(prompt.parts.map((p) => p.name)).toEqual(['base', 'time', 'AGENTS.md']);
    expect(prompt.text).toContain('NO_REPLY');
  });

  it('truncateMiddle leaves short text alone', () => {
    expect(truncateMiddle('abc', 10)).toEqual({ text: 'abc', truncated: false });
  });
});

describe('history from transcript', () => {
  const msg = (runId: string, role: 'user' | 'assistant', text: string): TranscriptEntry => ({ type: 'message', ts: 1, runId, message: { role, text } });
  const end = (runId: string, status: string): TranscriptEntry => ({ type: 'event', ts: 1, runId, name: 'run-end', data: { status } });

  it('replays ended runs, only user turns of aborted ones, nothing of unfinished ones; unknown entries skipped', () => {
    const entries: TranscriptEntry[] = [
      msg('r1', 'user', 'q1'),
      msg('r1', 'assistant', 'a1'),
      end('r1', 'ok'),
      msg('r2', 'user', 'q2'),
      { type: 'message', ts: 1, runId: 'r2', message: { role: 'assistant', text: '', toolCalls: [{ id: 'c', name: 'time', args: {} }] } },
      end('r2', 'aborted'),
      { type: 'future-thing', ts: 1, whatever: true },
      msg('r3', 'user', 'q3 (crashed)'),
      msg('r4', 'user', 'q3 (crashed)'),
      msg('r4', 'assistant', 'a3'),
      end('r4', 'ok'),
    ];
    expect(historyFromTranscript(entries)).toEqual([
      { role: 'user', text: 'q1' },
      { role: 'assistant', text: 'a1' },
      { role: 'user', text: 'q2' },
      { role: 'user', text: 'q3 (crashed)' },
      { role: 'assistant', text: 'a3' },
    ]);
  });

  it('starts from the latest compaction summary', () => {
    const entries: TranscriptEntry[] = [
      msg('r1', 'user', 'old'),
      end('r1', 'ok'),
      { type: 'compaction', ts: 2, summary: 'they talked about trains', replacedEntries: 2 },
      msg('r2', 'user', 'new'),
      end('r2', 'ok'),
    ];
    const h = historyFromTranscript(entries);
    expect(h[0]).toEqual({ role: 'user', text: 'Summary of the earlier conversation:\nthey talked about trains' });
    expect(h.slice(1)).toEqual([{ role: 'user', text: 'new' }]);
  });
});
