// The gateway as a user starts it: a bad config exits 1 naming the key; a non-loopback bind needs a token.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'sy-cli-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}, preload: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...preload.flatMap((p) => ['--import', p]), join(ROOT, 'runtime/main.ts'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: home, SWITCHYARD_HOME: home, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('command line', () => {
  it('a bad config exits 1 with the dotted path, what was expected and what was found', async () => {
    await writeFile(join(home, 'switchyard.json'), '{ gateway: { port: "eighty", bogus: 1 }, agents: { list: [{ id: "main", model: { primary: "nope" } }] } }');
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gateway\.port/);
    expect(r.stderr).toMatch(/eighty/);
    expect(r.stderr).toMatch(/gateway\.bogus: unknown key/);
    expect(r.stderr).toMatch(/agents\.list\[0\]\.model\.primary/);
  });

  it('--config PATH that does not exist exits 1 naming it', async () => {
    const r = await run(['--config', join(home, 'nope.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nope.json');
  });

  it('a non-loopback bind without a token refuses to start', async () => {
    await writeFile(join(home, 'switchyard.json'), '{ gateway: { bind: "lan", port: 0 } }');
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gateway\.auth\.token/);
    expect(r.stderr).toMatch(/SWITCHYARD_GATEWAY_TOKEN/);
  });

  it.each([
    ['an uncaught exception', 'throw', 'uncaught exception'],
    ['an unhandled rejection', 'reject', 'unhandled promise rejection'],
  ])('%s is logged with its stack and cause, and the process exits non-zero', async (_name, mode, what) => {
    await writeFile(join(home, 'switchyard.json'), '{ gateway: { port: 0 } }');
    const r = await run([], { FAIL: mode }, [join(ROOT, 'test/fixtures/process/fail-after-start.ts')]);
    expect(r.code).toBe(1);
    const line = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; err?: { stack?: string } })
      .find((l) => l.msg.startsWith(what));
    expect(line, r.stdout).toBeDefined();
    expect(line!.level).toBe(50); // error
    expect(line!.err?.stack).toContain('Error: boom from a module');
    expect(line!.err?.stack).toContain('caused by: Error: the root cause');
  });
});
