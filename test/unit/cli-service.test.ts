// switchyard service: the unit it writes (restart policy, memory ceiling, tokens from a mode-600 file, journald) and
// the systemctl calls it makes, against a fake systemctl that records its arguments.
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serviceCommand } from '../../runtime/cli/service.js';
import { memoryMaxFor, parseSize } from '../../runtime/cli/service-unit.js';
import type { CliIo } from '../../runtime/cli/types.js';

let dir: string;
let env: Record<string, string>;

function io(): CliIo & { out: string; err: string } {
  const r = { out: '', err: '', env, isTTY: false, stdout: { write: (s: string) => (r.out += s) }, stderr: { write: (s: string) => (r.err += s) } };
  return r;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sy-service-'));
  const fake = join(dir, 'systemctl');
  await writeFile(fake, `#!/bin/sh\necho "$@" >> "${dir}/calls"\n[ "$2" = "status" ] && { echo "active (running)"; exit 3; }\nexit 0\n`);
  await chmod(fake, 0o755);
  env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), SWITCHYARD_HOME: join(dir, 'state'), SWITCHYARD_SYSTEMCTL: fake };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const calls = async () => (await readFile(join(dir, 'calls'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);

describe('switchyard service', () => {
  it('--print shows the unit and changes nothing', async () => {
    const o = io();
    expect(await serviceCommand.run(['install', '--print', '--memory-max', '300M'], o)).toBe(0);
    expect(o.out).toMatch(/^Restart=on-failure$/m);
    expect(o.out).toMatch(/^MemoryMax=300M$/m);
    expect(o.out).toMatch(/^StandardOutput=journal$/m);
    expect(o.out).toContain(`EnvironmentFile=-${join(dir, 'state', 'service.env')}`);
    expect(o.out).toContain(`Environment=SWITCHYARD_HOME=${join(dir, 'state')}`);
    expect(o.out).toMatch(/^ExecStart=\S+node\S* --max-semi-space-size=2 --max-old-space-size=180 \S+\/dist\/runtime\/main\.js$/m);
    expect(o.out).toMatch(/^WantedBy=default.target$/m);
    expect(await calls()).toEqual([]);
    await expect(stat(join(dir, 'config'))).rejects.toThrow();
  });

  it('--system prints a unit for multi-user.target that runs as the invoking user', async () => {
    env.SUDO_USER = 'pi';
    const o = io();
    expect(await serviceCommand.run(['install', '--system', '--print'], o)).toBe(0);
    expect(o.out).toMatch(/^User=pi$/m);
    expect(o.out).toMatch(/^WantedBy=multi-user.target$/m);
  });

  it('install writes the unit and a mode-600 env file, reloads, enables and starts; uninstall undoes it', async () => {
    const o = io();
    expect(await serviceCommand.run(['install'], o)).toBe(0);
    const unit = await readFile(join(dir, 'config/systemd/user/switchyard.service'), 'utf8');
    expect(unit).toMatch(/^Restart=on-failure$/m);
    const envFile = join(dir, 'state', 'service.env');
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    expect(await calls()).toEqual(['--user daemon-reload', '--user enable --now switchyard.service']);
    expect(o.out).toContain('loginctl enable-linger');

    const u = io();
    expect(await serviceCommand.run(['uninstall'], u)).toBe(0);
    await expect(stat(join(dir, 'config/systemd/user/switchyard.service'))).rejects.toThrow();
    expect((await calls()).slice(2)).toEqual(['--user disable --now switchyard.service', '--user daemon-reload']);
  });

  it('install tightens an existing env file to mode 600', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'state'));
    await writeFile(join(dir, 'state', 'service.env'), 'TELEGRAM_BOT_TOKEN=1:x\n', { mode: 0o644 });
    const o = io();
    expect(await serviceCommand.run(['install'], o)).toBe(0);
    expect((await stat(join(dir, 'state', 'service.env'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'state', 'service.env'), 'utf8')).toBe('TELEGRAM_BOT_TOKEN=1:x\n');
  });

  it('status passes systemctl through, exit code included; bad arguments are usage errors', async () => {
    const o = io();
    expect(await serviceCommand.run(['status'], o)).toBe(3);
    expect(o.out).toContain('active (running)');
    const bad = io();
    expect(await serviceCommand.run(['restart'], bad)).toBe(2);
    expect(bad.err).toContain('expected install, uninstall or status');
    const size = io();
    expect(await serviceCommand.run(['install', '--memory-max', 'lots'], size)).toBe(2);
  });

  it('sizes MemoryMax for the board', () => {
    const MiB = 1024 * 1024;
    expect(memoryMaxFor(512 * MiB)).toBe(307 * MiB);
    expect(memoryMaxFor(256 * MiB)).toBe(256 * MiB);
    expect(memoryMaxFor(8192 * MiB)).toBe(1536 * MiB);
    expect(parseSize('1.5G')).toBe(1536 * MiB);
    expect(parseSize('300M')).toBe(300 * MiB);
    expect(parseSize('x')).toBeUndefined();
  });
});
