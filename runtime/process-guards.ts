// A throw or a rejection that nothing handled leaves the process in a state nobody knows (a loop may have died
// half-way, a lock may be held). Keeping it running would hide that; instead it is logged with its stack and cause
// and the process exits non-zero. A restart is safe: the journal keeps every accepted message that was not answered,
// and a process manager (systemd, Docker, pm2) starts the gateway again.
import type { Logger } from './types/index.js';

export function installProcessGuards(log: Logger, exit: (code: number) => void = (code) => process.exit(code)): void {
  const fatal = (what: string) => (err: unknown) => {
    log.error(`${what}: exiting; unanswered messages stay in the journal for the next start`, { err });
    exit(1);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled promise rejection'));
}
