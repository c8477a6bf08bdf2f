// `switchyard doctor`: checks what a gateway on this machine needs, one line each (OK / WARN / FAIL and the fix).
// Exits 1 only when something FAILs; network checks that cannot reach their server WARN.
import { freemem, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { ChannelModule } from '../types/channel.js';
import type { CliCommand, CliIo } from './types.js';
import { cliHome } from './home.js';
import {
  checkBubblewrap,
  checkClock,
  checkConfig,
  checkDisk,
  checkGit,
  checkMemory,
  checkModel,
  checkNode,
  checkPermissions,
  checkPlatforms,
  runProgram,
  type CheckResult,
  type DoctorEnv,
} from './doctor-checks.js';

const USAGE = `Usage: switchyard doctor [--json] [--offline]

Checks Node, the state directory and its permissions, the config, each platform's token (and, online, asks the
platform), the model, bubblewrap, git, disk space, the clock and memory. One line per check: OK, WARN or FAIL with
the fix. Exit code 1 when a check FAILs, 0 otherwise. --offline skips the checks that need the network.
`;

export async function runDoctor(d: DoctorEnv, opts: { offline?: boolean } = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [checkNode()];
  const perms = await checkPermissions(d);
  results.push(...perms);
  const { result, config } = await checkConfig(d);
  results.push(result);
  const online = !opts.offline;
  if (config) {
    if (online) results.push(...(await checkPlatforms(d, config)), await checkModel(d, config));
    else results.push({ name: 'network', level: 'WARN', detail: 'platform tokens, the model and the clock were not checked (--offline)' });
  }
  results.push(checkBubblewrap(d, config), checkGit(d), await checkDisk(d));
  if (online) results.push(await checkClock(d, config));
  results.push(checkMemory(d, config));
  return results;
}

const COLOURS: Record<CheckResult['level'], string> = { OK: '\x1b[32m', WARN: '\x1b[33m', FAIL: '\x1b[31m' };

export function formatResults(results: CheckResult[], colour: boolean): string {
  const width = Math.max(...results.map((r) => r.name.length));
  return results
    .map((r) => {
      const level = r.level.padEnd(4);
      return `${colour ? `${COLOURS[r.level]}${level}\x1b[0m` : level}  ${r.name.padEnd(width)}  ${r.detail}`;
    })
    .join('\n');
}

/** The command; `channelModules` is bots/registry.ts's list, which only the composition root may import. */
export function createDoctorCommand(deps: { channelModules: readonly ChannelModule[] }): CliCommand {
  return {
    name: 'doctor',
    summary: 'check this machine, the state directory, the config, tokens and the model (OK / WARN / FAIL)',
    usage: USAGE,
    async run(argv: string[], io: CliIo): Promise<number> {
      let values: { json?: boolean; offline?: boolean };
      try {
        ({ values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, offline: { type: 'boolean' } } }));
      } catch (err) {
        io.stderr.write(`doctor: ${(err as Error).message}\n${USAGE}`);
        return 2;
      }
      const d: DoctorEnv = {
        home: cliHome(io.env),
        modules: deps.channelModules,
        env: io.env,
        now: () => Date.now(),
        fetch: globalThis.fetch,
        memory: () => ({ total: totalmem(), available: freemem() }),
        timeoutMs: 5000,
        run: runProgram,
      };
      const results = await runDoctor(d, { offline: values.offline });
      const failed = results.filter((r) => r.level === 'FAIL').length;
      const warned = results.filter((r) => r.level === 'WARN').length;
      if (values.json) io.stdout.write(JSON.stringify({ ok: failed === 0, results }, null, 2) + '\n');
      else io.stdout.write(`${formatResults(results, io.isTTY)}\n\n${failed} failed, ${warned} warnings, ${results.length - failed - warned} ok\n`);
      return failed > 0 ? 1 : 0;
    },
  };
}
