import { randomBytes } from 'node:crypto';

/**
 * A session id that sorts by creation time: `<UTC yyyymmddThhmmssSSS>-<12 hex random>`,
 * e.g. `20260101T093000123-9f2c4e1a7b3d`. Safe as a file name on every platform (it names the transcript).
 */
export function newSessionId(now: number = Date.now()): string {
  const stamp = new Date(now).toISOString().replace(/[-:.Z]/g, '');
  return `${stamp}-${randomBytes(6).toString('hex')}`;
}

/** A transcript entry id (48 random bits: unique enough within one session's transcript). */
export function newEntryId(): string {
  return randomBytes(6).toString('hex');
}
