// Turns zod 4 issues into ConfigProblems with readable "expected …, found …" text. zod's own messages are
// written for developers ("Invalid input: expected number, received string"); users need the key path, the
// accepted values and what they actually wrote.
import type { z } from 'zod';
import { type ConfigProblem, type PathSegment, describeValue, formatPath, isSecretPath, valueAt } from './errors.js';

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

/** `input` is the value that was validated (used to show what was found). */
export function issuesToProblems(issues: readonly Issue[], input: unknown, schema: AnySchema): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) out.push(...issueToProblems(issue, input, schema));
  return out;
}

function issueToProblems(issue: Issue, input: unknown, schema: AnySchema): ConfigProblem[] {
  const path = issue.path as PathSegment[];
  const found = describeValue(valueAt(input, path), isSecretPath(path));
  const at = (expected: string, f = found): ConfigProblem => ({ path: formatPath(path), expected, found: f });

  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(schemaAt(schema, path));
      const hint = known.length > 0 ? ` (expected one of: ${known.join(', ')})` : '';
      return issue.keys.map((key) => ({
        path: formatPath([...path, key]),
        expected: known.length > 0 ? `one of: ${known.join(', ')}` : 'no such key',
        found: `unknown key ${JSON.stringify(key)}`,
        message: `unknown key${hint}`,
      }));
    }
    case 'invalid_type':
      return [at(typeName(issue.expected))];
    case 'invalid_value':
      return [at(issue.values.length === 1 ? literal(issue.values[0]) : `one of ${issue.values.map(literal).join(', ')}`)];
    case 'invalid_format':
      return [at(customExpected(issue.message) ?? formatName(issue.format, issue.pattern))];
    case 'too_small':
      return [at(customExpected(issue.message) ?? bound(issue.origin, '>', issue.minimum, issue.inclusive))];
    case 'too_big':
      return [at(customExpected(issue.message) ?? bound(issue.origin, '<', issue.maximum, issue.inclusive))];
    case 'not_multiple_of':
      return [at(`a multiple of ${String(issue.divisor)}`)];
    case 'invalid_union':
      return [at(unionExpected(issue.errors))];
    case 'invalid_key': {
      // The path ends with the offending record key; say what keys look like.
      const inner = issue.issues.map((i) => customExpected(i.message) ?? i.message).join('; ');
      const key = path[path.length - 1];
      return [at(`a key like ${inner}`, `key ${JSON.stringify(String(key))}`)];
    }
    case 'invalid_element':
      return issuesToProblems(issue.issues, input, schema);
    case 'custom':
      return [at(customExpected(issue.message) ?? issue.message)];
  }
  return [];
}

/** Our schema messages are written as `expected …`; return what follows, or undefined for zod's defaults. */
function customExpected(message: string): string | undefined {
  return message.startsWith('expected ') ? message.slice('expected '.length) : undefined;
}

function literal(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function typeName(t: string): string {
  switch (t) {
    case 'int':
      return 'a whole number';
    case 'array':
      return 'a list';
    case 'object':
      return 'an object';
    case 'undefined':
      return 'nothing';
    default:
      return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
  }
}

function formatName(format: string, pattern?: string): string {
  if (format === 'url') return 'a URL (e.g. "https://host:port/path")';
  if (format === 'regex') return `text matching ${pattern ?? 'the expected pattern'}`;
  return `a ${format}`;
}

function bound(origin: string, dir: '<' | '>', n: number | bigint, inclusive?: boolean): string {
  const num = String(n);
  const cmp = `${dir}${inclusive ? '=' : ''}`;
  switch (origin) {
    case 'string':
      return dir === '>' ? `at least ${inclusive ? num : Number(n) + 1} characters` : `at most ${num} characters`;
    case 'array':
      return dir === '>' ? `at least ${inclusive ? num : Number(n) + 1} items` : `at most ${num} items`;
    default:
      return `a number ${cmp} ${num}`;
  }
}

function unionExpected(branches: readonly (readonly Issue[])[]): string {
  const types = new Set<string>();
  for (const branch of branches) {
    for (const i of branch) {
      if (i.path.length > 0) continue;
      if (i.code === 'invalid_type') types.add(typeName(i.expected));
      else if (i.code === 'invalid_value') for (const v of i.values) types.add(literal(v));
    }
  }
  return types.size > 0 ? [...types].join(' or ') : 'a valid value';
}

// ---- schema walking (for "expected one of: …" in unknown-key messages) ----

type Def = { type: string } & Record<string, unknown>;

function defOf(s: AnySchema): Def {
  return s._zod.def as unknown as Def;
}

/** Strips wrappers (optional, prefault, default, transform pipes …) down to the schema that holds keys. */
function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (let i = 0; i < 20; i++) {
    const def = defOf(cur);
    if ('innerType' in def && def.innerType) cur = def.innerType as AnySchema;
    else if (def.type === 'pipe') cur = def.in as AnySchema;
    else return cur;
  }
  return cur;
}

/** The schema that validates the value at `path`, or undefined when the path leaves the schema. */
export function schemaAt(schema: AnySchema, path: readonly PathSegment[]): AnySchema | undefined {
  let cur: AnySchema | undefined = unwrap(schema);
  for (const seg of path) {
    if (!cur) return undefined;
    const def = defOf(cur);
    if (def.type === 'object') cur = (def.shape as Record<string, AnySchema>)[String(seg)];
    else if (def.type === 'array') cur = def.element as AnySchema;
    else if (def.type === 'record') cur = def.valueType as AnySchema;
    else return undefined;
    if (cur) cur = unwrap(cur);
  }
  return cur;
}

/** Keys an object (or an enum-keyed record) accepts. */
export function knownKeys(s: AnySchema | undefined): string[] {
  if (!s) return [];
  const def = defOf(s);
  if (def.type === 'object') return Object.keys(def.shape as Record<string, unknown>);
  if (def.type === 'record') {
    const keyDef = defOf(unwrap(def.keyType as AnySchema));
    if (keyDef.type === 'enum') return Object.values(keyDef.entries as Record<string, string>).map(String);
  }
  return [];
}
