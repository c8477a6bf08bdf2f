// The words of the approval flow: prompts to approvers, notices in the origin chat, and parsing replies.
import { threadWordOf } from '../types/channel.js';
import type { ApprovalRecord } from '../types/storage.js';

export type ApprovalDecision = 'allow-once' | 'allow-always' | 'deny';

/** `<channel>:<accountId>:<chatId>:<messageId>`: how a sent prompt is recognised when someone replies to it. */
export function promptRef(channel: string, accountId: string, chatId: string, messageId: string): string {
  return `${channel}:${accountId}:${chatId}:${messageId}`;
}

export function describeOrigin(origin: ApprovalRecord['origin']): string {
  const c = origin.chat;
  const title = c.title ? ` "${c.title}"` : '';
  const thread = c.threadId ? `, ${threadWordOf(c)} ${c.threadId}` : '';
  // A thread is named by the chat it lives in (a Discord thread's own id is its chat id, and already in `thread`).
  const base = c.threadId ? (c.parentId ?? c.id) : c.id;
  return `${origin.channel} ${c.kind}${title} (${base})${thread}`;
}

function minutes(ms: number): string {
  // Round down: telling the owner they have more time than they do (30 s shown as "1 min") would be a lie.
  const m = Math.floor(ms / 60_000);
  return m >= 1 ? `${m} min` : `${Math.max(1, Math.round(ms / 1000))} s`;
}

export function promptText(rec: ApprovalRecord): string {
  return [
    `🔐 Approval needed — id ${rec.id}`,
    `Agent: ${rec.agentId}`,
    `From: ${describeOrigin(rec.origin)}`,
    `Session: ${rec.sessionKey}`,
    'Command:',
    rec.command,
    '',
    'Reply to this message with: yes (run once) · always (run, and allow this exact command from now on) · no',
    `or send: /approve ${rec.id} allow-once|allow-always|deny`,
    `No answer within ${minutes(rec.expiresAt - rec.createdAt)} counts as no.`,
  ].join('\n');
}

export function waitingText(rec: ApprovalRecord): string {
  return `⏳ Waiting for the owner to approve this command (id ${rec.id}):\n${rec.command}`;
}

export function decisionText(rec: ApprovalRecord): string {
  const what: Record<ApprovalRecord['status'], string> = {
    pending: '⏳ still waiting',
    'allow-once': `✅ approved once by ${rec.decidedBy}`,
    'allow-always': `✅ approved always by ${rec.decidedBy} (added to the allowlist)`,
    deny: rec.decidedBy === 'system:undeliverable' ? '⛔ denied: the prompt could not be delivered to any approver' : `⛔ denied by ${rec.decidedBy}`,
    expired:
      rec.decidedBy === 'system:restart'
        ? '⌛ expired: the gateway restarted while it was waiting'
        : rec.decidedBy === 'system:aborted'
          ? '⌛ cancelled: the run was stopped'
          : '⌛ expired without an answer (counts as denied)',
  };
  return `Approval ${rec.id} ${what[rec.status]}:\n${rec.command}`;
}

/** A reply's meaning: yes/y/once/ok → allow-once, always → allow-always, no/n/deny → deny; else null. */
export function parseReply(text: string): ApprovalDecision | null {
  const t = text
    .trim()
    .toLowerCase()
    .replace(/[.!\s]+$/, '');
  if (['yes', 'y', 'once', 'ok', 'allow', 'approve', 'allow-once'].includes(t)) return 'allow-once';
  if (['always', 'allow-always', 'yes always'].includes(t)) return 'allow-always';
  if (['no', 'n', 'deny', 'reject', 'nope'].includes(t)) return 'deny';
  return null;
}

export function parseDecision(s: string): ApprovalDecision | null {
  const t = s.trim().toLowerCase();
  if (t === 'allow-once' || t === 'once') return 'allow-once';
  if (t === 'allow-always' || t === 'always') return 'allow-always';
  if (t === 'deny' || t === 'no') return 'deny';
  return null;
}
