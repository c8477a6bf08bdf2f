// Loads switchyard.json: read → JSON5 parse → ${VAR} substitution → env overlays → schema → cross-key checks.
// Every failure is a ConfigError listing all problems found at that stage, each naming its key path.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { ConfigError, type ConfigProblem, valueAt } from './errors.js';
import { substituteEnv } from './env-subst.js';
import { checkRawShape } from './raw-shape.js';
import { CHANNEL_IDS, type ChannelModule } from '../types/channel.js';
import { type Config, configSchema, configSchemaFor } from './schema.js';
import { checkConfig } from './semantic.js';
import { issuesToProblems } from './zod-issues.js';

// json5 is CommonJS: require() loads it without the ESM loader's CommonJS export scan (start-up time and memory).
const JSON5 = createRequire(import.meta.url)('json5') as typeof import('json5');

export { ConfigError, type ConfigProblem } from './errors.js';

export const CONFIG_FILE_NAME = 'switchyard.json';

export interface LoadConfigOptions {
  /** The state directory ($SWITCHYARD_HOME, default ~/.switchyard). */
  home: string;
  /** `--config PATH`: when given, the file must exist. */
  configPath?: string;
  env: NodeJS.ProcessEnv;
  /** The adapter modules (bots/registry.ts): their schemas validate `channels.<id>`, their env overlays apply. */
  modules: readonly ChannelModule[];
}

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the config file (whether or not it exists). */
  path: string;
  /** False when the default file is absent and the embedded defaults are in use. */
  exists: boolean;
}

/**
 * Environment variables that fill a key when the file leaves it out. `unless`: other keys that mean the file
 * already decided. The modules add theirs for their own blocks (ChannelModule.envOverlays).
 */
type Overlay = { env: string; path: string[]; unless?: string[][] };
const OVERLAYS: Overlay[] = [{ env: 'SWITCHYARD_GATEWAY_TOKEN', path: ['gateway', 'auth', 'token'] }];

function overlaysOf(modules: readonly ChannelModule[]): Overlay[] {
  return [
    ...OVERLAYS,
    ...modules.flatMap((m) =>
      (m.envOverlays ?? []).map((o) => ({
        env: o.env,
        path: ['channels', m.id, o.key],
        unless: o.unless?.map((k) => ['channels', m.id, k]),
      })),
    ),
  ];
}

export async function loadConfig(opts: LoadConfigOptions): Promise<LoadedConfig> {
  const explicit = opts.configPath !== undefined;
  const file = explicit ? resolveUserPath(opts.configPath as string, opts.env) : resolve(opts.home, CONFIG_FILE_NAME);

  const text = await readConfigText(file, explicit);
  const raw = text === undefined ? {} : parseJson5(file, text);
  const shape = checkRawShape(raw);
  if (shape.length > 0) throw new ConfigError(shape, file);

  const subst = substituteEnv(raw, opts.env);
  if (subst.problems.length > 0) throw new ConfigError(subst.problems, file);

  const overlaid = applyOverlays(subst.value as Record<string, unknown>, opts.env, overlaysOf(opts.modules));

  const schema = configSchemaFor(opts.modules);
  const parsed = schema.safeParse(overlaid.value);
  if (!parsed.success) {
    const problems = issuesToProblems(parsed.error.issues, overlaid.value, schema).map((p) => notSupportedYet(p, opts.modules));
    for (const p of problems) {
      const vars = subst.sources.get(p.path);
      if (vars) p.found += ` (from ${vars.map((v) => `\${${v}}`).join(', ')})`;
      const envName = overlaid.sources.get(p.path);
      if (envName) p.found += ` (from environment variable ${envName})`;
    }
    throw new ConfigError(problems, file);
  }

  const semantic = checkConfig(parsed.data, opts.env, opts.modules);
  if (semantic.length > 0) throw new ConfigError(semantic, file);

  return { config: parsed.data, path: file, exists: text !== undefined };
}

/**
 * Only the `gateway` block (port, bind, token), for a client looking for the running gateway (the CLI): read, parsed
 * and substituted like loadConfig, then just that block validated — the rest is the gateway's to check.
 */
export async function loadGatewaySettings(opts: Pick<LoadConfigOptions, 'home' | 'configPath' | 'env'>): Promise<Config['gateway']> {
  const file = opts.configPath !== undefined ? resolveUserPath(opts.configPath, opts.env) : resolve(opts.home, CONFIG_FILE_NAME);
  const text = await readConfigText(file, opts.configPath !== undefined);
  const raw = text === undefined ? {} : parseJson5(file, text);
  const subst = substituteEnv({ gateway: raw.gateway }, opts.env);
  if (subst.problems.length > 0) throw new ConfigError(subst.problems, file);
  const block = (subst.value as { gateway?: unknown }).gateway;
  const parsed = configSchema.shape.gateway.safeParse(block);
  if (!parsed.success)
    throw new ConfigError(
      issuesToProblems(parsed.error.issues, block, configSchema.shape.gateway).map((p) => ({ ...p, path: p.path ? `gateway.${p.path}` : 'gateway' })),
      file,
    );
  return parsed.data;
}

/** A block for a platform this build has no adapter module for: said plainly instead of "unknown key". */
function notSupportedYet(p: ConfigProblem, modules: readonly ChannelModule[]): ConfigProblem {
  const m = /^channels\.([a-z]+)$/.exec(p.path);
  if (!m || !p.found.startsWith('unknown key') || !(CHANNEL_IDS as readonly string[]).includes(m[1])) return p;
  const have = modules.map((x) => x.id).join(', ');
  return { ...p, message: `${p.path} is not supported yet: this build has no ${m[1]} adapter (it has ${have}); remove the block` };
}

/** Expands a leading `~` and makes the path absolute (relative to the working directory). */
export function resolveUserPath(p: string, env: NodeJS.ProcessEnv): string {
  const home = env.HOME || homedir();
  const expanded = p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p;
  return isAbsolute(expanded) ? expanded : resolve(expanded);
}

/** File text, or undefined when the default file is absent (embedded defaults apply). */
async function readConfigText(file: string, explicit: boolean): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return undefined;
    const found = code === 'ENOENT' ? `no file at ${file}` : `a file that cannot be read (${(err as Error).message})`;
    const expected = explicit ? 'the file given with --config to exist and be readable' : 'a readable config file';
    throw new ConfigError([{ path: '', expected, found }], file);
  }
}

function parseJson5(file: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON5.parse(text);
  } catch (err) {
    const e = err as SyntaxError & { lineNumber?: number; columnNumber?: number };
    const line = e.lineNumber;
    const column = e.columnNumber;
    // json5 messages look like "JSON5: invalid character '@' at 3:5"; keep the middle part.
    const detail = e.message.replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '');
    const where = line !== undefined ? ` at line ${line}, column ${column ?? 0}` : '';
    throw new ConfigError([{ path: '', line, column, expected: 'valid JSON5', found: detail, message: `JSON5 syntax error${where}: ${detail}` }], file);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const found = Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value;
    throw new ConfigError([{ path: '', expected: 'an object ({ … }) at the top level', found }], file);
  }
  return value as Record<string, unknown>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Fills keys from the environment where the file does not set them. Blocks on the way are created
 * (TELEGRAM_BOT_TOKEN alone enables Telegram); a non-object on the way is left for the schema to report.
 */
function applyOverlays(root: Record<string, unknown>, env: NodeJS.ProcessEnv, overlays: Overlay[]): { value: Record<string, unknown>; sources: Map<string, string> } {
  const value = structuredClone(root);
  const sources = new Map<string, string>();
  for (const o of overlays) {
    const v = env[o.env];
    if (v === undefined || v === '') continue;
    if (o.unless?.some((p) => valueAt(value, p) !== undefined)) continue;
    let cur: Record<string, unknown> = value;
    let blocked = false;
    for (const seg of o.path.slice(0, -1)) {
      if (cur[seg] === undefined) cur[seg] = {};
      const next = cur[seg];
      if (!isPlainObject(next)) {
        blocked = true;
        break;
      }
      cur = next;
    }
    const last = o.path[o.path.length - 1];
    if (blocked || cur[last] !== undefined) continue;
    cur[last] = v;
    sources.set(o.path.join('.'), o.env);
  }
  return { value, sources };
}
