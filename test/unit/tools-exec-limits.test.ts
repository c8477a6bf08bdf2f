// exec's process and memory limits (tools.exec.maxProcesses / maxMemoryMb): a bounded fork bomb and an
// allocation loop die alone, in the sandbox and on the host, whether the gateway runs as root (the watchdog
// bounds the process tree) or as a user (the kernel's RLIMIT_NPROC inside the sandbox's user namespace).
import { spawn as nodeSpawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { prlimitPrefix, sampleTree } from '../../runtime/tools/exec-limits.js';
import { runOnHost, runSandboxed, type SandboxDeps, type SandboxRequest } from '../../runtime/tools/sandbox.js';

const hasBwrap = existsSync('/usr/bin/bwrap') || existsSync('/bin/bwrap');
const isRoot = process.getuid?.() === 0;
const hasSetpriv = existsSync('/usr/bin/setpriv');
const USER = 1000;

let root: string;
let ws: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'sy-exec-limits-'));
  await mkdir(path.join(root, 'ws'));
  ws = await realpath(path.join(root, 'ws'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

// No cgroups here: these tests are about the layers that work without systemd.
const deps: SandboxDeps = { systemdScope: false };
const LIMITS = { maxProcesses: 32, maxMemoryMb: 64 };

function req(command: string, over: Partial<SandboxRequest> = {}): SandboxRequest {
  return { command, cwd: ws, network: false, timeoutMs: 60_000, maxOutputBytes: 100_000, limits: LIMITS, ...over };
}

async function processesWith(marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const [cmd, stat] = await Promise.all([readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')]);
    if (cmd.includes(marker) && !/^\d+ \(.*\) Z/.test(stat)) found.push(pid);
  }
  return found;
}

/**
 * A fork bomb that stops by itself: 300 long sleeps in the background; after two seconds it kills what it
 * could start. Unbounded it would keep 300 processes for that time.
 */
function forkBomb(marker: string): string {
  return `i=0; while [ $i -lt 300 ]; do sleep ${marker} & i=$((i+1)); done; echo "running=$(jobs -p | wc -l)"; sleep 2; kill $(jobs -p) 2>/dev/null; echo bomb-ended`;
}
const ALLOC_LOOP = 'a=xxxxxxxxxxxxxxxx; while :; do a="$a$a"; done';
/** Four processes of ~25 MB each: under the per-process limit, over the 64 MB total. */
const HOGS = `for i in 1 2 3 4; do (a=$(head -c 25000000 /dev/zero | tr '\\0' x); echo "hog $i ready"; sleep 30) & done; wait; echo hogs-ended`;

const marker = () => `${(Date.now() % 100000) + 700000 + Math.floor(Math.random() * 1000)}`;

describe.skipIf(!hasBwrap)('exec limits in the sandbox', () => {
  it('a fork bomb is cut off at maxProcesses and leaves nothing running', async () => {
    const m = marker();
    const res = await runSandboxed(req(forkBomb(m)), deps);
    expect(res.timedOut).toBe(false);
    if (isRoot) {
      // The kernel does not bound a root user's processes: the watchdog kills the whole sandbox.
      expect(res.limitExceeded).toMatch(/more than 32 processes \(tools\.exec\.maxProcesses\)/);
      expect(res.output).toMatch(/\[killed: it ran more than 32 processes/);
      expect(res.output).not.toContain('bomb-ended');
    } else {
      expect(res.output).toMatch(/[Cc]annot fork|Resource temporarily unavailable/);
    }
    await vi.waitFor(async () => expect(await processesWith(`sleep\0${m}`)).toEqual([]), { timeout: 5000 });
  });

  it.skipIf(!isRoot || !hasSetpriv)('run as a user, RLIMIT_NPROC bounds the sandbox itself (its own user namespace)', async () => {
    // The gateway as an ordinary user: bwrap makes a user namespace, and prlimit inside it bounds that namespace.
    await chmod(root, 0o755);
    await chown(ws, USER, USER);
    const asUser: SandboxDeps = {
      ...deps,
      spawn: ((file: string, args: string[], opts: object) =>
        nodeSpawn('/usr/bin/setpriv', [`--reuid=${USER}`, `--regid=${USER}`, '--clear-groups', '--', file, ...args], opts)) as SandboxDeps['spawn'],
    };
    expect((await runSandboxed(req('id -u'), asUser)).output).toBe(`${USER}\n`);
    const m = marker();
    const res = await runSandboxed(req(forkBomb(m)), asUser);
    // The kernel refuses the 32nd process; the shell gives up on the failed fork (dash exits with status 2).
    expect(res.output).toMatch(/[Cc]annot fork|Resource temporarily unavailable/);
    expect(res.exitCode).not.toBe(0);
    expect(res.limitExceeded).toBeUndefined();
    await vi.waitFor(async () => expect(await processesWith(`sleep\0${m}`)).toEqual([]), { timeout: 5000 });
  });

  it('an allocation loop dies at maxMemoryMb (per process)', async () => {
    const res = await runSandboxed(req(ALLOC_LOOP), deps);
    expect(res.timedOut).toBe(false);
    expect(res.exitCode).not.toBe(0);
  });

  it('processes that together go over maxMemoryMb are killed by the watchdog', async () => {
    const res = await runSandboxed(req(HOGS), deps);
    expect(res.timedOut).toBe(false);
    expect(res.limitExceeded).toMatch(/more than 64 MB of memory together \(tools\.exec\.maxMemoryMb\)/);
    expect(res.output).not.toContain('hogs-ended');
  });

  it('a command within the limits runs as before', async () => {
    const res = await runSandboxed(req('for i in 1 2 3; do sleep 0.1 & done; wait; echo fine'), deps);
    expect(res).toMatchObject({ exitCode: 0, timedOut: false });
    expect(res.output).toBe('fine\n');
    expect(res.limitExceeded).toBeUndefined();
  });
});

describe('exec limits on the host (sandbox mode off / non-main)', () => {
  it('a fork bomb is cut off at maxProcesses', async () => {
    const m = marker();
    const res = await runOnHost(req(forkBomb(m)), deps);
    expect(res.limitExceeded).toMatch(/more than 32 processes/);
    await vi.waitFor(async () => expect(await processesWith(`sleep\0${m}`)).toEqual([]), { timeout: 5000 });
  });

  it('an allocation loop dies at maxMemoryMb', async () => {
    const res = await runOnHost(req(ALLOC_LOOP), deps);
    expect(res.timedOut).toBe(false);
    expect(res.exitCode).not.toBe(0);
  });
});

describe('limit plumbing', () => {
  it('prlimit sets RLIMIT_NPROC only where it counts per command, RLIMIT_DATA and no core files everywhere', () => {
    expect(prlimitPrefix('/usr/bin/prlimit', LIMITS, { countProcesses: true })).toEqual([
      '/usr/bin/prlimit',
      '--nproc=32',
      `--data=${64 * 1024 * 1024}`,
      '--core=0',
      '--',
    ]);
    expect(prlimitPrefix('/usr/bin/prlimit', LIMITS, { countProcesses: false })).not.toContain('--nproc=32');
    expect(prlimitPrefix(null, LIMITS, { countProcesses: true })).toEqual([]);
  });

  it('sampleTree counts a process tree and its memory', async () => {
    const child = nodeSpawn('/bin/sh', ['-c', 'sleep 5 & sleep 5 & sleep 5'], { stdio: 'ignore' });
    try {
      await vi.waitFor(async () => expect((await sampleTree(child.pid!, 0, 100)).processes).toBe(4));
      expect((await sampleTree(child.pid!, 0, 100)).rssBytes).toBeGreaterThan(0);
      expect((await sampleTree(child.pid!, 1, 100)).processes).toBe(3);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
