// The state directory as the CLI commands find it: $SWITCHYARD_HOME (absolute, or relative to the working
// directory; `~/` expanded) or ~/.switchyard — the same rule the gateway uses (storage/paths.ts resolveHome,
// which runtime/ may not import).
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export function cliHome(env: Record<string, string | undefined>, home: string = env.HOME || homedir()): string {
  const fromEnv = env.SWITCHYARD_HOME?.trim();
  if (!fromEnv) return join(home, '.switchyard');
  if (fromEnv === '~') return home;
  if (fromEnv.startsWith('~/')) return join(home, fromEnv.slice(2));
  return isAbsolute(fromEnv) ? fromEnv : resolve(fromEnv);
}
