// /audit [n]: the latest audit lines. Secret-looking values are scrubbed again here, although the audit log
// already scrubs on write: a record written by an older version, or by hand, must not leak through chat.
import { isoSecond, oneLine } from '../format.js';
import { UsageError, type AdminDeps, type Command } from '../types.js';
import type { AuditRecord } from '../../runtime/types/index.js';

export const AUDIT_DEFAULT = 10;
export const AUDIT_MAX = 50;

function value(v: unknown): string {
  if (typeof v === 'string') return oneLine(v, 160);
  return oneLine(JSON.stringify(v) ?? String(v), 160);
}

export function formatAuditRecord(rec: AuditRecord, redact: AdminDeps['redact']): string {
  const clean = redact(rec) as Record<string, unknown>;
  const { ts, kind, ...rest } = clean;
  const fields = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`);
  const when = typeof ts === 'number' ? isoSecond(ts) : '?';
  // The second pass covers anything the formatting joined into a new secret-looking run.
  return String(redact(oneLine(`${when} ${String(kind)} ${fields.join(' ')}`, 400)));
}

export const auditCommand: Command = {
  name: 'audit',
  usage: `/audit [n] (1–${AUDIT_MAX}, default ${AUDIT_DEFAULT})`,
  summary: 'the latest audit lines (tool calls, approvals, admin commands, failovers)',
  ownerOnly: true,
  async run(args, ctx) {
    if (args.length > 1) throw new UsageError();
    let n = AUDIT_DEFAULT;
    if (args.length === 1) {
      n = /^\d+$/.test(args[0]) ? Number(args[0]) : NaN;
      if (!(n >= 1 && n <= AUDIT_MAX)) throw new UsageError(`n must be a whole number from 1 to ${AUDIT_MAX}.`);
    }
    const recs = await ctx.deps.audit.tail(n);
    if (recs.length === 0) return 'The audit log is empty.';
    return [`Latest ${recs.length} audit lines (oldest first):`, ...recs.map((r) => formatAuditRecord(r, ctx.deps.redact))].join('\n');
  },
};
