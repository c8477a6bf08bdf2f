// The versioned workspace through the whole gateway: the workspace becomes a git repository, each run that changed
// files is committed as "<agentId>: <runId> — <files>" by Switchyard <switchyard@localhost> (with no git identity
// in HOME), a run that changed nothing is not, /context shows the last commit, nothing is pushed.
import { execFileSync } from 'node:child_process';
import { access, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../fakes/gateway-fixture.js';
import { changedPaths, commitMessage } from '../../runtime/context/workspace-git.js';

const web = useGateway();
const config = (extra: Record<string, unknown> = {}) => ({
  models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url } } },
  agents: { defaults: { model: { primary: 'anthropic/claude-test' }, ...extra } },
  commands: { ownerAllowFrom: ['webchat:alice'] },
  messages: { queue: { debounceMs: 0 } },
});

const gitIn = (dir: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } }).trim();

describe('versioned workspace', () => {
  it('commits each run that changed files, as Switchyard, without a git identity in HOME', async () => {
    const emptyHome = await mkdtemp(join(tmpdir(), 'sy-nohome-'));
    const h = await web.start({ config: config(), env: { ANTHROPIC_API_KEY: 'key-a', HOME: emptyHome } });
    web.fake.script(
      'key-a',
      { toolCalls: [{ id: 'call_w', name: 'write', args: { path: 'notes/plan.md', content: 'step one' } }] },
      { text: 'written' },
      { text: 'just talk' },
    );
    const alice = await web.connect('alice');
    alice.send('write the plan');
    expect((await alice.reply()).text).toBe('written');
    alice.send('how are you?');
    expect((await alice.reply()).text).toBe('just talk');
    await h.gw.gateway.lanes.idle();

    const ws = join(h.home, 'workspace');
    const log = gitIn(ws, 'log', '--format=%an <%ae>|%cn <%ce>|%s').split('\n');
    const runId = h.log.lines.find((l) => l.msg === 'run start')!.data!.runId as string;
    expect(log).toEqual([
      `Switchyard <switchyard@localhost>|Switchyard <switchyard@localhost>|main: ${runId} — notes/plan.md`,
      'Switchyard <switchyard@localhost>|Switchyard <switchyard@localhost>|main: workspace as it was found',
    ]);
    expect(gitIn(ws, 'show', '--stat', '--format=', 'HEAD')).toContain('notes/plan.md');
    expect(gitIn(ws, 'remote')).toBe('');
    expect(gitIn(ws, 'status', '--porcelain')).toBe('');

    alice.send('/context list');
    const hash = gitIn(ws, 'rev-parse', 'HEAD').slice(0, 10);
    expect((await alice.reply()).text).toMatch(new RegExp(`Workspace git: last commit ${hash} \\S+ \\S+ "main: ${runId} — notes/plan.md"`));
  });

  it('agents.defaults.workspaceGit false: no repository', async () => {
    const h = await web.start({ config: config({ workspaceGit: false }), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.script('key-a', { toolCalls: [{ id: 'call_w', name: 'write', args: { path: 'a.txt', content: 'x' } }] }, { text: 'ok' });
    const alice = await web.connect('alice');
    alice.send('write');
    await alice.reply();
    await h.gw.gateway.lanes.idle();
    await expect(access(join(h.home, 'workspace', '.git'))).rejects.toThrow();
    alice.send('/context list');
    expect((await alice.reply()).text).toContain('Workspace git: off');
  });
});

describe('commit messages', () => {
  it('name at most five files and count the rest', () => {
    expect(commitMessage('main', 'r1', ['a', 'b'])).toBe('main: r1 — a, b');
    expect(commitMessage('main', 'r1', ['a', 'b', 'c', 'd', 'e', 'f', 'g'])).toBe('main: r1 — a, b, c, d, e and 2 more');
  });
  it('read renames and untracked files from porcelain -z output', () => {
    expect(changedPaths(' M a.txt\0?? new dir/b.md\0R  new.md\0old.md\0')).toEqual(['a.txt', 'new dir/b.md', 'new.md']);
  });
});
