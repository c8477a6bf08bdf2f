// `switchyard <command> [args]`: the CLI entry. Finds the command in the table, runs it with real stdio, and turns
// a CliError into one clear line on stderr and its exit code (2 usage, 3 gateway not running, 4 token refused).
import { pathToFileURL } from 'node:url';
import { commands } from './commands.js';
import { CliError, EXIT } from './gateway-client.js';
import { VERSION } from '../version.js';
import type { CliCommand, CliIo } from './types.js';

export function usage(table: readonly CliCommand[] = commands): string {
  const width = Math.max(...table.map((c) => c.name.length));
  return [
    'Usage: switchyard <command> [options]',
    '',
    'Talks to the running gateway (state directory $SWITCHYARD_HOME, default ~/.switchyard; the token from',
    'SWITCHYARD_GATEWAY_TOKEN or its gateway-token file).',
    '',
    ...table.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "switchyard <command> --help shows a command's options; most take --json.",
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo, table: readonly CliCommand[] = commands): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage(table));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`switchyard ${VERSION}\n`);
    return EXIT.ok;
  }
  const cmd = table.find((c) => c.name === name);
  if (!cmd) {
    io.stderr.write(`switchyard: unknown command "${name}"\n\n${usage(table)}`);
    return EXIT.usage;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr.write(`switchyard ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr.write(`switchyard ${name} failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.failed;
  }
}

const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env, isTTY: process.stdout.isTTY === true });

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(process.argv.slice(2), processIo()).then((code) => {
    process.exitCode = code;
  });
}

export { processIo };
