// Cold start to ready: spawn a gateway process on a fresh state directory and a free port, and time from spawn
// until GET /healthz answers 200. Loopback only; every child is killed (and its home removed) before returning.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rssOfPid } from './memory.js';

export interface ColdStartResult {
  readyMs: number;
  /** RSS of the spawned process a moment after ready (NaN when it is not the gateway itself, e.g. a wrapper). */
  rssAfterReady: number;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The environment a gateway child gets: no model keys or platform tokens from the caller's environment. */
export function childEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'NODE_PATH'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k];
  return { ...env, SWITCHYARD_HOME: home, SWITCHYARD_LOG_LEVEL: 'warn', ...extra };
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false; // not listening yet: ECONNREFUSED is the expected answer until the server is up
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited(child);
  clearTimeout(timer);
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/**
 * Stops a child started with `detached: true` and everything it started: wrappers such as npx and tsx run the
 * gateway as a grandchild, which a signal to the wrapper alone can leave running. SIGTERM to the process group,
 * SIGKILL to it after 5 s, and wait (bounded) until no process of the group is left.
 */
export async function stopGroup(child: ChildProcess): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // ESRCH: the group is already gone
    }
  };
  signal('SIGTERM');
  const start = performance.now();
  let killed = false;
  while (groupAlive(pgid)) {
    const waited = performance.now() - start;
    if (!killed && waited > 5000) {
      signal('SIGKILL');
      killed = true;
    }
    if (waited > 15_000) throw new Error(`bench: process group ${pgid} still alive 15 s after SIGKILL; stop it by hand`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface SpawnedGateway {
  child: ChildProcess;
  home: string;
  port: number;
  readyMs: number;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `command args` with a temp SWITCHYARD_HOME (optionally holding `configText` as switchyard.json), polls
 * /healthz every pollMs and resolves once it answers 200. configText gets the free port to put in gateway.port.
 */
export async function spawnGateway(opts: {
  command: string;
  args: string[];
  cwd: string;
  configText: (port: number) => string;
  env?: Record<string, string>;
  pollMs?: number;
  timeoutMs?: number;
  /** Prepares the state directory before the spawn (e.g. a linked WhatsApp account's credentials). */
  beforeStart?: (home: string) => Promise<void>;
}): Promise<SpawnedGateway> {
  const home = await mkdtemp(join(tmpdir(), 'sy-bench-'));
  const port = await freePort();
  await writeFile(join(home, 'switchyard.json'), opts.configText(port));
  await opts.beforeStart?.(home);
  const url = `http://127.0.0.1:${port}/healthz`;
  let err = '';
  const started = performance.now();
  // Its own process group, so stopGroup() reaches the gateway even when the command is a wrapper (npx, tsx).
  const child = spawn(opts.command, opts.args, { cwd: opts.cwd, env: childEnv(home, opts.env), stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (err.length < 20_000) err += d;
  });
  const stop = async () => {
    await stopGroup(child);
    await rm(home, { recursive: true, force: true });
  };
  const deadline = started + (opts.timeoutMs ?? 30_000);
  while (!(await healthy(url))) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`gateway exited with ${child.exitCode} before ready: ${err.trim() || '(no stderr)'}`);
    }
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`gateway not ready after ${opts.timeoutMs ?? 30_000} ms: ${err.trim() || '(no stderr)'}`);
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 5));
  }
  const readyMs = performance.now() - started;
  return { child, home, port, readyMs, stderr: () => err, stop };
}

/** One cold start: spawn, wait for ready, read RSS after settleMs, stop. */
export async function coldStart(opts: {
  command: string;
  args: string[];
  cwd: string;
  configText: (port: number) => string;
  measureRss: boolean;
  settleMs?: number;
}): Promise<ColdStartResult> {
  const g = await spawnGateway(opts);
  try {
    let rssAfterReady = NaN;
    if (opts.measureRss) {
      await new Promise((r) => setTimeout(r, opts.settleMs ?? 1000));
      rssAfterReady = await rssOfPid(g.child.pid!);
    }
    return { readyMs: g.readyMs, rssAfterReady };
  } finally {
    await g.stop();
  }
}
