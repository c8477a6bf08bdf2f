// Workspace file tools: confinement (.., absolute paths, symlinks in and out) and read/write/edit/list.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { editTool } from '../../runtime/tools/edit.js';
import { listTool } from '../../runtime/tools/list.js';
import { readTool } from '../../runtime/tools/read.js';
import type { Tool, ToolContext, ToolOutput } from '../../runtime/tools/types.js';
import { resolveInWorkspace, WorkspacePathError } from '../../runtime/tools/workspace-path.js';
import { writeTool } from '../../runtime/tools/write.js';

let root: string;
let ws: string;
let outside: string;

function ctx(): ToolContext {
  return {
    runId: 'run-1',
    sessionKey: 'agent:main:main',
    agentId: 'main',
    workspace: ws,
    origin: { channel: 'telegram', accountId: 'default', chat: { kind: 'direct', id: '1' }, senderId: '1' },
    isOwnerMain: false,
    signal: new AbortController().signal,
  };
}

/** Runs a tool; a thrown WorkspacePathError becomes an error output, as the runner does it. */
async function call(tool: Tool, args: Record<string, unknown>): Promise<ToolOutput> {
  try {
    return await tool.run(args, ctx());
  } catch (err) {
    if (err instanceof WorkspacePathError) return { content: err.message, isError: true };
    throw err;
  }
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'sy-tools-fs-'));
  ws = path.join(root, 'workspace');
  outside = path.join(root, 'outside');
  await mkdir(ws);
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'TOP-SECRET');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('path confinement', () => {
  it('refuses .. that leaves the workspace, for every tool', async () => {
    for (const [tool, args] of [
      [readTool(), { path: '../outside/secret.txt' }],
      [writeTool(), { path: '../outside/new.txt', content: 'x' }],
      [editTool(), { path: '../outside/secret.txt', oldText: 'TOP', newText: 'LOW' }],
      [listTool(), { path: '..' }],
    ] as const) {
      const out = await call(tool, args);
      expect(out.isError, tool.spec.name).toBe(true);
      expect(out.content).toMatch(/outside the workspace/);
    }
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('TOP-SECRET');
  });

  it('refuses an absolute path outside and accepts one inside', async () => {
    const out = await call(readTool(), { path: path.join(outside, 'secret.txt') });
    expect(out).toMatchObject({ isError: true });
    expect(out.content).toMatch(/outside the workspace/);
    expect((await call(readTool(), { path: '/etc/passwd' })).content).toMatch(/outside the workspace/);

    await writeFile(path.join(ws, 'in.txt'), 'inside');
    expect(await call(readTool(), { path: path.join(ws, 'in.txt') })).toEqual({ content: 'inside' });
  });

  it('refuses symlinks that point outside (file, directory, and dangling)', async () => {
    await symlink(path.join(outside, 'secret.txt'), path.join(ws, 'link.txt'));
    await symlink(outside, path.join(ws, 'linkdir'));
    await symlink(path.join(outside, 'not-yet.txt'), path.join(ws, 'dangling.txt'));

    const read = await call(readTool(), { path: 'link.txt' });
    expect(read.isError).toBe(true);
    expect(read.content).toMatch(/symbolic link/);
    expect(read.content).not.toContain('TOP-SECRET');

    const write = await call(writeTool(), { path: 'link.txt', content: 'pwned' });
    expect(write.isError).toBe(true);
    const writeInDir = await call(writeTool(), { path: 'linkdir/new.txt', content: 'pwned' });
    expect(writeInDir.isError).toBe(true);
    expect(writeInDir.content).toMatch(/symbolic link/);
    const writeDangling = await call(writeTool(), { path: 'dangling.txt', content: 'pwned' });
    expect(writeDangling.isError).toBe(true);
    const edit = await call(editTool(), { path: 'linkdir/secret.txt', oldText: 'TOP', newText: 'LOW' });
    expect(edit.isError).toBe(true);
    const list = await call(listTool(), { path: 'linkdir' });
    expect(list.isError).toBe(true);

    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('TOP-SECRET');
    await expect(readFile(path.join(outside, 'new.txt'))).rejects.toThrow(/ENOENT/);
    await expect(readFile(path.join(outside, 'not-yet.txt'))).rejects.toThrow(/ENOENT/);
  });

  it('allows symlinks that stay inside the workspace', async () => {
    await mkdir(path.join(ws, 'real'));
    await writeFile(path.join(ws, 'real', 'a.txt'), 'A');
    await symlink(path.join(ws, 'real'), path.join(ws, 'alias'));
    expect(await call(readTool(), { path: 'alias/a.txt' })).toEqual({ content: 'A' });
    const r = await resolveInWorkspace(ws, 'alias/new/deeper.txt', 'parent');
    expect(r.display).toBe(path.join('real', 'new', 'deeper.txt'));
    expect(r.exists).toBe(false);
  });

  it('works when the workspace path itself goes through a symlink', async () => {
    const alias = path.join(root, 'ws-alias');
    await symlink(ws, alias);
    await writeFile(path.join(ws, 'f.txt'), 'via alias');
    const out = await readTool().run({ path: 'f.txt' }, { ...ctx(), workspace: alias });
    expect(out.content).toBe('via alias');
  });
});

describe('read / write / edit / list', () => {
  it('writes (creating parents), reads back, edits a unique match, lists', async () => {
    const w = await call(writeTool(), { path: 'notes/today.md', content: 'line one\nline two\nline three\n' });
    expect(w).toEqual({ content: expect.stringMatching(/wrote 29 bytes to notes\/today\.md/) });
    expect(await readFile(path.join(ws, 'notes/today.md'), 'utf8')).toBe('line one\nline two\nline three\n');

    expect((await call(readTool(), { path: 'notes/today.md' })).content).toBe('line one\nline two\nline three');
    expect((await call(readTool(), { path: 'notes/today.md', offset: 2, limit: 1 })).content).toBe('line two\n[more lines follow; continue with offset=3]');

    const e = await call(editTool(), { path: 'notes/today.md', oldText: 'line two', newText: 'LINE 2' });
    expect(e.isError).toBeUndefined();
    expect(e.content).toMatch(/replaced 1 occurrence at line 2/);
    expect(await readFile(path.join(ws, 'notes/today.md'), 'utf8')).toBe('line one\nLINE 2\nline three\n');

    const l = await call(listTool(), {});
    expect(l.content).toBe('workspace/:\nnotes/');
    const deep = await call(listTool(), { depth: 2 });
    expect(deep.content).toBe('workspace/:\nnotes/\n  today.md (27 bytes)');
  });

  it('edit requires exactly one match and says what to do', async () => {
    await writeFile(path.join(ws, 'dup.txt'), 'x = 1\nx = 1\n');
    const many = await call(editTool(), { path: 'dup.txt', oldText: 'x = 1', newText: 'x = 2' });
    expect(many.isError).toBe(true);
    expect(many.content).toMatch(/occurs 2 times.*more surrounding text/);
    const none = await call(editTool(), { path: 'dup.txt', oldText: 'y = 1', newText: 'x = 2' });
    expect(none.isError).toBe(true);
    expect(none.content).toMatch(/not found/);
    expect(await readFile(path.join(ws, 'dup.txt'), 'utf8')).toBe('x = 1\nx = 1\n');
  });

  it('caps a large read and says where to continue', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i + 1} ${'.'.repeat(20)}`);
    await writeFile(path.join(ws, 'big.txt'), lines.join('\n'));
    const out = await call(readTool(), { path: 'big.txt' });
    expect(out.content.length).toBeLessThan(51_000);
    const m = /\[output cut at 50000 characters; continue with offset=(\d+)\]$/.exec(out.content);
    expect(m).not.toBeNull();
    const next = await call(readTool(), { path: 'big.txt', offset: Number(m![1]), limit: 1 });
    expect(next.content.split('\n')[0]).toBe(lines[Number(m![1]) - 1]);
  });

  it('refuses binary files, directories for read, and bad arguments', async () => {
    await writeFile(path.join(ws, 'bin.dat'), Buffer.from([1, 2, 0, 3]));
    expect((await call(readTool(), { path: 'bin.dat' })).content).toMatch(/binary/);
    expect((await call(readTool(), { path: '.' })).content).toMatch(/is a directory/);
    await expect(readTool().run({}, ctx())).rejects.toThrow(/argument "path" is required/);
    expect((await call(readTool(), { path: 'missing.txt' })).content).toMatch(/no such file/);
  });

  it('write refuses a FIFO planted in the workspace instead of blocking on it', async () => {
    execFileSync('mkfifo', [path.join(ws, 'pipe')]);
    expect(await call(writeTool(), { path: 'pipe', content: 'x' })).toMatchObject({ isError: true, content: expect.stringMatching(/not a regular file/) });
    expect(await call(readTool(), { path: 'pipe' })).toMatchObject({ isError: true, content: expect.stringMatching(/not a regular file/) });
  });

  it('list shows links without following them and does not expand .git', async () => {
    await mkdir(path.join(ws, '.git', 'objects'), { recursive: true });
    await symlink(outside, path.join(ws, 'out'));
    const out = await call(listTool(), { depth: 3 });
    expect(out.content).toBe(`workspace/:\n.git/ (not expanded)\nout -> ${outside}`);
  });
});
