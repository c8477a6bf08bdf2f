// `switchyard service install|uninstall|status [--print] [--system] [--memory-max SIZE]`: runs the gateway as a
// systemd service. A user unit by default (~/.config/systemd/user/switchyard.service; `loginctl enable-linger`
// keeps it running without a login session), a system unit with --system (/etc/systemd/system, needs root).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, totalmem, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CliCommand, CliIo } from './types.js';
import { cliHome } from './home.js';
import { ENV_TEMPLATE, memoryMaxFor, parseSize, renderUnit, systemdSize } from './service-unit.js';

const UNIT_NAME = 'switchyard.service';

const USAGE = `Usage: switchyard service install|uninstall|status [--print] [--system] [--memory-max SIZE]

  install       write the systemd unit, then enable and start it
  uninstall     stop and disable it, remove the unit (the state directory is kept)
  status        systemctl status of the service
  --print       print the unit instead of installing it (nothing is changed)
  --system      a system-wide unit in /etc/systemd/system (run as root; the gateway runs as the invoking user)
  --memory-max  MemoryMax= (e.g. 300M, 1G); default 60 % of this board's RAM, between 256M and 1536M

Tokens go in $SWITCHYARD_HOME/service.env (created with mode 600). For a user unit that runs without you
being logged in (a Raspberry Pi after a reboot): sudo loginctl enable-linger $USER
`;

/** The checkout: the nearest directory above this module with a package.json (works from dist/ and from tsx). */
function checkoutRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the Switchyard checkout (no package.json above this file)');
}

function unitPath(env: Record<string, string | undefined>, system: boolean): string {
  if (system) return join('/etc/systemd/system', UNIT_NAME);
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(config, 'systemd', 'user', UNIT_NAME);
}

/** systemctl (SWITCHYARD_SYSTEMCTL overrides the binary: tests and unusual systems). */
function systemctl(env: Record<string, string | undefined>, system: boolean, args: string[], io: CliIo): number {
  const bin = env.SWITCHYARD_SYSTEMCTL || 'systemctl';
  const full = system ? args : ['--user', ...args];
  const r = spawnSync(bin, full, { encoding: 'utf8', env: { ...process.env, ...env } as NodeJS.ProcessEnv });
  if (r.error) {
    io.stderr.write(`service: could not run ${bin} ${full.join(' ')} (${r.error.message}): is this a systemd system?\n`);
    return 1;
  }
  if (r.stdout) io.stdout.write(r.stdout);
  if (r.stderr) io.stderr.write(r.stderr);
  return r.status ?? 1;
}

export const serviceCommand: CliCommand = {
  name: 'service',
  summary: 'install, remove or inspect the systemd service (install --print shows the unit)',
  usage: USAGE,
  async run(argv: string[], io: CliIo): Promise<number> {
    let values: { print?: boolean; system?: boolean; 'memory-max'?: string };
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { print: { type: 'boolean' }, system: { type: 'boolean' }, 'memory-max': { type: 'string' } },
      }));
    } catch (err) {
      io.stderr.write(`service: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    const action = positionals[0];
    if (positionals.length !== 1 || !['install', 'uninstall', 'status'].includes(action)) {
      io.stderr.write(`service: expected install, uninstall or status${action ? `, got ${positionals.join(' ')}` : ''}\n${USAGE}`);
      return 2;
    }
    const system = values.system === true;
    const env = io.env;
    const unitFile = unitPath(env, system);

    if (action === 'status') return systemctl(env, system, ['status', '--no-pager', UNIT_NAME], io);

    if (action === 'uninstall') {
      if (!existsSync(unitFile)) {
        io.stderr.write(`service: no unit at ${unitFile}: nothing to remove${system ? '' : ' (for a system unit add --system)'}\n`);
        return 1;
      }
      systemctl(env, system, ['disable', '--now', UNIT_NAME], io);
      await rm(unitFile);
      systemctl(env, system, ['daemon-reload'], io);
      io.stdout.write(`Removed ${unitFile}. The state directory is untouched.\n`);
      return 0;
    }

    let memoryMax = memoryMaxFor(totalmem());
    if (values['memory-max'] !== undefined) {
      const parsed = parseSize(values['memory-max']);
      if (parsed === undefined || parsed < 128 * 1024 * 1024) {
        io.stderr.write(`service: --memory-max ${values['memory-max']} is not a size of at least 128M (e.g. 300M, 1G)\n`);
        return 2;
      }
      memoryMax = parsed;
    }
    const home = cliHome(env);
    const envFile = join(home, 'service.env');
    const root = checkoutRoot();
    // Under sudo the gateway should still run as (and keep its state with) the person who asked.
    const user = system ? env.SUDO_USER || userInfo().username : undefined;
    const unit = renderUnit({ node: process.execPath, root, home, envFile, memoryMax, system, user });
    if (values.print) {
      io.stdout.write(unit);
      return 0;
    }
    try {
      await mkdir(home, { recursive: true, mode: 0o700 });
      if (!existsSync(envFile)) await writeFile(envFile, ENV_TEMPLATE, { mode: 0o600, flag: 'wx' });
      else if (((await stat(envFile)).mode & 0o077) !== 0) await chmod(envFile, 0o600);
      await mkdir(dirname(unitFile), { recursive: true });
      const previous = await readFile(unitFile, 'utf8').catch(() => undefined);
      await writeFile(unitFile, unit, { mode: 0o644 });
      io.stdout.write(`${previous === undefined ? 'Wrote' : 'Updated'} ${unitFile} (MemoryMax=${systemdSize(memoryMax)}).\n`);
    } catch (err) {
      io.stderr.write(`service: could not write the unit: ${(err as Error).message}${system ? ' (a system unit needs root: sudo)' : ''}\n`);
      return 1;
    }
    if (!existsSync(join(root, 'dist/runtime/main.js'))) {
      io.stderr.write(`service: ${root}/dist/runtime/main.js is missing, so the service cannot start yet: run npm run build in ${root}\n`);
    }
    if (systemctl(env, system, ['daemon-reload'], io) !== 0) return 1;
    if (systemctl(env, system, ['enable', '--now', UNIT_NAME], io) !== 0) return 1;
    const ctl = system ? 'systemctl' : 'systemctl --user';
    const logs = system ? 'journalctl -u switchyard -f' : 'journalctl --user -u switchyard -f';
    io.stdout.write(
      `Started. Tokens and keys: ${envFile} (mode 600), then ${ctl} restart switchyard.\nLogs: ${logs}\n` +
        (system ? '' : `To keep it running after you log out and across reboots: sudo loginctl enable-linger ${userInfo().username}\n`),
    );
    return 0;
  },
};
