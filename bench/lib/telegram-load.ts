// A gateway in its own process with Telegram configured against the fake Bot API in this process: the set-up of
// the long-running benchmarks (steady state, disk). Messages are DMs from `chats` different users (one session
// each under the default dmScope), sent in waves of one message per chat; a wave ends when every message of it
// has its reply at the fake. The model answers at once in the child (zero-latency ModelCaller).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeTelegram } from '../../test/fakes/fake-telegram.js';
import type { ChildReply, ChildRequest } from './gateway-child.js';
import { childEnv, stopChild } from './cold-start.js';

export interface TelegramLoad {
  home: string;
  pid: number;
  fake: FakeTelegram;
  /** Sends one message from each of `chats` users and resolves when all of them are answered. */
  wave(label: string): Promise<void>;
  /** Messages sent so far. */
  readonly sent: number;
  /** RSS and heap now; with gc the child forces a full GC first. */
  mem(gc: boolean): Promise<{ rss: number; heapUsed: number }>;
  stop(): Promise<void>;
}

const FIRST_USER = 700_000_000;

export async function startTelegramLoad(opts: { root: string; chats: number; config?: Record<string, unknown>; execArgv?: string[] }): Promise<TelegramLoad> {
  const fake = await new FakeTelegram().start();
  const home = await mkdtemp(join(tmpdir(), 'sy-bench-'));
  const config = {
    gateway: { port: 0 },
    agents: { defaults: { model: { primary: 'anthropic/claude-bench' }, maxConcurrent: 4 } },
    messages: { queue: { mode: 'followup' } },
    channels: { telegram: { botToken: fake.defaultToken, apiRoot: fake.apiRoot, dmPolicy: 'open', pollTimeoutSeconds: 5 } },
    ...opts.config,
  };
  await writeFile(join(home, 'switchyard.json'), JSON.stringify(config));
  const proc: ChildProcess = fork(join(opts.root, 'dist/bench/lib/gateway-child.js'), ['zero'], {
    cwd: opts.root,
    env: childEnv(home),
    execArgv: ['--expose-gc', ...(opts.execArgv ?? [])],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (d: string) => {
    if (stderr.length < 20_000) stderr += d;
  });
  const waiters = new Map<ChildReply['type'], (m: ChildReply) => void>();
  proc.on('message', (m: ChildReply) => {
    if (m.type === 'error') console.error(`bench: gateway child reported: ${m.message}`);
    waiters.get(m.type)?.(m);
  });
  const next = <T extends ChildReply['type']>(type: T, timeoutMs = 120_000) =>
    new Promise<Extract<ChildReply, { type: T }>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench: gateway child sent no '${type}' in ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
      const onExit = (code: number | null) => reject(new Error(`bench: gateway child exited (${code}); stderr: ${stderr}`));
      proc.once('exit', onExit);
      waiters.set(type, (m) => {
        clearTimeout(timer);
        proc.off('exit', onExit);
        waiters.delete(type);
        resolve(m as Extract<ChildReply, { type: T }>);
      });
    });
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.send({ type: 'stop' } satisfies ChildRequest);
      const t = setTimeout(() => void stopChild(proc), 10_000);
      await new Promise<void>((r) => (proc.exitCode !== null ? r() : proc.once('exit', () => r())));
      clearTimeout(t);
    }
    await fake.close();
    await rm(home, { recursive: true, force: true });
  };

  try {
    await next('ready');
  } catch (err) {
    await stop();
    throw err;
  }

  let sent = 0;
  let answered = 0;
  let wake: (() => void) | undefined;
  fake.onSent((m) => {
    if (m.method === 'sendMessage') answered++;
    wake?.();
  });

  return {
    home,
    pid: proc.pid!,
    fake,
    get sent() {
      return sent;
    },
    async wave(label) {
      const target = answered + opts.chats;
      for (let c = 0; c < opts.chats; c++) {
        const user = FIRST_USER + c;
        fake.pushMessage({ chatId: user, chatType: 'private', fromId: user, fromName: `User ${c}`, text: `${label} from user ${c}` });
        sent++;
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`bench: wave "${label}" not answered in 120 s (${answered}/${target} replies)`)), 120_000);
        wake = () => {
          if (answered < target) return;
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
        wake();
      });
    },
    async mem(gc) {
      const reply = next('mem');
      proc.send({ type: 'mem', gc } satisfies ChildRequest);
      const m = await reply;
      return { rss: m.rss, heapUsed: m.heapUsed };
    },
    stop,
  };
}

/** /proc/<pid>/io: bytes handed to write calls (wchar), bytes that reached the block layer (write_bytes), write calls. */
export async function processIo(pid: number): Promise<{ wchar: number; writeBytes: number; syscw: number }> {
  const text = await readFile(`/proc/${pid}/io`, 'utf8');
  const n = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { wchar: n('wchar'), writeBytes: n('write_bytes'), syscw: n('syscw') };
}
