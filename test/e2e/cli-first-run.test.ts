// A new user's first runs of `node runtime/main.ts` (what `npm start` runs after building): the printed URL works,
// Ctrl-C stops cleanly, the token is kept, and every way start-up can fail is one clear line on stderr naming
// what to change — never a stack trace.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'sy-first-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

function start(args: string[], env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'runtime/main.ts'), ...args], {
    cwd: ROOT,
    // No model keys from the developer's environment: this is the no-config, no-key first run.
    env: { PATH: process.env.PATH ?? '', HOME: home, SWITCHYARD_HOME: home, ...env },
  });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (output.stdout += d));
  child.stderr!.on('data', (d) => (output.stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const exited = new Promise<number | null>((done) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      done(code);
    }),
  );
  return { child, output, exited };
}

async function run(args: string[], env: Record<string, string> = {}) {
  const s = start(args, env);
  const code = await s.exited;
  return { code, ...s.output };
}

async function waitForUrl(s: Started): Promise<string> {
  for (;;) {
    const m = /Web chat: (http:\/\/\S+)/.exec(s.output.stdout);
    if (m) return m[1]!;
    const code = await Promise.race([s.exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 50))]);
    if (code !== 'wait') throw new Error(`the gateway exited (${code}) before printing its URL:\n${s.output.stderr}`);
  }
}

/** One line on stderr, no stack frames. */
function expectOneLine(stderr: string) {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('first run from the command line', () => {
  it('prints a working web chat URL, says no model is set, stops on SIGINT with 0 and keeps its token', async () => {
    await writeFile(join(home, 'switchyard.json'), '{ gateway: { port: 0 } }');
    const first = start([]);
    const url = await waitForUrl(first);
    const token = /#token=(\S+)/.exec(url)![1]!;
    const base = url.split('/#')[0]!;
    expect((await readFile(join(home, 'gateway-token'), 'utf8')).trim()).toBe(token);
    expect(first.output.stdout).toContain(`Control page: ${base}/control#token=${token}`);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ready: true });
    expect((await fetch(`${base}/`)).headers.get('content-type')).toMatch(/text\/html/);
    // The log is JSON lines; the banner says in plain words what to set.
    expect(first.output.stdout).toMatch(/No model is configured\. Set ANTHROPIC_API_KEY or OPENAI_API_KEY/);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output.stderr).toBe('');
    expect(first.output.stdout).toMatch(/"msg":"stopped"/);

    const second = start([]);
    expect(await waitForUrl(second)).toContain(`#token=${token}`);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('a port already in use: one line naming gateway.port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await writeFile(join(home, 'switchyard.json'), `{ gateway: { port: ${port} } }`);
      const r = await run([]);
      expect(r.code).toBe(1);
      expectOneLine(r.stderr);
      expect(r.stderr).toContain(`gateway.port ${port}`);
      expect(r.stderr).toMatch(/already in use/);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('a state directory that cannot be created: one line naming it and SWITCHYARD_HOME', async () => {
    await writeFile(join(home, 'a-file'), 'not a directory');
    const bad = join(home, 'a-file', 'state');
    const r = await run([], { SWITCHYARD_HOME: bad });
    expect(r.code).toBe(1);
    expectOneLine(r.stderr);
    expect(r.stderr).toContain(bad);
    expect(r.stderr).toContain('SWITCHYARD_HOME');
  });

  it('--config with a JSON5 syntax error names the file, line and column', async () => {
    const file = join(home, 'mine.json5');
    await writeFile(file, '{\n  gateway: { port: 18790,, }\n}\n');
    const r = await run(['--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mine\.json5:2:26/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('a config nested 200,000 levels deep, or with a "__proto__" key: a short error naming the file, no stack', async () => {
    const deep = join(home, 'deep.json');
    await writeFile(deep, '{"gateway":' + '{"a":'.repeat(200_000) + '1' + '}'.repeat(200_001));
    const r = await run(['--config', deep]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/deep\.json: gateway\.a\.a.*nested more than 32 levels deep/);
    expect(r.stderr).not.toMatch(/^\s+at |Maximum call stack/m);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);

    const proto = join(home, 'proto.json');
    await writeFile(proto, '{ "gateway": { "__proto__": { "port": 1 } } }');
    const p = await run(['--config', proto]);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/proto\.json: gateway\.__proto__: "__proto__" is not allowed as a key/);
    expect(p.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
  });

  it('an unknown flag: one line that points to --help; --help prints usage and exits 0', async () => {
    const bad = await run(['--port', '80']);
    expect(bad.code).toBe(1);
    expectOneLine(bad.stderr);
    expect(bad.stderr).toMatch(/unknown argument --port.*--config PATH.*--help/);

    const level = await run(['--log-level', 'loud']);
    expect(level.code).toBe(1);
    expectOneLine(level.stderr);
    expect(level.stderr).toMatch(/--log-level needs one of trace, debug, info, warn, error, fatal, silent, not "loud"/);

    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: /);
    expect(help.stdout).toContain('--config PATH');
    expect(help.stdout).toContain('--log-level LEVEL');
    expect(help.stderr).toBe('');
  });
});
