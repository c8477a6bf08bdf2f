// Running a shell command for the agent: inside bubblewrap (read-only system, the workspace read-write, private
// /tmp, own PID/IPC/UTS namespaces, no network unless asked, no capabilities) or, when the sandbox mode says
// so, on the host. Both paths share the limits (wall time, output size) and the scrubbed environment: the
// gateway's own environment (API keys, bot tokens) is never passed on.
import { spawn as nodeSpawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, lstat, readlink, realpath } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { systemClock, type Clock } from '../clock.js';
import { detectSystemdScope, prlimitPrefix, systemdScopePrefix, watchTree, type ExecLimits } from './exec-limits.js';
import { OutputCollector } from './output-cap.js';

export interface SandboxRequest {
  /** Run with `/bin/sh -c`. */
  command: string;
  /** The workspace: bound read-write at the same path and used as the working directory. */
  cwd: string;
  network: boolean;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Extra variables on top of the minimal environment (PATH, HOME=workspace, LANG). */
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Process and memory limits (exec-limits.ts); none when absent. */
  limits?: ExecLimits;
}

export interface SandboxResult {
  /** The exit code; 128 + signal number when the process was killed by a signal (shell convention). */
  exitCode: number;
  /** stdout and stderr interleaved, capped (a cut says so). */
  output: string;
  truncated: boolean;
  timedOut: boolean;
  aborted: boolean;
  /** Killed for going over a process or memory limit: says which. */
  limitExceeded?: string;
}

export interface SandboxDeps {
  spawn?: typeof nodeSpawn;
  /** Path of the bwrap binary; default: looked up on PATH. */
  bwrapPath?: string;
  clock?: Clock;
  /** Use cgroups through `systemd-run --scope` when it works here (default true; tests turn it off). */
  systemdScope?: boolean;
}

export const BWRAP_INSTALL_HINT = 'sudo apt-get install bubblewrap';

export class SandboxUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxUnavailableError';
  }
}

const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The only environment a command gets: nothing is inherited from the gateway process. */
export function minimalEnv(workspace: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: SAFE_PATH, HOME: workspace, LANG: 'C.UTF-8', ...extra };
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    await access(p, fsConstants.X_OK);
    return true;
  } catch {
    return false; // not there or not executable: keep looking
  }
}

export async function findExecutable(name: string, searchPath = `${process.env.PATH ?? ''}:/usr/bin:/bin`): Promise<string | null> {
  for (const dir of searchPath.split(':')) {
    if (dir && (await isExecutable(path.join(dir, name)))) return path.join(dir, name);
  }
  return null;
}

export function findBwrap(searchPath?: string): Promise<string | null> {
  return findExecutable('bwrap', searchPath);
}

/** System directories made visible read-only (a merged-/usr symlink such as /bin -> usr/bin is recreated). */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];
/** Files hidden even though /etc is visible (root-readable secrets when the gateway runs as root). */
const HIDDEN_FILES = ['/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-'];

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** The bwrap argument list for a request (exported so its shape can be inspected). */
export async function bwrapArgs(req: SandboxRequest, workspaceReal: string): Promise<string[]> {
  const args = ['--die-with-parent', '--new-session', '--cap-drop', 'ALL'];
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--hostname', 'sandbox');
  if (!req.network) args.push('--unshare-net');
  for (const dir of SYSTEM_DIRS) {
    const st = await lstat(dir).catch(() => null);
    if (!st) continue;
    if (st.isSymbolicLink()) args.push('--symlink', await readlink(dir), dir);
    else if (st.isDirectory()) args.push('--ro-bind', dir, dir);
  }
  for (const f of HIDDEN_FILES) if (await exists(f)) args.push('--ro-bind', '/dev/null', f);
  // systemd-resolved setups point /etc/resolv.conf into /run; without it DNS fails even with network on.
  if (req.network) args.push('--ro-bind-try', '/run/systemd/resolve', '/run/systemd/resolve');
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  // After /tmp, so a workspace under /tmp is bound on top of the private tmpfs.
  args.push('--bind', workspaceReal, workspaceReal, '--chdir', workspaceReal);
  args.push('--clearenv');
  for (const [k, v] of Object.entries(minimalEnv(workspaceReal, req.env))) args.push('--setenv', k, v);
  // prlimit runs inside the sandbox: its RLIMIT_NPROC then counts the processes of this command's own user
  // namespace, not all of the user's.
  const prlimit = req.limits ? await findExecutable('prlimit', SAFE_PATH) : null;
  args.push('--', ...(req.limits ? prlimitPrefix(prlimit, req.limits, { countProcesses: true }) : []), '/bin/sh', '-c', shellScript(req.command));
  return args;
}

/** stderr joins stdout in one stream, so the combined output keeps the order things happened in. */
function shellScript(command: string): string {
  return `exec 2>&1\n${command}`;
}

/** Runs the command inside bubblewrap. Throws SandboxUnavailableError when bwrap is not installed. */
export async function runSandboxed(req: SandboxRequest, deps: SandboxDeps = {}): Promise<SandboxResult> {
  const bwrap = deps.bwrapPath ?? (await findBwrap());
  if (!bwrap || !(await isExecutable(bwrap))) {
    throw new SandboxUnavailableError(
      `exec needs the bubblewrap sandbox, but "bwrap" is not installed; install it with: ${BWRAP_INSTALL_HINT} ` +
        '(or set agents.defaults.sandbox.mode to "off" to run commands unsandboxed on the host)',
    );
  }
  const workspaceReal = await realpath(req.cwd);
  // The watchdog skips bubblewrap's two processes (the launcher and the namespace's init).
  const result = await runProcess(bwrap, await bwrapArgs(req, workspaceReal), workspaceReal, req, deps, 2);
  if (result.exitCode === 1 && /^bwrap: /m.test(result.output) && result.output.length < 2000) {
    result.output +=
      '\n[the sandbox could not start; on Debian/Raspberry Pi OS check that unprivileged user namespaces are ' + 'enabled (sysctl kernel.unprivileged_userns_clone=1)]';
  }
  return result;
}

/** Runs the command directly on the host, with the same limits and scrubbed environment. */
export async function runOnHost(req: SandboxRequest, deps: SandboxDeps = {}): Promise<SandboxResult> {
  const workspaceReal = await realpath(req.cwd);
  const prlimit = req.limits ? prlimitPrefix(await findExecutable('prlimit', SAFE_PATH), req.limits, { countProcesses: false }) : [];
  const argv = [...prlimit, '/bin/sh', '-c', shellScript(req.command)];
  return runProcess(argv[0]!, argv.slice(1), workspaceReal, req, deps, 0);
}

function signalExitCode(signal: NodeJS.Signals | null): number {
  const n = signal ? (osConstants.signals as Record<string, number>)[signal] : undefined;
  return n === undefined ? -1 : 128 + n;
}

async function runProcess(file: string, args: string[], cwd: string, req: SandboxRequest, deps: SandboxDeps, launcherLevels: number): Promise<SandboxResult> {
  const scope = req.limits && deps.systemdScope !== false ? await detectSystemdScope((n) => findExecutable(n)) : null;
  if (scope && req.limits) {
    // systemd-run --scope execs the command in place: the pid (and so the watchdog's root) stays the same.
    const prefix = systemdScopePrefix(scope.path, scope.user, req.limits);
    // A user scope is made through the user's systemd, found through these two (bwrap clears them again).
    const bus: Record<string, string> = {};
    for (const k of ['XDG_RUNTIME_DIR', 'DBUS_SESSION_BUS_ADDRESS']) if (scope.user && process.env[k]) bus[k] = process.env[k]!;
    return spawnAndCollect(prefix[0]!, [...prefix.slice(1), file, ...args], cwd, req, deps, launcherLevels, bus);
  }
  return spawnAndCollect(file, args, cwd, req, deps, launcherLevels);
}

function spawnAndCollect(
  file: string,
  args: string[],
  cwd: string,
  req: SandboxRequest,
  deps: SandboxDeps,
  launcherLevels: number,
  launcherEnv: Record<string, string> = {},
): Promise<SandboxResult> {
  const clock = deps.clock ?? systemClock;
  const spawn = deps.spawn ?? nodeSpawn;
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) {
      resolve({ exitCode: -1, output: '[not started: the run was aborted]', truncated: false, timedOut: false, aborted: true });
      return;
    }
    // detached: the child leads its own process group, so a kill reaches everything it started.
    const child = spawn(file, args, { cwd, env: { ...minimalEnv(cwd, req.env), ...launcherEnv }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = new OutputCollector(req.maxOutputBytes);
    let timedOut = false;
    let aborted = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let settled = false;

    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // ESRCH: already gone
      }
    };
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    const timer = clock.setTimeout(() => {
      timedOut = true;
      killGroup();
    }, req.timeoutMs);
    let limitExceeded: string | undefined;
    const watch =
      req.limits && child.pid !== undefined
        ? watchTree(child.pid, launcherLevels, req.limits, (what) => {
            limitExceeded = what;
            killGroup();
          })
        : undefined;
    req.signal?.addEventListener('abort', onAbort, { once: true });
    let drainTimer: ReturnType<Clock['setTimeout']> | undefined;

    const finish = () => {
      if (settled || !exit) return;
      settled = true;
      clock.clearTimeout(timer);
      watch?.stop();
      if (drainTimer) clock.clearTimeout(drainTimer);
      req.signal?.removeEventListener('abort', onAbort);
      let output = out.text();
      if (timedOut) output += `\n[killed: the command ran longer than ${Math.round(req.timeoutMs / 1000)}s]`;
      if (aborted) output += '\n[killed: the run was aborted]';
      if (limitExceeded) output += `\n[killed: ${limitExceeded}]`;
      resolve({
        exitCode: exit.code ?? signalExitCode(exit.signal),
        output,
        truncated: out.truncated,
        timedOut,
        aborted,
        ...(limitExceeded ? { limitExceeded } : {}),
      });
    };

    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => out.push(b));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      watch?.stop();
      req.signal?.removeEventListener('abort', onAbort);
      reject(
        err.code === 'ENOENT' && file.endsWith('bwrap')
          ? new SandboxUnavailableError(`cannot run ${file}: not found; install it with: ${BWRAP_INSTALL_HINT}`)
          : new Error(`cannot start ${file}: ${err.message}`),
      );
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Whatever the command left running in its process group ends with it; then wait for the pipes to
      // close, but not forever (a process that escaped the group may hold them open).
      killGroup();
      drainTimer = clock.setTimeout(finish, 2000);
    });
    child.on('close', finish);
  });
}
