// Hot reload of switchyard.json: on an edit of the file (or SIGHUP) the config is loaded again and, when valid,
// becomes the running config — everything that reads config per message (bindings, agents, queue settings, tools
// policy, channel allowlists, owners) follows at once. What was fixed at start (the HTTP port and bind address, the
// gateway token, platform and model credentials, providers, maxConcurrent) keeps its running value until a restart,
// and the log names those keys. A bad edit keeps the whole running config and logs the dotted path of each problem.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../types/index.js';
import { ConfigError } from './errors.js';
import type { Config } from './schema.js';

export interface ReloadResult {
  /** True when a new config is running. */
  applied: boolean;
  /** Dotted paths that changed and take effect only after a restart (their running values are kept). */
  restartNeeded: string[];
  /** Top-level sections (or channels.<id>) whose changes are now in effect. */
  changed: string[];
  /** Problems of a rejected edit, by dotted path. */
  problems?: string[];
}

export interface ConfigReloaderDeps {
  load(): Promise<Config>;
  current(): Config;
  apply(next: Config): void;
  log: Logger;
  /** The config file to watch; undefined: reload only on request (SIGHUP). */
  file?: string;
  /** Edits within this window become one reload (editors write a file in several steps). Default 300 ms. */
  debounceMs?: number;
}

/** Keys fixed at start. A channel block's connection keys are matched by name, whatever the platform. */
const RESTART_PREFIXES = ['gateway', 'models', 'auth', 'agents.defaults.maxConcurrent'];
const CHANNEL_CONNECTION_KEY = /token|apiroot|apiurl|^accounts$|^enabled$|polltimeout/i;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function needsRestart(path: string[]): boolean {
  const dotted = path.join('.');
  if (RESTART_PREFIXES.some((p) => dotted === p || dotted.startsWith(`${p}.`))) return true;
  return path[0] === 'channels' && path.length >= 3 && CHANNEL_CONNECTION_KEY.test(path[2]);
}

/** Dotted paths under which prev and next differ and a restart is needed (the shallowest such path of each change). */
export function restartKeys(prev: unknown, next: unknown, path: string[] = []): string[] {
  if (same(prev, next)) return [];
  // A platform block added or removed: its adapter is created (or stopped) only at start.
  if (path.length === 2 && path[0] === 'channels' && (prev === undefined || next === undefined)) return [path.join('.')];
  if (path.length > 0 && needsRestart(path)) {
    // Name the leaf keys (gateway.port, not gateway) so the log says exactly what waits for a restart.
    if (isObject(prev) && isObject(next) && path.length < 3) return childDiffs(prev, next, path, () => true);
    return [path.join('.')];
  }
  if (!isObject(prev) || !isObject(next)) return [];
  return childDiffs(prev, next, path, undefined);
}

function childDiffs(prev: Record<string, unknown>, next: Record<string, unknown>, path: string[], all?: () => boolean): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(prev), ...Object.keys(next)])) {
    const p = [...path, k];
    if (all) {
      if (!same(prev[k], next[k]))
        out.push(
          ...(isObject(prev[k]) && isObject(next[k]) && p.length < 3
            ? childDiffs(prev[k] as Record<string, unknown>, next[k] as Record<string, unknown>, p, all)
            : [p.join('.')]),
        );
    } else out.push(...restartKeys(prev[k], next[k], p));
  }
  return out;
}

/** Where a change applies live: top-level sections, channels.<id> for channel blocks. */
export function changedSections(prev: Config, next: Config): string[] {
  const out: string[] = [];
  const p = prev as unknown as Record<string, unknown>;
  const n = next as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(p), ...Object.keys(n)])) {
    if (same(p[k], n[k])) continue;
    if (k === 'channels' && isObject(p[k]) && isObject(n[k])) {
      const pc = p[k] as Record<string, unknown>;
      const nc = n[k] as Record<string, unknown>;
      for (const c of new Set([...Object.keys(pc), ...Object.keys(nc)])) if (!same(pc[c], nc[c])) out.push(`channels.${c}`);
    } else out.push(k);
  }
  return out;
}

function setAt(root: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = root;
  for (const k of path.slice(0, -1)) {
    if (!isObject(cur[k])) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (value === undefined) delete cur[last];
  else cur[last] = structuredClone(value);
}

function valueAtPath(root: unknown, path: string[]): unknown {
  let cur = root;
  for (const k of path) cur = isObject(cur) ? cur[k] : undefined;
  return cur;
}

/** next, with the running values of `keys` put back: the running config describes what is really running. */
export function keepRunning(prev: Config, next: Config, keys: string[]): Config {
  const out = structuredClone(next) as unknown as Record<string, unknown>;
  for (const dotted of keys) {
    const path = dotted.split('.');
    setAt(out, path, valueAtPath(prev, path));
  }
  return out as unknown as Config;
}

export function createConfigReloader(deps: ConfigReloaderDeps): { reload(reason: string): Promise<ReloadResult>; close(): void } {
  const { log } = deps;
  let running: Promise<ReloadResult> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;

  async function reloadOnce(reason: string): Promise<ReloadResult> {
    let next: Config;
    try {
      next = await deps.load();
    } catch (err) {
      const problems =
        err instanceof ConfigError
          ? err.problems.map((p) => `${p.path || '(file)'}: expected ${p.expected}, found ${p.found}`)
          : [err instanceof Error ? err.message : String(err)];
      log.error(
        `config reload (${reason}): the edit is not valid, the running config is kept: ${problems[0]}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}`,
        {
          problems,
          keys: err instanceof ConfigError ? err.problems.map((p) => p.path) : undefined,
        },
      );
      return { applied: false, restartNeeded: [], changed: [], problems };
    }
    const prev = deps.current();
    const restartNeeded = restartKeys(prev, next);
    const effective = keepRunning(prev, next, restartNeeded);
    const changed = changedSections(prev, effective);
    if (changed.length === 0 && restartNeeded.length === 0) {
      log.info(`config reload (${reason}): no change`);
      return { applied: false, restartNeeded, changed };
    }
    deps.apply(effective);
    if (changed.length > 0) log.info(`config reloaded (${reason}): ${changed.join(', ')} now in effect`, { changed });
    if (restartNeeded.length > 0) {
      log.warn(`config reload (${reason}): ${restartNeeded.join(', ')} changed; these take effect after a restart`, { restartNeeded });
    }
    return { applied: changed.length > 0, restartNeeded, changed };
  }

  /** One reload at a time; a request during a reload runs once more after it (the file may have changed again). */
  function reload(reason: string): Promise<ReloadResult> {
    if (running) {
      again = true;
      return running;
    }
    running = reloadOnce(reason).finally(() => {
      running = undefined;
      if (again) {
        again = false;
        void reload(reason);
      }
    });
    return running;
  }

  if (deps.file) {
    const name = basename(deps.file);
    try {
      // The directory, not the file: editors replace the file (write a copy, rename it over), which ends a watch on it.
      watcher = watch(dirname(deps.file), (_event, filename) => {
        if (filename !== null && filename.toString() !== name) return;
        clearTimeout(timer);
        timer = setTimeout(() => void reload('file changed'), deps.debounceMs ?? 300);
      });
      watcher.on('error', (err) => log.warn('config reload: watching the config file failed; SIGHUP still reloads', { err }));
    } catch (err) {
      log.warn('config reload: cannot watch the config file; SIGHUP still reloads', { file: deps.file, err });
    }
  }

  return {
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
