// A versioned workspace: when git is on PATH (agents.defaults.workspaceGit, default on if it is), each agent's
// workspace is a git repository, created on first use, and every run that changed files there is committed as
// "<agentId>: <runId> — <files>". The identity is given on every command (author and committer Switchyard
// <switchyard@localhost>), so no git identity is needed in HOME; hooks and signing are off; nothing is ever pushed.
// Runs of different sessions of one agent may overlap: a commit holds whatever changed since the previous one.
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../types/channel.js';
import { createKeyedLock } from './session-lock.js';

export const GIT_AUTHOR = { name: 'Switchyard', email: 'switchyard@localhost' };
const TIMEOUT_MS = 30_000;
const MAX_BUFFER = 8 * 1024 * 1024;
/** Files named in a commit message; the rest are counted. */
const FILES_IN_MESSAGE = 5;

export interface LastCommit {
  hash: string;
  ts: number;
  subject: string;
}

export interface WorkspaceGitDeps {
  config: () => Config;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitError';
  }
}

/** "a.md, b.md" or "a.md, b.md, … and 3 more". */
export function commitMessage(agentId: string, runId: string, files: string[]): string {
  const shown = files.slice(0, FILES_IN_MESSAGE).join(', ');
  const more = files.length > FILES_IN_MESSAGE ? ` and ${files.length - FILES_IN_MESSAGE} more` : '';
  return `${agentId}: ${runId} — ${shown}${more}`;
}

/** Paths of `git status --porcelain=v1 -z` output (renames give the new path). */
export function changedPaths(porcelainZ: string): string[] {
  const parts = porcelainZ.split('\0');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.length < 4) continue;
    out.push(p.slice(3));
    if (p[0] === 'R' || p[0] === 'C') i++; // the original path follows
  }
  return out;
}

export function createWorkspaceGit(deps: WorkspaceGitDeps) {
  const lock = createKeyedLock();
  const ready = new Map<string, Promise<boolean>>();
  let gitFound: Promise<boolean> | undefined;
  const env: NodeJS.ProcessEnv = {
    PATH: deps.env.PATH ?? process.env.PATH,
    HOME: deps.env.HOME ?? process.env.HOME,
    LANG: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: GIT_AUTHOR.name,
    GIT_AUTHOR_EMAIL: GIT_AUTHOR.email,
    GIT_COMMITTER_NAME: GIT_AUTHOR.name,
    GIT_COMMITTER_EMAIL: GIT_AUTHOR.email,
  };
  const fixed = ['-c', `user.name=${GIT_AUTHOR.name}`, '-c', `user.email=${GIT_AUTHOR.email}`, '-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null'];

  function git(cwd: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('git', [...fixed, ...args], { cwd, env, timeout: TIMEOUT_MS, maxBuffer: MAX_BUFFER, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new GitError(`git ${args[0]} in ${cwd} failed: ${(stderr || err.message).trim().split('\n')[0]}`));
        else resolve(stdout);
      });
    });
  }

  function available(): Promise<boolean> {
    gitFound ??= new Promise((resolve) => execFile('git', ['--version'], { env, timeout: 10_000 }, (err) => resolve(!err)));
    return gitFound;
  }

  async function enabled(): Promise<boolean> {
    const setting = deps.config().agents.defaults.workspaceGit;
    if (setting === false) return false;
    const found = await available();
    if (!found && setting === true) deps.log.warn('agents.defaults.workspaceGit is on but git is not on PATH: workspaces are not versioned (install git)');
    return found;
  }

  async function init(agentId: string, workspace: string): Promise<boolean> {
    if (!(await enabled())) return false;
    const repo = await access(join(workspace, '.git')).then(
      () => true,
      () => false,
    );
    if (!repo) {
      await git(workspace, ['-c', 'init.defaultBranch=main', 'init', '-q']);
      deps.log.info('workspace is now a git repository', { agentId, workspace });
    }
    const changed = changedPaths(await git(workspace, ['status', '--porcelain=v1', '-z', '--untracked-files=all']));
    if (changed.length > 0) {
      await git(workspace, ['add', '-A']);
      await git(workspace, ['commit', '-q', '-m', repo ? `${agentId}: changes made outside a run` : `${agentId}: workspace as it was found`]);
    }
    return true;
  }

  return {
    /** Makes the workspace a repository (once per process), committing what is there. False when off. */
    ensureRepo(agentId: string, workspace: string): Promise<boolean> {
      let p = ready.get(workspace);
      if (!p) {
        p = lock(workspace, () => init(agentId, workspace)).catch((err: unknown) => {
          deps.log.error('the workspace could not be made a git repository; its changes are not versioned', { agentId, workspace, err });
          ready.delete(workspace); // try again on the next run
          return false;
        });
        ready.set(workspace, p);
      }
      return p;
    },
    /** Commits what changed in the workspace, naming the run; null when nothing changed (or versioning is off). */
    async commitRun(agentId: string, runId: string, workspace: string): Promise<{ hash: string; files: string[] } | null> {
      if (!(await ready.get(workspace))) return null;
      return lock(workspace, async () => {
        const files = changedPaths(await git(workspace, ['status', '--porcelain=v1', '-z', '--untracked-files=all']));
        if (files.length === 0) return null;
        await git(workspace, ['add', '-A']);
        await git(workspace, ['commit', '-q', '-m', commitMessage(agentId, runId, files)]);
        const hash = (await git(workspace, ['rev-parse', 'HEAD'])).trim();
        return { hash, files };
      });
    },
    /** The newest commit, for /context; null when there is none or versioning is off. */
    async lastCommit(workspace: string): Promise<LastCommit | null> {
      if (!(await enabled())) return null;
      if (
        !(await access(join(workspace, '.git')).then(
          () => true,
          () => false,
        ))
      )
        return null;
      try {
        const out = (await git(workspace, ['log', '-1', '--format=%H%x00%ct%x00%s'])).trim();
        const [hash, ct, subject] = out.split('\0');
        return hash ? { hash, ts: Number(ct) * 1000, subject: subject ?? '' } : null;
      } catch (err) {
        deps.log.debug?.('no last commit to show', { workspace, err }); // e.g. a repository without commits yet
        return null;
      }
    },
    enabled,
  };
}

export type WorkspaceGit = ReturnType<typeof createWorkspaceGit>;
