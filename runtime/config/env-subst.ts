// `${VAR}` substitution in every string value of the parsed config (keys are left alone), so secrets can live
// in the environment instead of the file. `$${VAR}` is an escape for a literal `${VAR}`.
// A missing or empty variable is an error, not an empty string: an empty token would fail much later and
// far less clearly (e.g. a 401 from the platform).
import { type ConfigProblem, type PathSegment, formatPath } from './errors.js';

// `$${NAME}` (escape) or `${NAME}`; names follow the shell's rules.
const REF = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export interface SubstResult {
  value: unknown;
  problems: ConfigProblem[];
  /** Dotted key path → names of the variables substituted into it (to say where a bad value came from). */
  sources: Map<string, string[]>;
}

export function substituteEnv(root: unknown, env: NodeJS.ProcessEnv): SubstResult {
  const problems: ConfigProblem[] = [];
  const sources = new Map<string, string[]>();

  const visit = (value: unknown, path: PathSegment[]): unknown => {
    if (typeof value === 'string') return substString(value, path);
    if (Array.isArray(value)) return value.map((v, i) => visit(v, [...path, i]));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = visit(v, [...path, k]);
      return out;
    }
    return value;
  };

  const substString = (s: string, path: PathSegment[]): string => {
    if (!s.includes('${')) return s;
    const used: string[] = [];
    const result = s.replace(REF, (whole: string, escape: string, name: string) => {
      if (escape) return whole.slice(1); // `$${X}` → `${X}`
      const v = env[name];
      if (v === undefined || v === '') {
        problems.push({
          path: formatPath(path),
          expected: `environment variable ${name} to be set (the value uses \${${name}})`,
          found: v === undefined ? 'it unset' : 'it empty',
        });
        return whole;
      }
      used.push(name);
      return v;
    });
    if (used.length > 0) sources.set(formatPath(path), used);
    return result;
  };

  return { value: visit(root, []), problems, sources };
}
