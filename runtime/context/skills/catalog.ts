// Finds the skills an agent can use: `<workspace>/skills/<name>/SKILL.md`, then `$SWITCHYARD_HOME/skills/<name>/SKILL.md`
// (the workspace wins on a name clash). A skill whose binaries or environment variables are missing is kept but
// marked ineligible, so /context detail can say why it is not offered.
//
// Each session keeps a snapshot of the list (its prompt text stays the same from run to run) until a SKILL.md is
// added, removed or changed: every run compares a cheap fingerprint (directory listing + stat of each SKILL.md).
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { resolveInWorkspace } from '../../tools/workspace-path.js';
import { parseSkillFile, SkillFileError, type SkillRequirements } from './frontmatter.js';
import { skillsListing, type SkillsListing } from './listing.js';

export interface Skill {
  name: string;
  description: string;
  source: 'workspace' | 'home';
  /** Absolute path of the SKILL.md, and the skills folder and skill folder it is in. */
  file: string;
  root: string;
  dir: string;
  /** The path the model passes to the read tool: relative for workspace skills, absolute for shared ones. */
  displayPath: string;
  requires: SkillRequirements;
  eligible: boolean;
  /** Why the skill is not offered (missing binary or variable, a bad SKILL.md). */
  problems: string[];
}

export interface SkillSnapshot {
  fingerprint: string;
  skills: Skill[];
  listing: SkillsListing;
}

/** Skill folders looked at per directory, and the largest SKILL.md read: bounds on what a user's files can cost. */
export const MAX_SKILL_DIRS = 200;
export const MAX_SKILL_FILE_BYTES = 256 * 1024;
const SESSION_SNAPSHOTS = 1000;
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

interface Found {
  root: string;
  dir: string;
  source: Skill['source'];
  version: string;
}

export interface SkillCatalogDeps {
  /** The state directory ($SWITCHYARD_HOME); its skills/ folder is shared by every agent. */
  home: string;
  env: NodeJS.ProcessEnv;
}

/** Opened as the read tool opens it: a SKILL.md that leads out of its skills folder through a link is refused. */
async function readSkill(root: string, dir: string) {
  const real = await resolveInWorkspace(root, join(dir, 'SKILL.md'), 'exist');
  const st = await stat(real.real);
  if (st.size > MAX_SKILL_FILE_BYTES) throw new SkillFileError(`SKILL.md is ${st.size} bytes; the limit is ${MAX_SKILL_FILE_BYTES}`);
  return parseSkillFile(await readFile(real.real, 'utf8'));
}

export function createSkillCatalog(deps: SkillCatalogDeps) {
  const parsed = new Map<string, { version: string; skill: Skill }>();
  const snapshots = new Map<string, SkillSnapshot>();
  const homeSkills = join(deps.home, 'skills');
  const pathDirs = (deps.env.PATH ?? process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  const binCache = new Map<string, boolean>();

  async function scan(workspace: string): Promise<Found[]> {
    const roots: [string, Skill['source']][] = [
      [join(workspace, 'skills'), 'workspace'],
      [homeSkills, 'home'],
    ];
    const out: Found[] = [];
    for (const [root, source] of roots) {
      let names: string[];
      try {
        const dirents = await readdir(root, { withFileTypes: true });
        names = dirents
          .filter((d) => d.isDirectory() || d.isSymbolicLink())
          .map((d) => d.name)
          .sort()
          .slice(0, MAX_SKILL_DIRS);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        throw err;
      }
      const stats = await Promise.all(names.map((n) => stat(join(root, n, 'SKILL.md')).catch(() => null)));
      names.forEach((dir, i) => {
        const st = stats[i];
        if (st?.isFile()) out.push({ root, dir, source, version: `${st.ino}:${st.size}:${st.mtimeMs}` });
      });
    }
    return out;
  }

  async function hasBin(name: string): Promise<boolean> {
    if (name.includes('/')) return false;
    const known = binCache.get(name);
    if (known !== undefined) return known;
    let found = false;
    for (const d of pathDirs) {
      try {
        await access(join(d, name), constants.X_OK);
        found = true;
        break;
      } catch {
        // not in this directory; try the next
      }
    }
    binCache.set(name, found);
    return found;
  }

  async function load(f: Found, workspace: string): Promise<Skill> {
    const file = join(f.root, f.dir, 'SKILL.md');
    const key = `${file}\0${workspace}`;
    const hit = parsed.get(key);
    if (hit?.version === f.version) return hit.skill;
    const displayPath = f.source === 'workspace' ? `skills/${f.dir}/SKILL.md` : file;
    const skill: Skill = {
      name: f.dir,
      description: '',
      source: f.source,
      file,
      root: f.root,
      dir: f.dir,
      displayPath,
      requires: { bins: [], env: [] },
      eligible: false,
      problems: [],
    };
    try {
      const p = await readSkill(f.root, f.dir);
      skill.name = p.name ?? f.dir;
      skill.description = p.description ?? '';
      skill.requires = p.requires;
      if (!NAME.test(skill.name)) skill.problems.push(`invalid name ${JSON.stringify(skill.name)}: letters, digits, . _ - (max 64)`);
      if (!p.description) skill.problems.push('no description: add a one-line description: to the frontmatter');
      for (const b of p.requires.bins) if (!(await hasBin(b))) skill.problems.push(`missing binary ${b}`);
      for (const v of p.requires.env) if (!deps.env[v]?.trim()) skill.problems.push(`missing environment variable ${v}`);
    } catch (err) {
      skill.problems.push(err instanceof Error ? err.message : String(err));
    }
    skill.eligible = skill.problems.length === 0;
    if (parsed.size >= SESSION_SNAPSHOTS) parsed.delete(parsed.keys().next().value as string);
    parsed.set(key, { version: f.version, skill });
    return skill;
  }

  async function build(workspace: string, found: Found[], fingerprint: string): Promise<SkillSnapshot> {
    const all = await Promise.all(found.map((f) => load(f, workspace)));
    const byName = new Map<string, Skill>();
    for (const s of all) if (!byName.has(s.name.toLowerCase())) byName.set(s.name.toLowerCase(), s); // workspace first
    const skills = [...byName.values()];
    return { fingerprint, skills, listing: skillsListing(skills.filter((s) => s.eligible)) };
  }

  return {
    /** The session's snapshot, rebuilt only when a SKILL.md was added, removed or changed since the last one. */
    async snapshot(sessionKey: string, workspace: string): Promise<SkillSnapshot> {
      const found = await scan(workspace);
      const fingerprint = `${workspace}\0${found.map((f) => `${f.source}/${f.dir}@${f.version}`).join('|')}`;
      const held = snapshots.get(sessionKey);
      if (held?.fingerprint === fingerprint) return held;
      const snap = await build(workspace, found, fingerprint);
      snapshots.delete(sessionKey);
      if (snapshots.size >= SESSION_SNAPSHOTS) snapshots.delete(snapshots.keys().next().value as string);
      snapshots.set(sessionKey, snap);
      return snap;
    },
    /** The instructions of one skill (by name, ignoring case), for `/skill <name>`; re-read from disk. */
    async find(workspace: string, name: string): Promise<(Skill & { body: string }) | undefined> {
      const found = await scan(workspace);
      const snap = await build(workspace, found, '');
      const skill = snap.skills.find((s) => s.name.toLowerCase() === name.toLowerCase());
      if (!skill) return undefined;
      if (!skill.eligible) return { ...skill, body: '' };
      return { ...skill, body: (await readSkill(skill.root, skill.dir)).body };
    },
  };
}

export type SkillCatalog = ReturnType<typeof createSkillCatalog>;
