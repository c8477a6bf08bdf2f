// exec in bubblewrap: workspace read-write, system read-only, private /tmp, scrubbed environment, no network
// (a server on the host's 127.0.0.1 is unreachable) unless enabled, timeouts kill; host mode shares limits.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '../../runtime/config/schema.js';
import { execTool } from '../../runtime/tools/exec.js';
import { findBwrap, runOnHost, runSandboxed, SandboxUnavailableError, type SandboxRequest } from '../../runtime/tools/sandbox.js';
import type { ToolContext } from '../../runtime/tools/types.js';
import { FakeClock } from '../fakes/fake-clock.js';

const hasBwrap = existsSync('/usr/bin/bwrap') || existsSync('/bin/bwrap');
/** Starting bubblewrap takes a while on two loaded cores (other test files fork and allocate meanwhile). */
const bash = ['/usr/bin/bash', '/bin/bash'].find((p) => existsSync(p));

let root: string;
let ws: string;
let server: http.Server;
let port: number;
let hits = 0;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    hits++;
    res.end('hello from the host');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'sy-sandbox-'));
  await mkdir(path.join(root, 'ws'));
  ws = await realpath(path.join(root, 'ws'));
  hits = 0;
});
afterEach(async () => {
  delete process.env.SWITCHYARD_TEST_SECRET;
  await rm(root, { recursive: true, force: true });
});

function req(command: string, over: Partial<SandboxRequest> = {}): SandboxRequest {
  return { command, cwd: ws, network: false, timeoutMs: 15_000, maxOutputBytes: 100_000, ...over };
}

/** A shell line that GETs the host server over raw TCP (no curl needed) and prints the reply. */
function tcpGet(): string {
  return `${bash} -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3'`;
}

/**
 * Waits for a state of real processes (spawned shells and sleeps run on the machine's time, not the fake clock).
 * The bound is generous: on a busy machine starting a process group and reading /proc takes well over the 1 s
 * vi.waitFor allows by default, which made these tests fail at random.
 */
async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function processesWith(marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const [cmd, stat] = await Promise.all([readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')]);
    // Zombies (state Z) are dead already; they only wait to be reaped by their parent.
    if (cmd.includes(marker) && !/^\d+ \(.*\) Z/.test(stat)) found.push(pid);
  }
  return found;
}

describe.skipIf(!hasBwrap)('runSandboxed (bubblewrap)', () => {
  it('sees the workspace read-write and as cwd, the system read-only, a private /tmp', async () => {
    await writeFile(path.join(root, 'outside.txt'), 'not for the sandbox');
    const res = await runSandboxed(
      req(
        [
          'pwd',
          'echo made-inside > made.txt',
          'cat made.txt',
          'touch /usr/should-fail 2>&1 || echo usr-readonly',
          'echo x > /etc/should-fail 2>&1 || echo etc-readonly',
          `cat ${path.join(root, 'outside.txt')} 2>&1 || echo outside-invisible`,
          'cat /etc/shadow >/dev/null 2>&1 || echo shadow-hidden',
          'ls /tmp',
        ].join('; '),
      ),
    );
    expect(res.exitCode).toBe(0);
    const lines = res.output.trim().split('\n');
    expect(lines[0]).toBe(ws);
    expect(lines).toContain('made-inside');
    expect(res.output).toContain('usr-readonly');
    expect(res.output).toContain('etc-readonly');
    expect(res.output).toContain('outside-invisible');
    expect(res.output).not.toContain('not for the sandbox');
    expect(res.output).toContain('shadow-hidden');
    // Only the path down to the workspace exists in the private /tmp.
    expect(lines[lines.length - 1]).toBe(path.relative('/tmp', ws).split('/')[0]);
    expect(await readFile(path.join(ws, 'made.txt'), 'utf8')).toBe('made-inside\n');
    expect(existsSync('/usr/should-fail')).toBe(false);
  });

  it("scrubs the environment: the gateway's secrets never reach the command", async () => {
    process.env.SWITCHYARD_TEST_SECRET = 'sk-ant-fake-secret-123';
    const res = await runSandboxed(req('env'));
    expect(res.exitCode).toBe(0);
    // Not through the sandbox's own init process either (bwrap is started with the minimal env too).
    const init = await runSandboxed(req('tr "\\0" "\\n" < /proc/1/environ'));
    expect(init.output).toContain('PATH=');
    expect(init.output).not.toContain('sk-ant-fake-secret-123');
    expect(res.output).not.toContain('sk-ant-fake-secret-123');
    expect(res.output).not.toContain('SWITCHYARD_TEST_SECRET');
    const vars = res.output
      .trim()
      .split('\n')
      .map((l) => l.split('=')[0])
      .sort();
    expect(vars).toEqual(expect.arrayContaining(['HOME', 'LANG', 'PATH']));
    expect(res.output).toContain(`HOME=${ws}`);
    expect(vars.filter((v) => !['HOME', 'LANG', 'PATH', 'PWD', 'SHLVL', '_', 'OLDPWD'].includes(v))).toEqual([]);
  });

  it.skipIf(!bash)("cannot reach a server on the host's 127.0.0.1 without network; can with network", async () => {
    const off = await runSandboxed(req(`${tcpGet()} || echo NO-CONNECTION`));
    expect(off.output).toContain('NO-CONNECTION');
    expect(off.output).not.toContain('hello from the host');
    expect(hits).toBe(0);

    const on = await runSandboxed(req(tcpGet(), { network: true }));
    expect(on.output).toContain('hello from the host');
    expect(hits).toBe(1);
  });

  it('kills the command (and everything it started) when the wall time runs out', async () => {
    const clock = new FakeClock();
    const marker = `${(Date.now() % 100000) + 900000}`;
    const run = runSandboxed(req(`sleep ${marker} & sleep ${marker}`, { timeoutMs: 5000 }), { clock });
    await until(async () => clock.pendingCount() === 1 && (await processesWith(`sleep\0${marker}`)).length === 2, 'both sleeps running');
    await clock.advance(5000);
    const res = await run;
    expect(res.timedOut).toBe(true);
    expect(res.exitCode).toBe(137);
    expect(res.output).toMatch(/killed: the command ran longer than 5s/);
    await until(async () => (await processesWith(`sleep\0${marker}`)).length === 0, 'no sleep left');
  });

  it('caps output and says so', async () => {
    const res = await runSandboxed(req('i=0; while [ $i -lt 5000 ]; do echo "line $i"; i=$((i+1)); done', { maxOutputBytes: 3000 }));
    expect(res.truncated).toBe(true);
    expect(res.output).toMatch(/^line 0\n/);
    expect(res.output).toMatch(/\[output cut: \d+ bytes not shown\]/);
    expect(res.output.trimEnd()).toMatch(/line 4999$/);
    expect(res.output.length).toBeLessThan(3100);
  });

  it('reports the exit code of a failing command', async () => {
    const res = await runSandboxed(req('echo oops >&2; exit 7'));
    expect(res).toMatchObject({ exitCode: 7, timedOut: false, truncated: false });
    expect(res.output).toBe('oops\n');
  });
});

describe('when bubblewrap is missing', () => {
  it('refuses with the install command', async () => {
    expect(await findBwrap('/nonexistent-dir')).toBeNull();
    const err = await runSandboxed(req('true'), { bwrapPath: '/nonexistent-dir/bwrap' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    expect((err as Error).message).toContain('sudo apt-get install bubblewrap');
  });
});

describe('exec tool and sandbox modes', () => {
  const ctx = (isOwnerMain: boolean): ToolContext => ({
    runId: 'r',
    sessionKey: 'agent:main:main',
    agentId: 'main',
    workspace: ws,
    origin: { channel: 'telegram', accountId: 'default', chat: { kind: 'direct', id: '1' }, senderId: '1' },
    isOwnerMain,
    signal: new AbortController().signal,
  });
  const config = (sandbox: NonNullable<NonNullable<ConfigInput['agents']>['defaults']>['sandbox']) => {
    const c = configSchema.parse({ agents: { defaults: { sandbox } } });
    return () => c;
  };

  it("mode non-main runs the owner's main session on the host, with the same scrubbed env", async () => {
    process.env.SWITCHYARD_TEST_SECRET = 'sk-ant-fake-secret-456';
    await writeFile(path.join(root, 'outside.txt'), 'host-visible');
    const tool = execTool({ config: config({ mode: 'non-main' }), sandbox: hasBwrap ? {} : { bwrapPath: '/nonexistent/bwrap' } });
    const cmd = `cat ${path.join(root, 'outside.txt')} 2>/dev/null || echo sandboxed; env`;
    const host = await tool.run({ command: cmd }, ctx(true));
    expect(host.content).toContain('host-visible');
    expect(host.content).not.toContain('sk-ant-fake-secret-456');
    expect(host.content).toMatch(/\[exit code 0\]$/);
    if (hasBwrap) {
      const other = await tool.run({ command: cmd }, ctx(false));
      expect(other.content).toContain('sandboxed');
      expect(other.content).not.toContain('host-visible');
    }
  });

  it('a sandboxed exec without bwrap is an error result naming the install command', async () => {
    const tool = execTool({ config: config({ mode: 'all' }), sandbox: { bwrapPath: '/nonexistent/bwrap' } });
    const out = await tool.run({ command: 'echo hi' }, ctx(true));
    expect(out.isError).toBe(true);
    expect(out.content).toContain('sudo apt-get install bubblewrap');
  });

  it('host mode kills the whole process group on timeout', async () => {
    const clock = new FakeClock();
    const marker = `${(Date.now() % 100000) + 800000}`;
    const run = runOnHost(req(`sleep ${marker} & sleep ${marker}`, { timeoutMs: 1000 }), { clock });
    await until(async () => clock.pendingCount() === 1 && (await processesWith(`sleep\0${marker}`)).length === 2, 'both sleeps running');
    await clock.advance(1000);
    expect(await run).toMatchObject({ timedOut: true, exitCode: 137 });
    await until(async () => (await processesWith(`sleep\0${marker}`)).length === 0, 'no sleep left');
  });
});
