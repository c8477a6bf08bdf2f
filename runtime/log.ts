// The process logger: pino behind our message-first Logger interface. JSON lines (cheap on a Raspberry Pi, what
// journald and log tools want) unless the output is a terminal, where lines are human-readable and coloured
// (pino-pretty, loaded only then).
import { createRequire } from 'node:module';
import type { Logger as Pino } from 'pino';
import type { Logger } from './types/index.js';

// pino is CommonJS: require() loads it without the ESM loader's CommonJS export scan (start-up time and memory).
const requireCjs = createRequire(import.meta.url);
const { pino } = requireCjs('pino') as typeof import('pino');

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

export interface LoggerOptions {
  /** Default: $SWITCHYARD_LOG_LEVEL, else info. */
  level?: string;
  /** Default: stdout. */
  destination?: NodeJS.WritableStream;
  /** Human-readable coloured lines instead of JSON; default: when writing to stdout and stdout is a terminal. */
  pretty?: boolean;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.SWITCHYARD_LOG_LEVEL ?? 'info';
  if (!isLogLevel(level)) throw new Error(`log level "${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  const pretty = opts.pretty ?? (opts.destination === undefined && process.stdout.isTTY === true);
  let destination = opts.destination ?? process.stdout;
  if (pretty) {
    const prettyStream = requireCjs('pino-pretty') as typeof import('pino-pretty');
    destination = prettyStream.build({ colorize: opts.destination === undefined, destination, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', sync: true });
  }
  const p: Pino = pino({ level, base: undefined }, destination);
  return {
    info: (msg, data) => p.info(data ?? {}, msg),
    warn: (msg, data) => p.warn(data ?? {}, msg),
    error: (msg, data) => p.error(data ?? {}, msg),
    debug: (msg, data) => p.debug(data ?? {}, msg),
  };
}
