import { randomBytes } from 'node:crypto';

/** Sortable, unique session id: base36 time + random suffix. */
export function newSessionId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}-${randomBytes(5).toString('hex')}`;
}
