// Config problems and how they are printed. Every problem names the key path, what was expected and what
// was found, so a user can fix switchyard.json without reading source code.
import { basename } from 'node:path';

export type PathSegment = string | number;

export interface ConfigProblem {
  /** Dotted key path, e.g. `agents.list[0].model.primary`; '' for the whole file. */
  path: string;
  expected: string;
  found: string;
  /** Replaces the "expected …, found …" text when the problem reads better another way (unknown keys). */
  message?: string;
  /** Set for JSON5 syntax errors. */
  line?: number;
  column?: number;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  /** The config file the problems belong to (may not exist). */
  readonly file: string;

  /** `file` defaults to `switchyard.json` (for problems found after loading, e.g. by the gateway at start). */
  constructor(problems: ConfigProblem[], file = 'switchyard.json') {
    super(`invalid config ${file} (${problems.length} problem${problems.length === 1 ? '' : 's'}); fix it and restart:\n${formatProblems(file, problems)}`);
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }

  /** One line per problem: `switchyard.json: agents.list[0].model.primary: expected "<provider>/<model>", found "nope"`. */
  format(): string {
    return formatProblems(this.file, this.problems);
  }
}

export function formatProblems(file: string, problems: ConfigProblem[]): string {
  const name = basename(file);
  return problems.map((p) => formatProblem(name, p)).join('\n');
}

function formatProblem(name: string, p: ConfigProblem): string {
  const where = p.line !== undefined ? `${name}:${p.line}:${p.column ?? 0}` : name;
  const text = p.message ?? `expected ${p.expected}, found ${p.found}`;
  // A message that is a sentence about the key ("channels.discord is not supported yet") names it itself.
  return p.path && !text.startsWith(`${p.path} `) ? `${where}: ${p.path}: ${text}` : `${where}: ${text}`;
}

const PLAIN_KEY = /^[^.[\]\s"]+$/;

/** `['agents','list',0,'model']` → `agents.list[0].model`; keys with dots or spaces are bracket-quoted. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

// Keys whose values are credentials: their values are never echoed into errors (errors end up in logs).
const SECRET_KEY = /(token|secret|password|apikey|^key)$/i;

export function isSecretPath(path: readonly PathSegment[]): boolean {
  const last = path[path.length - 1];
  return typeof last === 'string' && SECRET_KEY.test(last);
}

/** A short human description of a found value, e.g. `"nope"`, `42`, `an object`, `nothing`. */
export function describeValue(value: unknown, secret = false): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    if (secret) return `a string of ${value.length} characters (value hidden)`;
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/** The value at `path` inside a parsed JSON value, or undefined. */
export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}
