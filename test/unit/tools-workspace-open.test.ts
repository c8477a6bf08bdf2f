// The file tools against a racing attacker: another process (standing in for the agent's own sandboxed exec,
// which can write the workspace) swaps a workspace directory for a symbolic link to the state directory in a
// tight loop while read / write / edit / list work on paths inside it. Whatever the timing, nothing outside the
// workspace may be read, listed, changed or created.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadWorkspaceFiles } from '../../runtime/agent/workspace.js';
import { editTool } from '../../runtime/tools/edit.js';
import { listTool } from '../../runtime/tools/list.js';
import { readTool } from '../../runtime/tools/read.js';
import type { Tool, ToolContext, ToolOutput } from '../../runtime/tools/types.js';
import { WorkspacePathError } from '../../runtime/tools/workspace-path.js';
import { writeTool } from '../../runtime/tools/write.js';

const SECRET = 'gateway-token-SECRET-0123456789';
const RACE_MS = 5_000;
const WORKERS = 8;

let root: string;
let ws: string;
let state: string;
let swapper: ChildProcess | undefined;

function ctx(): ToolContext {
  return {
    runId: 'run-race',
    sessionKey: 'agent:main:main',
    agentId: 'main',
    workspace: ws,
    origin: { channel: 'telegram', accountId: 'default', chat: { kind: 'direct', id: '1' }, senderId: '1' },
    isOwnerMain: false,
    signal: new AbortController().signal,
  };
}

async function call(tool: Tool, args: Record<string, unknown>): Promise<ToolOutput> {
  try {
    return await tool.run(args, ctx());
  } catch (err) {
    // Refusals and file errors caused by the race are fine; only what got through counts.
    if (err instanceof WorkspacePathError) return { content: err.message, isError: true };
    return { content: (err as Error).message, isError: true };
  }
}

// Swaps <ws>/d (a real directory) for a symbolic link to the state directory and back, as fast as it can. A
// write that lands while d is missing creates a fresh d; the loop removes that and carries on.
const SWAPPER = `
const fs = require('node:fs');
const [ws, state] = process.argv.slice(1);
process.chdir(ws);
let swaps = 0;
setInterval(() => {}, 1 << 30);
for (;;) {
  try { fs.renameSync('d', 'd.real'); } catch {}
  try { fs.symlinkSync(state, 'd'); swaps++; } catch {}
  try { fs.unlinkSync('d'); } catch { try { fs.rmSync('d', { recursive: true, force: true }); } catch {} }
  try { fs.renameSync('d.real', 'd'); } catch {}
  if (swaps % 1000 === 0) { try { fs.writeFileSync('swaps', String(swaps)); } catch {} }
}
`;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'sy-fs-race-'));
  ws = path.join(root, 'workspace');
  state = path.join(root, 'state');
  await mkdir(path.join(ws, 'd'), { recursive: true });
  await mkdir(state);
  await writeFile(path.join(ws, 'd', 'notes.txt'), 'INSIDE notes');
  await writeFile(path.join(state, 'switchyard.json'), `{ token: "${SECRET}" }`);
  await writeFile(path.join(state, 'notes.txt'), `outside notes ${SECRET}`);
});

afterEach(async () => {
  if (swapper && swapper.exitCode === null && swapper.signalCode === null) {
    const gone = new Promise((r) => swapper!.once('exit', r));
    swapper.kill('SIGKILL');
    await gone;
  }
  swapper = undefined;
  await rm(root, { recursive: true, force: true });
});

describe('file tools under a symlink-swapping race', () => {
  it('never read, list, change or create anything outside the workspace', async () => {
    swapper = spawn(process.execPath, ['-e', SWAPPER, ws, state], { stdio: 'ignore' });
    const tools = { read: readTool(), write: writeTool(), edit: editTool(), list: listTool() };
    const leaks: string[] = [];
    const ok = { read: 0, write: 0, edit: 0, list: 0 };
    let n = 0;
    const deadline = Date.now() + RACE_MS;
    const worker = async (w: number) => {
      while (Date.now() < deadline) {
        const i = n++;
        switch (i % 5) {
          case 0:
          case 1: {
            const out = await call(tools.read, { path: i % 2 ? 'd/notes.txt' : 'd/switchyard.json' });
            if (out.content.includes(SECRET)) leaks.push(`read: ${out.content.slice(0, 80)}`);
            else if (!out.isError) ok.read++;
            break;
          }
          case 2: {
            const out = await call(tools.write, { path: `d/w-${w}-${i}.txt`, content: 'written' });
            if (!out.isError) ok.write++;
            break;
          }
          case 3: {
            const out = await call(tools.edit, { path: 'd/switchyard.json', oldText: 'token', newText: 'PWNED' });
            if (!out.isError) leaks.push('edit changed switchyard.json');
            const inside = await call(tools.edit, { path: 'd/notes.txt', oldText: 'notes', newText: 'notes' });
            if (inside.content.includes(SECRET)) leaks.push(`edit: ${inside.content.slice(0, 80)}`);
            else if (!inside.isError) ok.edit++;
            break;
          }
          default: {
            const out = await call(tools.list, { path: 'd' });
            if (out.content.includes('switchyard.json')) leaks.push(`list: ${out.content.slice(0, 80)}`);
            else if (!out.isError) ok.list++;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    swapper.kill('SIGKILL');

    const swaps = Number(await readFile(path.join(ws, 'swaps'), 'utf8').catch(() => '0'));
    expect(swaps, 'the swapper ran').toBeGreaterThan(1000);
    // Both sides of the race really happened: tools got through while the directory was real.
    expect(ok.read, 'reads inside succeeded').toBeGreaterThan(0);
    expect(ok.write, 'writes inside succeeded').toBeGreaterThan(0);
    expect(leaks).toEqual([]);
    expect((await readdir(state)).sort()).toEqual(['notes.txt', 'switchyard.json']);
    expect(await readFile(path.join(state, 'switchyard.json'), 'utf8')).toBe(`{ token: "${SECRET}" }`);
    expect(await readFile(path.join(state, 'notes.txt'), 'utf8')).toBe(`outside notes ${SECRET}`);
  }, 30_000);
});

describe('workspace files read into the system prompt', () => {
  it('are not read through a symbolic link to outside the workspace', async () => {
    // The sandboxed exec can plant this link; the gateway reads AGENTS.md on the host at the next run.
    await symlink(path.join(state, 'switchyard.json'), path.join(ws, 'AGENTS.md'));
    const files = await loadWorkspaceFiles(ws);
    const agents = files.find((f) => f.name === 'AGENTS.md')!;
    expect(agents.content).not.toContain(SECRET);
    expect(agents.content).toMatch(/symbolic link/);
  });
});
