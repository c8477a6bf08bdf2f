// Skills through the whole gateway: the system prompt lists eligible skills (never their bodies), the model reads a
// SKILL.md on demand with the read tool (also a shared one outside the workspace), the list follows file changes,
// ineligible skills show in /context detail, and /skill runs a turn with a skill's instructions.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeRequest } from '../fakes/fake-anthropic.js';
import { useGateway } from '../fakes/gateway-fixture.js';
import { tempHome } from '../fakes/gateway-harness.js';

const web = useGateway();
const env = { ANTHROPIC_API_KEY: 'key-a' };
const config = () => ({
  models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url } } },
  agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
  commands: { ownerAllowFrom: ['webchat:alice'] },
});

const system = (r: FakeRequest) => String(r.body.system ?? '');
const lastUser = (r: FakeRequest) => JSON.stringify((r.body.messages as unknown[]).at(-1));

async function skill(root: string, dir: string, front: string, body: string) {
  await mkdir(join(root, 'skills', dir), { recursive: true });
  await writeFile(join(root, 'skills', dir, 'SKILL.md'), `---\n${front}\n---\n${body}\n`);
}

async function homeWithSkills() {
  const home = await tempHome();
  const ws = join(home, 'workspace');
  await skill(ws, 'weather', 'name: weather\ndescription: Weather forecasts for a city', 'WEATHER-BODY: call wttr.in for the city.');
  await skill(home, 'shared-notes', 'name: shared-notes\ndescription: Keep notes tidy', 'SHARED-BODY: sort notes by date.');
  await skill(ws, 'needs-bin', 'name: needs-bin\ndescription: x\nmetadata: {"requires": {"bins": ["no-such-binary-xyz"]}}', 'NEEDS-BIN-BODY');
  await skill(ws, 'needs-env', 'name: needs-env\ndescription: y\nmetadata: {"requires": {"env": ["SKILL_TOKEN_MISSING"]}}', 'NEEDS-ENV-BODY');
  return { home, ws };
}

describe('skills', () => {
  it('lists eligible skills compactly; bodies and ineligible skills stay out; /context detail says why', async () => {
    const { home } = await homeWithSkills();
    await web.start({ home, config: config(), env });
    const alice = await web.connect('alice');
    alice.send('hello');
    await alice.reply();
    const sys = system(web.fake.requests[0]!);
    expect(sys).toContain('- weather: Weather forecasts for a city (skills/weather/SKILL.md)');
    expect(sys).toContain(`- shared-notes: Keep notes tidy (${join(home, 'skills', 'shared-notes', 'SKILL.md')})`);
    expect(sys).not.toMatch(/WEATHER-BODY|SHARED-BODY|needs-bin|needs-env/);
    alice.send('/context detail');
    const detail = (await alice.reply()).text!;
    expect(detail).toContain('Skills: 2 listed, 2 not eligible (weather, shared-notes)');
    expect(detail).toContain('  needs-bin: missing binary no-such-binary-xyz');
    expect(detail).toContain('  needs-env: missing environment variable SKILL_TOKEN_MISSING');
  });

  it('the model reads a shared SKILL.md with the read tool when it needs it', async () => {
    const { home } = await homeWithSkills();
    await web.start({ home, config: config(), env });
    const path = join(home, 'skills', 'shared-notes', 'SKILL.md');
    web.fake.script('key-a', { toolCalls: [{ id: 'call_r', name: 'read', args: { path } }] }, { text: 'sorted' });
    const alice = await web.connect('alice');
    alice.send('tidy my notes');
    expect((await alice.reply()).text).toBe('sorted');
    expect(lastUser(web.fake.requests[1]!)).toContain('SHARED-BODY: sort notes by date.');
  });

  it('a skill added while the gateway runs shows up in the next turn', async () => {
    const { home, ws } = await homeWithSkills();
    await web.start({ home, config: config(), env });
    const alice = await web.connect('alice');
    alice.send('one');
    await alice.reply();
    expect(system(web.fake.requests[0]!)).not.toContain('- recipes:');
    await skill(ws, 'recipes', 'name: recipes\ndescription: Cooking help', 'RECIPES-BODY');
    alice.send('two');
    await alice.reply();
    expect(system(web.fake.requests[1]!)).toContain('- recipes: Cooking help (skills/recipes/SKILL.md)');
  });

  it('/skill <name> text runs one turn with the instructions; the answer is the only reply', async () => {
    const { home } = await homeWithSkills();
    await web.start({ home, config: config(), env });
    web.fake.script('key-a', { text: 'Sunny in Lisbon' });
    const alice = await web.connect('alice');
    alice.send('/skill weather Lisbon tomorrow');
    expect((await alice.reply()).text).toBe('Sunny in Lisbon');
    const turn = lastUser(web.fake.requests[0]!);
    expect(turn).toContain('WEATHER-BODY: call wttr.in for the city.');
    expect(turn).toContain('Request: Lisbon tomorrow');
    alice.send('/skill needs-bin');
    expect((await alice.reply()).text).toBe('The skill needs-bin cannot run here: missing binary no-such-binary-xyz.');
    alice.send('/skill nope');
    expect((await alice.reply()).text).toBe('No skill "nope". Skills: weather, shared-notes.');
    expect(web.fake.requests).toHaveLength(1);
    expect(alice.frames.filter((f) => f.type === 'message')).toHaveLength(3);
  });
});
