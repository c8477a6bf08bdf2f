// Throughput and memory of a gateway in its own process: fork dist/bench/lib/gateway-child.js on a temp home,
// connect web chat users from this process, send every user's messages at once, and time until the last reply.
// Two rounds on the same sessions: the second shows warm speed and whether memory keeps growing.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueueMode } from '../../runtime/config/schema.js';
import { startFakeAnthropic, type FakeModelServer } from '../../test/fakes/fake-anthropic.js';
import type { ChildReply, ChildRequest } from './gateway-child.js';
import { BENCH_KEY, benchConfig, type ModelVariant } from './in-process.js';
import { childEnv, stopChild } from './cold-start.js';
import { connectUsers, type WebUser } from './web-users.js';

export interface RoundResult {
  messages: number;
  modelCalls: number;
  elapsedMs: number;
  perSecond: number;
  /** CPU time (user + system, all threads) the gateway process and this benchmark process used in the round. */
  gatewayCpuMs: number;
  driverCpuMs: number;
  /** RSS right after the round, then after a forced GC in the child. */
  rss: number;
  rssGc: number;
}

export interface ChildLoadResult {
  variant: ModelVariant;
  mode: QueueMode;
  rssIdleGc: number;
  gcAvailable: boolean;
  rounds: RoundResult[];
  /** After the last round, once every web chat client has disconnected (after GC): RSS and live V8 heap. */
  rssClientsGoneGc: number;
  heapClientsGoneGc: number;
  heapIdleGc: number;
}

export class Child {
  private waiters: { type: ChildReply['type']; resolve: (m: ChildReply) => void; reject: (e: Error) => void }[] = [];
  stderr = '';

  constructor(readonly proc: ChildProcess) {
    proc.once('exit', (code) => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`bench: gateway child exited (${code}) while waiting for '${w.type}': ${this.stderr}`));
    });
    proc.on('message', (m: ChildReply) => {
      if (m.type === 'error') console.error(`bench: gateway child reported: ${m.message}`);
      const i = this.waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    });
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (d: string) => {
      if (this.stderr.length < 20_000) this.stderr += d;
    });
  }

  next<T extends ChildReply['type']>(type: T, timeoutMs = 60_000): Promise<Extract<ChildReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench: gateway child sent no '${type}' in ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<ChildReply, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  ask<T extends ChildReply['type']>(req: ChildRequest, type: T): Promise<Extract<ChildReply, { type: T }>> {
    const reply = this.next(type);
    this.proc.send(req);
    return reply;
  }
}

export async function measureInChild(opts: {
  root: string;
  variant: ModelVariant;
  mode: QueueMode;
  sessions: number;
  perSession: number;
  rounds: number;
}): Promise<ChildLoadResult> {
  const home = await mkdtemp(join(tmpdir(), 'sy-bench-'));
  let fake: FakeModelServer | undefined;
  let fakeCalls = 0;
  if (opts.variant === 'sdk') {
    fake = await startFakeAnthropic({ record: false });
    fake.setDefault(() => {
      fakeCalls++;
      return { text: 'ok' };
    });
  }
  await writeFile(join(home, 'switchyard.json'), JSON.stringify(benchConfig(opts.mode, fake?.url, { gateway: { port: 0 } })));
  const proc = fork(join(opts.root, 'dist/bench/lib/gateway-child.js'), [opts.variant], {
    cwd: opts.root,
    env: childEnv(home, { ANTHROPIC_API_KEY: BENCH_KEY }),
    // BENCH_CPU_PROF_DIR=/some/dir writes a V8 CPU profile of each gateway child there (open it in Chrome DevTools).
    execArgv: ['--expose-gc', ...(process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [])],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const child = new Child(proc);
  let users: WebUser[] = [];
  try {
    const ready = await child.next('ready');
    await new Promise((r) => setTimeout(r, 500));
    const idle = await child.ask({ type: 'mem', gc: true }, 'mem');
    let replies = 0;
    let lastAt = 0;
    let wake: (() => void) | null = null;
    users = await connectUsers(
      `http://127.0.0.1:${ready.port}`,
      async (ids) => (await child.ask({ type: 'invite', ids }, 'invited')).tokens,
      opts.sessions,
      (f) => {
        replies++;
        lastAt = f.at;
        wake?.();
      },
    );
    const until = (cond: () => boolean, what: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`bench: timed out waiting for ${what} (${replies} replies so far)`)), 300_000);
        const check = () => {
          if (!cond()) return;
          clearTimeout(timer);
          wake = null;
          resolve();
        };
        wake = check;
        check();
      });
    const rounds: RoundResult[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      const total = opts.sessions * opts.perSession;
      const repliesBefore = replies;
      const callsBefore = opts.variant === 'sdk' ? fakeCalls : -1;
      const acksBefore = users.reduce((n, u) => n + u.acks, 0);
      const cpuBefore = (await child.ask({ type: 'mem', gc: false }, 'mem')).cpuMs;
      const driverBefore = process.cpuUsage();
      const t0 = performance.now();
      for (let k = 0; k < opts.perSession; k++) for (const u of users) u.send(`round ${round} message ${k} from ${u.id}`);
      let calls: number;
      if (opts.mode === 'followup') {
        await until(() => replies - repliesBefore >= total, `${total} replies`);
        calls = total;
      } else {
        // Collect merges: one reply per model call. Wait until every message is accepted and the lanes are idle.
        await pollUntil(() => users.reduce((n, u) => n + u.acks, 0) - acksBefore >= total, `${total} acks`);
        const idleReply = await child.ask({ type: 'idle' }, 'idle');
        calls = opts.variant === 'sdk' ? fakeCalls - callsBefore : idleReply.calls - rounds.reduce((n, r) => n + r.modelCalls, 0);
        await until(() => replies - repliesBefore >= calls, `${calls} replies`);
      }
      const elapsedMs = lastAt - t0;
      const driver = process.cpuUsage(driverBefore);
      const after = await child.ask({ type: 'mem', gc: false }, 'mem');
      const afterGc = await child.ask({ type: 'mem', gc: true }, 'mem');
      rounds.push({
        messages: total,
        modelCalls: calls,
        elapsedMs,
        perSecond: (total / elapsedMs) * 1000,
        gatewayCpuMs: after.cpuMs - cpuBefore,
        driverCpuMs: (driver.user + driver.system) / 1000,
        rss: after.rss,
        rssGc: afterGc.rss,
      });
    }
    for (const u of users) u.close();
    users = [];
    await new Promise((r) => setTimeout(r, 500));
    const gone = await child.ask({ type: 'mem', gc: true }, 'mem');
    return {
      variant: opts.variant,
      mode: opts.mode,
      rssIdleGc: idle.rss,
      gcAvailable: idle.gc,
      rounds,
      rssClientsGoneGc: gone.rss,
      heapClientsGoneGc: gone.heapUsed,
      heapIdleGc: idle.heapUsed,
    };
  } finally {
    for (const u of users) u.close();
    if (proc.exitCode === null) {
      proc.send({ type: 'stop' } satisfies ChildRequest);
      const t = setTimeout(() => void stopChild(proc), 10_000);
      await new Promise<void>((r) => (proc.exitCode !== null ? r() : proc.once('exit', () => r())));
      clearTimeout(t);
    }
    await fake?.close();
    await rm(home, { recursive: true, force: true });
  }
}

async function pollUntil(cond: () => boolean, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
