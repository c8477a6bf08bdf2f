// Printing for the CLI: colour only on a terminal (and never with NO_COLOR), JSON for scripts, relative times.
import { parseArgs, styleText, type ParseArgsConfig } from 'node:util';
import { CliError, EXIT } from './gateway-client.js';
import type { CliIo } from './types.js';

type Style = Parameters<typeof styleText>[0];

export function painter(io: CliIo): (style: Style, s: string) => string {
  const on = io.isTTY && !io.env.NO_COLOR;
  // validateStream off: whether to colour is decided here (io.isTTY), not by process.stdout.
  return (style, s) => (on ? styleText(style, s, { validateStream: false }) : s);
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function ago(ts: number | undefined, now = Date.now()): string {
  if (ts === undefined) return '—';
  const s = Math.round((now - ts) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86_400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Columns padded to their widest cell (colour codes excluded from the width). */
export function table(rows: string[][]): string {
  const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => plain(r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i] - plain(c).length))).join('  ')).join('\n') + '\n';
}

/** node:util parseArgs with our usage errors: unknown options and bad values name themselves and exit 2. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.usage);
  }
}

export function count(value: string | undefined, name: string, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError(`${name} must be a whole number from 1 to ${max}, not "${value}"`, EXIT.usage);
  return n;
}

/** `<command> --help`: the usage text, exit 0. */
export function help(io: CliIo, text: string): number {
  io.stdout.write(text);
  return EXIT.ok;
}
