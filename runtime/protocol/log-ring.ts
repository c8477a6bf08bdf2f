// The gateway's recent log lines, for `logs.tail` and `logs -f`: the process logger is wrapped, every line still
// goes to it, and the newest lines are kept (bounded) and handed to followers as they happen.
import type { Logger } from '../types/index.js';

export interface LogLine {
  ts: number;
  level: 'info' | 'warn' | 'error' | 'debug';
  msg: string;
  data?: unknown;
}

export interface LogRing {
  logger: Logger;
  tail(n: number): LogLine[];
  follow(fn: (l: LogLine) => void): () => void;
}

export const LOG_RING_LINES = 1000;
const DATA_CHARS = 2000;

export function createLogRing(inner: Logger, opts: { now(): number; redact(v: unknown): unknown; size?: number }): LogRing {
  const size = opts.size ?? LOG_RING_LINES;
  const lines: LogLine[] = [];
  const followers = new Set<(l: LogLine) => void>();

  const record = (level: LogLine['level'], msg: string, data?: Record<string, unknown>) => {
    let shown: unknown;
    if (data !== undefined) {
      try {
        // Errors become their message and stack (JSON would make them {}); secrets are cut; size is bounded.
        const plain = JSON.parse(JSON.stringify(data, (_k, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack } : v)));
        const text = JSON.stringify(opts.redact(plain));
        shown = text.length > DATA_CHARS ? `${text.slice(0, DATA_CHARS)}…` : JSON.parse(text);
      } catch {
        shown = '[unserialisable]';
      }
    }
    const line: LogLine = { ts: opts.now(), level, msg, ...(shown !== undefined ? { data: shown } : {}) };
    lines.push(line);
    if (lines.length > size) lines.shift();
    for (const fn of followers) fn(line);
  };

  const at = (level: LogLine['level'], fn: ((msg: string, data?: Record<string, unknown>) => void) | undefined) => (msg: string, data?: Record<string, unknown>) => {
    fn?.(msg, data);
    record(level, msg, data);
  };

  return {
    logger: {
      info: at('info', inner.info.bind(inner)),
      warn: at('warn', inner.warn.bind(inner)),
      error: at('error', inner.error.bind(inner)),
      debug: inner.debug ? (msg, data) => inner.debug!(msg, data) : undefined,
    },
    tail: (n) => lines.slice(-Math.max(0, n)),
    follow(fn) {
      followers.add(fn);
      return () => followers.delete(fn);
    },
  };
}
