// The process logger: pino (JSON lines, cheap on a Raspberry Pi) behind our message-first Logger interface.
import { createRequire } from 'node:module';
import type { Logger as Pino } from 'pino';
import type { Logger } from './types/index.js';

// pino is CommonJS: require() loads it without the ESM loader's CommonJS export scan (start-up time and memory).
const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const p: Pino = pino(
    { level: opts.level ?? process.env.SWITCHYARD_LOG_LEVEL ?? 'info', base: undefined },
    opts.destination ?? process.stdout,
  );
  return {
    info: (msg, data) => p.info(data ?? {}, msg),
    warn: (msg, data) => p.warn(data ?? {}, msg),
    error: (msg, data) => p.error(data ?? {}, msg),
    debug: (msg, data) => p.debug(data ?? {}, msg),
  };
}
