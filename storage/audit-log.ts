// audit/<YYYY-MM-DD>.jsonl: tool calls, approvals, admin commands, failovers — one file per UTC day of the
// record's ts. Every record is scrubbed of secret-looking values before it touches the disk.
import { readdir } from 'node:fs/promises';
import type { AuditLog, AuditRecord } from '../runtime/types/storage.js';
import { systemClock, type Clock } from '../runtime/types/clock.js';
import { appendLinesNow, defaultLog, isErrno, isRecord, readJsonl, serialised, type Log } from './jsonl.js';
import { statePaths } from './paths.js';
import { redactSecrets } from './redact.js';

const DAY_FILE = /^\d{4}-\d{2}-\d{2}\.jsonl$/;

function utcDay(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

export function createAuditLog(
  home: string,
  clock: Pick<Clock, 'now'> = systemClock,
  log: Log = defaultLog,
): AuditLog {
  const paths = statePaths(home);

  const dayFiles = async (): Promise<string[]> => {
    try {
      return (await readdir(paths.auditDir)).filter((f) => DAY_FILE.test(f));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return []; // nothing audited yet
      throw err;
    }
  };

  return {
    append(rec) {
      const ts = rec.ts ?? clock.now();
      if (!Number.isFinite(ts)) return Promise.reject(new Error(`audit record has an invalid ts: ${String(ts)}`));
      const { ts: _ts, kind, ...rest } = rec;
      const line = JSON.stringify(redactSecrets({ ts, kind, ...rest }));
      const file = paths.auditFile(utcDay(ts));
      return serialised(file, () => appendLinesNow(file, [line], { create: true, sync: false, log }));
    },

    async tail(n) {
      if (n <= 0) return [];
      // Newest day first; each day file is read whole (a day of audit is small), older days only if needed.
      const days = (await dayFiles()).sort().reverse();
      const newestFirst: AuditRecord[][] = [];
      let count = 0;
      for (const name of days) {
        const file = paths.auditFile(name.slice(0, 10));
        const lines = (await serialised(file, () => readJsonl(file, log))) ?? [];
        const recs = lines
          .map((l) => l.value)
          .filter((v): v is AuditRecord => isRecord(v) && typeof v.ts === 'number' && typeof v.kind === 'string');
        newestFirst.push(recs);
        count += recs.length;
        if (count >= n) break;
      }
      return newestFirst.reverse().flat().slice(-n);
    },
  };
}
