// Process and memory limits of an exec command (tools.exec.maxProcesses, tools.exec.maxMemoryMb), so a fork bomb
// or a memory hog dies alone and the gateway keeps answering. Three layers, each where it works:
// - cgroups through `systemd-run --scope` (TasksMax, MemoryMax: a hard total for the whole command) where a
//   systemd that can make scopes for this user is running (detected once by making one);
// - resource limits set by util-linux `prlimit` right before the shell: RLIMIT_DATA (each process's heap and
//   private memory) and no core files everywhere; RLIMIT_NPROC inside the sandbox only, where bubblewrap's own
//   user namespace makes the count per command (it is not enforced for a gateway running as root, and on the
//   host it would count all the user's processes);
// - a watchdog that walks the command's process tree every 100 ms (/proc/<pid>/task/*/children), counts its
//   processes and sums their resident memory, and kills the command when either goes over: the total bound
//   for a root gateway and where systemd is not there. In the sandbox (its own PID namespace) killing it takes
//   everything it started; on the host a process that detaches from the tree escapes the count.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface ExecLimits {
  maxProcesses: number;
  maxMemoryMb: number;
}

const PAGE_BYTES = 4096;
export const WATCH_EVERY_MS = 100;

/** The argv prefix that runs a command under prlimit (empty when prlimit is not installed). */
export function prlimitPrefix(prlimit: string | null, limits: ExecLimits, opts: { countProcesses: boolean }): string[] {
  if (!prlimit) return [];
  const data = Math.floor(limits.maxMemoryMb * 1024 * 1024);
  return [prlimit, ...(opts.countProcesses ? [`--nproc=${limits.maxProcesses}`] : []), `--data=${data}`, '--core=0', '--'];
}

/** The argv prefix that puts a command into its own cgroup scope with these limits. */
export function systemdScopePrefix(systemdRun: string, user: boolean, limits: ExecLimits): string[] {
  return [
    systemdRun,
    ...(user ? ['--user'] : []),
    '--scope',
    '--quiet',
    '--collect',
    '-p',
    `TasksMax=${limits.maxProcesses}`,
    '-p',
    `MemoryMax=${limits.maxMemoryMb}M`,
    '-p',
    'MemorySwapMax=0',
    '--',
  ];
}

let systemdProbe: Promise<{ path: string; user: boolean } | null> | undefined;

/**
 * Whether `systemd-run --scope` with TasksMax and MemoryMax works here: tried once by running /bin/true in such
 * a scope. Null in containers without systemd, without a user session bus, or without `systemd-run`.
 */
export function detectSystemdScope(find: (name: string) => Promise<string | null>): Promise<{ path: string; user: boolean } | null> {
  systemdProbe ??= (async () => {
    const bin = await find('systemd-run');
    if (!bin) return null;
    const user = typeof process.getuid === 'function' && process.getuid() !== 0;
    const args = [...systemdScopePrefix(bin, user, { maxProcesses: 4, maxMemoryMb: 16 }).slice(1), '/bin/true'];
    const ok = await new Promise<boolean>((resolve) => {
      execFile(bin, args, { timeout: 5000 }, (err) => resolve(err === null));
    });
    return ok ? { path: bin, user } : null;
  })();
  return systemdProbe;
}

async function childrenOf(pid: number): Promise<number[]> {
  let tasks: string[];
  try {
    tasks = await readdir(`/proc/${pid}/task`);
  } catch {
    return []; // gone meanwhile
  }
  const out: number[] = [];
  for (const tid of tasks) {
    const text = await readFile(path.join('/proc', String(pid), 'task', tid, 'children'), 'utf8').catch(() => '');
    for (const s of text.split(' ')) if (s.trim() !== '') out.push(Number(s));
  }
  return out;
}

async function rssBytes(pid: number): Promise<number> {
  const statm = await readFile(`/proc/${pid}/statm`, 'utf8').catch(() => '');
  const resident = Number(statm.split(' ')[1]);
  return Number.isFinite(resident) ? resident * PAGE_BYTES : 0;
}

export interface TreeSample {
  processes: number;
  rssBytes: number;
}

/**
 * The processes below `root` (not counting `skip` launcher levels: bubblewrap's own two processes) and their
 * summed resident memory. Stops counting past `stopAt` processes, which is enough to know a limit is exceeded.
 */
export async function sampleTree(root: number, skip: number, stopAt: number): Promise<TreeSample> {
  let level = [root];
  for (let i = 0; i < skip; i++) {
    const next: number[] = [];
    for (const pid of level) next.push(...(await childrenOf(pid)));
    level = next;
  }
  let processes = 0;
  let rss = 0;
  const queue = [...level];
  while (queue.length > 0 && processes <= stopAt) {
    const pid = queue.shift()!;
    processes++;
    rss += await rssBytes(pid);
    queue.push(...(await childrenOf(pid)));
  }
  return { processes, rssBytes: rss };
}

export interface TreeWatch {
  stop(): void;
}

/**
 * Samples the tree every WATCH_EVERY_MS (real time: it watches the operating system, not the gateway's clock)
 * and calls `onExceeded` once with what went over.
 */
export function watchTree(root: number, skip: number, limits: ExecLimits, onExceeded: (what: string) => void, everyMs = WATCH_EVERY_MS): TreeWatch {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (stopped) return;
    const s = await sampleTree(root, skip, limits.maxProcesses + 1);
    if (stopped) return;
    if (s.processes > limits.maxProcesses) {
      stopped = true;
      onExceeded(`it ran more than ${limits.maxProcesses} processes (tools.exec.maxProcesses)`);
      return;
    }
    if (s.rssBytes > limits.maxMemoryMb * 1024 * 1024) {
      stopped = true;
      onExceeded(`its processes used more than ${limits.maxMemoryMb} MB of memory together (tools.exec.maxMemoryMb)`);
      return;
    }
    timer = setTimeout(() => void tick(), everyMs);
  };
  timer = setTimeout(() => void tick(), everyMs);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
