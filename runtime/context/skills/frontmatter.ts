// A SKILL.md file: a YAML frontmatter block between `---` lines (name, description, optional metadata), then the
// instructions. The YAML is parsed by the `yaml` package; only the fences are found here. `yaml` (about 8 MB once
// loaded) is required on the first SKILL.md read, so an agent without skills never loads it.
import { createRequire } from 'node:module';

let yaml: typeof import('yaml') | undefined;
const parseYaml = (src: string, options: import('yaml').ToJSOptions): unknown => {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yaml.parse(src, options);
};

export interface SkillRequirements {
  bins: string[];
  env: string[];
}

export interface ParsedSkill {
  name?: string;
  description?: string;
  requires: SkillRequirements;
  /** The instructions after the frontmatter. */
  body: string;
}

export class SkillFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SkillFileError';
  }
}

const FENCE = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/** Throws SkillFileError naming what is wrong (no frontmatter, bad YAML, a key of the wrong type). */
export function parseSkillFile(text: string): ParsedSkill {
  const src = text.replace(/^\uFEFF/, '');
  const m = FENCE.exec(src);
  if (!m) throw new SkillFileError('no frontmatter: start the file with a --- line, then name: and description:, then ---');
  let data: unknown;
  try {
    data = parseYaml(m[1]!, { maxAliasCount: 10 });
  } catch (err) {
    throw new SkillFileError(`frontmatter is not valid YAML: ${firstLine(err)}`);
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new SkillFileError('frontmatter must be a set of keys (name:, description:)');
  const fm = data as Record<string, unknown>;
  return {
    name: optionalLine(fm, 'name'),
    description: optionalLine(fm, 'description'),
    requires: requirementsOf(fm.metadata),
    body: src.slice(m[0].length).trim(),
  };
}

function optionalLine(fm: Record<string, unknown>, key: string): string | undefined {
  const v = fm[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new SkillFileError(`${key} must be a single line of text`);
  const s = String(v).trim();
  if (s.includes('\n')) throw new SkillFileError(`${key} must be a single line of text`);
  return s === '' ? undefined : s;
}

/** `metadata` is JSON (on one line, which YAML also reads as a mapping) with `requires: { bins: [], env: [] }`. */
function requirementsOf(metadata: unknown): SkillRequirements {
  if (metadata === undefined || metadata === null) return { bins: [], env: [] };
  let meta: unknown = metadata;
  if (typeof meta === 'string') {
    try {
      meta = JSON.parse(meta) as unknown;
    } catch (err) {
      throw new SkillFileError(`metadata is not valid JSON: ${firstLine(err)}`);
    }
  }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new SkillFileError('metadata must be a JSON object');
  const requires = (meta as Record<string, unknown>).requires;
  if (requires === undefined) return { bins: [], env: [] };
  if (typeof requires !== 'object' || requires === null || Array.isArray(requires)) {
    throw new SkillFileError('metadata.requires must be an object like { "bins": ["git"], "env": ["GITHUB_TOKEN"] }');
  }
  const r = requires as Record<string, unknown>;
  return { bins: stringList(r.bins, 'metadata.requires.bins'), env: stringList(r.env, 'metadata.requires.env') };
}

function stringList(v: unknown, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.trim() !== '')) {
    throw new SkillFileError(`${what} must be a list of names`);
  }
  return (v as string[]).map((x) => x.trim());
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
