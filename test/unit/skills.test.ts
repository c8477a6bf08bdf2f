import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSkillFile } from '../../runtime/context/skills/frontmatter.js';
import { skillsListing } from '../../runtime/context/skills/listing.js';
import { createSkillCatalog } from '../../runtime/context/skills/catalog.js';

describe('SKILL.md frontmatter', () => {
  it.each([
    [
      'plain keys',
      '---\nname: weather\ndescription: Forecasts for a city\n---\nCall the API.',
      { name: 'weather', description: 'Forecasts for a city', requires: { bins: [], env: [] }, body: 'Call the API.' },
    ],
    [
      'metadata as one-line JSON',
      '---\nname: gh\ndescription: GitHub things\nmetadata: {"requires": {"bins": ["gh"], "env": ["GH_TOKEN"]}}\n---\nUse gh.',
      { name: 'gh', description: 'GitHub things', requires: { bins: ['gh'], env: ['GH_TOKEN'] }, body: 'Use gh.' },
    ],
    [
      'metadata as a quoted JSON string',
      `---\nname: x\ndescription: y\nmetadata: '{"requires":{"bins":["git"]}}'\n---\n`,
      { name: 'x', description: 'y', requires: { bins: ['git'], env: [] }, body: '' },
    ],
    ['a BOM and CRLF lines', '\uFEFF---\r\nname: a\r\ndescription: b\r\n---\r\nbody', { name: 'a', description: 'b', requires: { bins: [], env: [] }, body: 'body' }],
  ])('%s', (_label, text, want) => {
    expect(parseSkillFile(text)).toEqual(want);
  });

  it.each([
    ['no frontmatter', '# Just markdown', /no frontmatter/],
    ['bad YAML', '---\nname: [unclosed\n---\n', /not valid YAML/],
    ['a list instead of keys', '---\n- a\n- b\n---\n', /set of keys/],
    ['a multi-line description', '---\nname: a\ndescription: |\n  two\n  lines\n---\n', /single line/],
    ['metadata that is not JSON', "---\nname: a\ndescription: b\nmetadata: 'not json'\n---\n", /metadata is not valid JSON/],
    ['requires.bins not a list', '---\nname: a\ndescription: b\nmetadata: {"requires": {"bins": "git"}}\n---\n', /bins must be a list/],
  ])('refuses %s, saying what is wrong', (_label, text, why) => {
    expect(() => parseSkillFile(text)).toThrow(why);
  });
});

describe('skills listing', () => {
  const skill = (i: number) => ({ name: `s${i}`, description: `does thing ${i}`, displayPath: `skills/s${i}/SKILL.md` });

  it('one line per skill with its path, and the instruction to read SKILL.md first', () => {
    const l = skillsListing([skill(1), skill(2)]);
    expect(l.text).toContain('- s1: does thing 1 (skills/s1/SKILL.md)');
    expect(l.text).toContain('read its SKILL.md with the read tool');
    expect(l).toMatchObject({ listed: ['s1', 's2'], omitted: 0 });
    expect(l.text).not.toContain('not listed');
  });

  it.each([
    ['count', { count: 3, chars: 100_000 }, 3],
    ['characters', { count: 100, chars: 400 }, 4],
  ])('the %s cap leaves the rest out with a note', (_l, caps, listed) => {
    const l = skillsListing(
      Array.from({ length: 10 }, (_, i) => skill(i)),
      caps,
    );
    expect(l.listed).toHaveLength(listed);
    expect(l.omitted).toBe(10 - listed);
    expect(l.text).toContain(`(${10 - listed} more skills are not listed`);
    expect(l.text.length).toBeLessThanOrEqual(caps.chars + 200);
  });

  it('nothing eligible: no text at all', () => {
    expect(skillsListing([]).text).toBe('');
  });
});

describe('skill catalog', () => {
  let home: string;
  let ws: string;
  const put = async (root: string, dir: string, text: string) => {
    await mkdir(join(root, 'skills', dir), { recursive: true });
    await writeFile(join(root, 'skills', dir, 'SKILL.md'), text);
  };
  const md = (name: string, desc: string, meta = '') => `---\nname: ${name}\ndescription: ${desc}\n${meta}---\nBody of ${name}.`;

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'sy-skills-'));
    ws = join(home, 'workspace');
    await mkdir(ws);
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  it('workspace skills win over shared ones of the same name; both roots are read', async () => {
    await put(ws, 'notes', md('notes', 'workspace notes'));
    await put(home, 'notes', md('notes', 'shared notes'));
    await put(home, 'shared', md('shared', 'only shared'));
    const snap = await createSkillCatalog({ home, env: {} }).snapshot('s1', ws);
    expect(snap.skills.map((s) => [s.name, s.description, s.displayPath])).toEqual([
      ['notes', 'workspace notes', 'skills/notes/SKILL.md'],
      ['shared', 'only shared', join(home, 'skills', 'shared', 'SKILL.md')],
    ]);
  });

  it('a missing binary or variable, or a bad file, makes a skill ineligible and says why', async () => {
    await put(ws, 'ok', md('ok', 'fine', 'metadata: {"requires": {"bins": ["sh"], "env": ["HAVE_IT"]}}\n'));
    await put(ws, 'nobin', md('nobin', 'x', 'metadata: {"requires": {"bins": ["no-such-binary-here-42"]}}\n'));
    await put(ws, 'noenv', md('noenv', 'x', 'metadata: {"requires": {"env": ["NOT_SET_VAR"]}}\n'));
    await put(ws, 'broken', 'no frontmatter');
    const snap = await createSkillCatalog({ home, env: { HAVE_IT: '1' } }).snapshot('s1', ws);
    const by = Object.fromEntries(snap.skills.map((s) => [s.name, s.problems]));
    expect(by).toEqual({
      ok: [],
      nobin: ['missing binary no-such-binary-here-42'],
      noenv: ['missing environment variable NOT_SET_VAR'],
      broken: [expect.stringMatching(/no frontmatter/)],
    });
    expect(snap.listing.listed).toEqual(['ok']);
  });

  it('a SKILL.md that links out of its folder is refused', async () => {
    await writeFile(join(home, 'secret.md'), md('secret', 'outside'));
    await mkdir(join(ws, 'skills', 'sneaky'), { recursive: true });
    await symlink(join(home, 'secret.md'), join(ws, 'skills', 'sneaky', 'SKILL.md'));
    const snap = await createSkillCatalog({ home, env: {} }).snapshot('s1', ws);
    expect(snap.skills[0]).toMatchObject({ eligible: false, problems: [expect.stringMatching(/outside/)] });
  });

  it('the snapshot stays the same object until a skill file changes, then is rebuilt', async () => {
    await put(ws, 'a', md('a', 'first'));
    const catalog = createSkillCatalog({ home, env: {} });
    const one = await catalog.snapshot('s1', ws);
    expect(await catalog.snapshot('s1', ws)).toBe(one);
    await put(ws, 'b', md('b', 'second'));
    const two = await catalog.snapshot('s1', ws);
    expect(two.listing.listed).toEqual(['a', 'b']);
    await writeFile(join(ws, 'skills', 'a', 'SKILL.md'), md('a', 'first, edited to be longer'));
    expect((await catalog.snapshot('s1', ws)).skills[0]!.description).toBe('first, edited to be longer');
  });

  it('find returns the body of an eligible skill by name, ignoring case', async () => {
    await put(home, 'Deploy', md('Deploy', 'ship it'));
    const s = await createSkillCatalog({ home, env: {} }).find(ws, 'deploy');
    expect(s).toMatchObject({ name: 'Deploy', body: 'Body of Deploy.' });
  });
});
