// The real product process for crash tests: the gateway runs as a CHILD PROCESS (`node --import tsx
// runtime/main.ts`) on a temp state dir, talking to fake servers in the test process; it can be SIGKILLed at any
// moment and started again on the same state dir. Shared by the crash tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJournalEntry, pendingEntries } from '../../storage/journal.js';
import type { JournalEntry } from '../../runtime/types/index.js';
import type { FakeRequest } from './fake-model-server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Generous: tsx compiles the gateway on every start, and the CI machine has two loaded cores. */
export const READY_TIMEOUT_MS = 45_000;
export const WAIT_MS = 30_000;

export interface GatewayChild {
  proc: ChildProcess;
  port: number;
  output: string[];
  exited: Promise<void>;
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

/**
 * Writes `config` (with a fresh gateway port) to <home>/switchyard.json and spawns the gateway; resolves when
 * /healthz says ready. `children` collects every child so the test's afterEach can kill what is left.
 */
export async function startGatewayChild(opts: {
  home: string;
  config: Record<string, unknown>;
  env: Record<string, string>;
  children: GatewayChild[];
}): Promise<GatewayChild> {
  const port = await freePort();
  const config = { ...opts.config, gateway: { ...((opts.config.gateway as object | undefined) ?? {}), port } };
  await writeFile(join(opts.home, 'switchyard.json'), JSON.stringify(config, null, 2));
  const env: NodeJS.ProcessEnv = { SWITCHYARD_HOME: opts.home, SWITCHYARD_LOG_LEVEL: 'info', ...opts.env };
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[k] !== undefined) env[k] = process.env[k];
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'runtime', 'main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const child: GatewayChild = { proc, port, output, exited };
  opts.children.push(child);
  await waitReady(child);
  return child;
}

async function waitReady(c: GatewayChild): Promise<void> {
  const end = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) throw new Error(`gateway child exited before ready:\n${c.output.join('')}`);
    try {
      const res = await fetch(`http://127.0.0.1:${c.port}/healthz`);
      const body = (await res.json()) as { ready?: boolean };
      if (res.status === 200 && body.ready) return;
    } catch {
      // not listening yet: keep polling until the deadline
    }
    if (Date.now() > end) throw new Error(`gateway child not ready within ${READY_TIMEOUT_MS} ms:\n${c.output.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function killChild(c: GatewayChild, signal: NodeJS.Signals): Promise<void> {
  if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill(signal);
  await c.exited;
}

/** Kills every child still running (afterEach). */
export async function killAll(children: GatewayChild[]): Promise<void> {
  for (const c of children.splice(0)) await killChild(c, 'SIGKILL');
}

export async function eventually<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, c?: GatewayChild, waitMs = WAIT_MS): Promise<T> {
  const end = Date.now() + waitMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${c ? `; gateway output:\n${c.output.join('')}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The text of the last user message of an Anthropic Messages request. */
export function lastUserText(req: FakeRequest): string {
  const messages = req.body.messages as { role: string; content: unknown }[];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return (last.content as { type: string; text?: string }[]).map((b) => b.text ?? '').join('\n');
}

/** The journal entries of <home> still pending (accepted and not done). */
export async function journalPending(home: string): Promise<JournalEntry[]> {
  const raw = await readFile(join(home, 'journal', 'inbound.jsonl'), 'utf8');
  const entries = raw
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => decodeJournalEntry(JSON.parse(l)))
    .filter((e): e is JournalEntry => e !== undefined);
  return pendingEntries(entries);
}
