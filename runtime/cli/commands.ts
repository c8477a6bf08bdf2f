// The command table of `switchyard <command>`: one CliCommand module each, in the order --help lists them.
import type { CliCommand } from './types.js';
import { statusCommand } from './status.js';
import { sessionsCommand } from './sessions.js';
import { sendCommand } from './send.js';
import { approvalsCommand, approveCommand } from './approvals.js';
import { auditCommand, logsCommand } from './logs.js';

export const commands: readonly CliCommand[] = [
  statusCommand,
  sessionsCommand,
  sendCommand,
  approvalsCommand,
  approveCommand,
  logsCommand,
  auditCommand,
  // ── deployment: doctor, backup, restore, service (their modules come with the ops work; one line each here) ──
  // ── login <platform> (WhatsApp pairing; its module comes with the WhatsApp work; one line here) ──
];
