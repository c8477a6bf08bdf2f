// The set-up of the storage tests: a fresh temp home for each test (removed after it), and a logger that collects
// its lines so a test can check what was logged. Called at module or describe level, it registers its hooks there.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

export interface TempHome {
  /** The current test's home directory. */
  readonly home: string;
  /** What `log` was given during the current test. */
  readonly logs: string[];
  /** The errors `log` was given with its messages (storage logs a failure with its error, not its text). */
  readonly errors: unknown[];
  log(message: string, data?: { err: unknown }): void;
}

export function useTempHome(prefix: string): TempHome {
  let home: string | undefined;
  const logs: string[] = [];
  const errors: unknown[] = [];
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), prefix));
    logs.length = 0;
    errors.length = 0;
  });
  afterEach(async () => {
    if (home) await rm(home, { recursive: true, force: true });
    home = undefined;
  });
  return {
    get home() {
      if (!home) throw new Error('useTempHome: no temp home outside a test (use it inside it() or a hook after this one)');
      return home;
    },
    logs,
    errors,
    log: (message, data) => {
      logs.push(message);
      if (data) errors.push(data.err);
    },
  };
}
