// Checks on the parsed config file before anything walks it recursively: a nesting limit (a file nested 200,000
// levels deep parses fine but overflows the stack of every recursive step after it) and no "__proto__" keys
// (assigning one sets an object's prototype instead of a key, so it would slip past "unknown keys are errors").
// The walk itself uses its own stack and never goes below the limit.
import { type ConfigProblem, type PathSegment, formatPath } from './errors.js';

/** Real configs nest about 8 levels; anything near this is a mistake. */
export const MAX_CONFIG_DEPTH = 32;
const SHOWN_SEGMENTS = 6;

export function checkRawShape(root: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const stack: { value: unknown; path: PathSegment[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_CONFIG_DEPTH) {
      const shown = formatPath(path.slice(0, SHOWN_SEGMENTS)) + (path.length > SHOWN_SEGMENTS ? '…' : '');
      problems.push({
        path: shown,
        expected: '',
        found: '',
        message: `nested more than ${MAX_CONFIG_DEPTH} levels deep; a config needs far fewer (check the braces)`,
      });
      return problems; // one is enough: everything below it is the same mistake
    }
    const entries: [PathSegment, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v] as [PathSegment, unknown]) : Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, v] = entries[i]!;
      if (key === '__proto__') {
        problems.push({
          path: formatPath([...path, key]),
          expected: '',
          found: '',
          message: `"__proto__" is not allowed as a key (it sets an object's prototype); remove it`,
        });
        continue;
      }
      stack.push({ value: v, path: [...path, key] });
    }
  }
  return problems;
}
