// The audit log stays bounded: a day file past maxFileBytes rotates to <day>.<n>.jsonl, the oldest files go when the
// directory passes maxTotalBytes, and tail() still returns the newest records in order across rotated parts.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../storage/audit-log.js';
import { useTempHome } from '../fakes/temp-home.js';

const tmp = useTempHome('sy-audit-rot-');
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 12);

describe('audit log rotation', () => {
  it('rotates a big day file and deletes the oldest files beyond the total cap', async () => {
    const audit = createAuditLog(tmp.home, { now: () => T0 }, tmp.log, { maxFileBytes: 4000, maxTotalBytes: 12_000 });
    // 3 days × 100 records of ~100 bytes: 30 kB written in all, far past the 12 kB cap.
    for (let d = 0; d < 3; d++) {
      for (let i = 0; i < 100; i++) await audit.append({ ts: T0 + d * DAY + i, kind: 'admin', detail: `day ${d} record ${i} ${'x'.repeat(50)}` });
    }
    const dir = join(tmp.home, 'audit');
    const files = (await readdir(dir)).sort();
    expect(files.some((f) => /^2026-01-03\.\d+\.jsonl$/.test(f))).toBe(true);
    expect(files).toContain('2026-01-03.jsonl');
    expect(files.some((f) => f.startsWith('2026-01-01'))).toBe(false);
    const total = (await Promise.all(files.map((f) => stat(join(dir, f))))).reduce((n, s) => n + s.size, 0);
    expect(total).toBeLessThanOrEqual(12_000 + 4000);
    for (const f of files) expect((await stat(join(dir, f))).size).toBeLessThan(4000 * 1.25); // checked every maxFileBytes / 8 appended
    expect(tmp.logs.some((l) => /deleted 2026-01-01/.test(l))).toBe(true);

    const last = await audit.tail(50);
    expect(last).toHaveLength(50);
    expect(last.map((r) => r.ts)).toEqual([...last.map((r) => r.ts)].sort((a, b) => a - b));
    expect(last[49].ts).toBe(T0 + 2 * DAY + 99);
  });
});
