// The process logger: pino (JSON lines, cheap on a Raspberry Pi) behind our message-first Logger interface.
import { pino, type Logger as Pino } from 'pino';
import type { Logger } from './types/index.js';

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
