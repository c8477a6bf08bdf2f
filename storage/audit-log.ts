// audit/<YYYY-MM-DD>.jsonl: tool calls, approvals, admin commands, failovers — one file per UTC day of the
// record's ts. Every record is scrubbed of secret-looking values before it touches the disk.
// Size-bounded, because strangers can cause audit lines (refused commands, denied group messages): a day file
// that passes maxFileBytes is rotated to <day>.<n>.jsonl, and when the directory passes maxTotalBytes the oldest
// files are deleted, so the state directory never grows without bound through the audit log.
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditLog, AuditRecord } from '../runtime/types/storage.js';
import { systemClock, type Clock } from '../runtime/types/clock.js';
import { appendLinesNow, defaultLog, isErrno, isRecord, readJsonl, serialised, type Log } from './jsonl.js';
import { statePaths } from './paths.js';
import { redactSecrets } from './redact.js';

/** `2026-01-31.jsonl` (the day's current file) or `2026-01-31.3.jsonl` (its third rotated part). */
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl$/;

export interface AuditLimits {
  /** A day file larger than this is rotated (default 16 MiB). */
  maxFileBytes?: number;
  /** The audit directory is kept under this by deleting the oldest files (default 64 MiB). */
  maxTotalBytes?: number;
}

/** Oldest first: by day, then rotated parts in order, then the day's current file. */
function fileOrder(a: string, b: string): number {
  const ma = DAY_FILE.exec(a)!;
  const mb = DAY_FILE.exec(b)!;
  if (ma[1] !== mb[1]) return ma[1] < mb[1] ? -1 : 1;
  const pa = ma[2] === undefined ? Infinity : Number(ma[2]);
  const pb = mb[2] === undefined ? Infinity : Number(mb[2]);
  return pa - pb;
}

function utcDay(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

export function createAuditLog(home: string, clock: Pick<Clock, 'now'> = systemClock, log: Log = defaultLog, limits: AuditLimits = {}): AuditLog {
  const paths = statePaths(home);
  const maxFileBytes = limits.maxFileBytes ?? 16 * 1024 * 1024;
  const maxTotalBytes = Math.max(maxFileBytes, limits.maxTotalBytes ?? 64 * 1024 * 1024);
  // Sizes are looked at after every `checkEvery` bytes appended, not on every line.
  const checkEvery = Math.max(1, Math.min(256 * 1024, Math.floor(maxFileBytes / 8)));
  let sinceCheck = 0;

  const dayFiles = async (): Promise<string[]> => {
    try {
      return (await readdir(paths.auditDir)).filter((f) => DAY_FILE.test(f));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return []; // nothing audited yet
      throw err;
    }
  };

  /** Rotates the day file past maxFileBytes, then deletes the oldest files while the directory is too big. */
  async function enforceLimits(current: string): Promise<void> {
    const size = (await stat(current)).size;
    if (size >= maxFileBytes) {
      const day = current.slice(-'YYYY-MM-DD.jsonl'.length, -'.jsonl'.length);
      const parts = (await dayFiles()).map((f) => DAY_FILE.exec(f)!).filter((m) => m[1] === day && m[2] !== undefined);
      const next = Math.max(0, ...parts.map((m) => Number(m[2]))) + 1;
      await rename(current, join(paths.auditDir, `${day}.${next}.jsonl`));
    }
    const files = (await dayFiles()).sort(fileOrder);
    const sizes = await Promise.all(
      files.map((f) =>
        stat(join(paths.auditDir, f)).then(
          (st) => st.size,
          () => 0,
        ),
      ),
    );
    let total = sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < files.length - 1 && total > maxTotalBytes; i++) {
      await rm(join(paths.auditDir, files[i]), { force: true });
      total -= sizes[i];
      log(`audit: deleted ${files[i]} (the audit log is kept under ${Math.round(maxTotalBytes / 1048576)} MB)`);
    }
  }

  return {
    append(rec) {
      const ts = rec.ts ?? clock.now();
      if (!Number.isFinite(ts)) return Promise.reject(new Error(`audit record has an invalid ts: ${String(ts)}`));
      const { ts: _ts, kind, ...rest } = rec;
      const line = JSON.stringify(redactSecrets({ ts, kind, ...rest }));
      const file = paths.auditFile(utcDay(ts));
      return serialised(file, async () => {
        await appendLinesNow(file, [line], { create: true, sync: false, log });
        sinceCheck += line.length + 1;
        if (sinceCheck >= checkEvery) {
          sinceCheck = 0;
          await enforceLimits(file).catch((err: unknown) => log(`audit: could not rotate ${file}: ${(err as Error).message}`));
        }
      });
    },

    async tail(n) {
      if (n <= 0) return [];
      // Newest day first; each day file is read whole (a day of audit is small), older days only if needed.
      const days = (await dayFiles()).sort(fileOrder).reverse();
      const newestFirst: AuditRecord[][] = [];
      let count = 0;
      for (const name of days) {
        const file = join(paths.auditDir, name);
        const lines = (await serialised(file, () => readJsonl(file, log))) ?? [];
        const recs = lines.map((l) => l.value).filter((v): v is AuditRecord => isRecord(v) && typeof v.ts === 'number' && typeof v.kind === 'string');
        newestFirst.push(recs);
        count += recs.length;
        if (count >= n) break;
      }
      return newestFirst.reverse().flat().slice(-n);
    },
  };
}
