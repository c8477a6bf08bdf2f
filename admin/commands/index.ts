// The built-in chat commands, in the order /help lists them (everyone's first, then the owner's).
import type { Command } from '../types.js';
import { agentsCommand, bindCommand, unbindCommand } from './agents.js';
import { allowlistCommand, approvalsCommand, approveCommand } from './approvals.js';
import { auditCommand } from './audit.js';
import { helpCommand, newCommand, statusCommand, stopCommand, whoamiCommand } from './basic.js';
import { contextCommand } from './context.js';
import { modelCommand } from './model.js';
import { pairingCommand } from './pairing.js';
import { queueCommand } from './queue.js';
import { webchatCommand } from './webchat.js';

export const builtinCommands: readonly Command[] = [
  helpCommand,
  whoamiCommand,
  statusCommand,
  newCommand,
  stopCommand,
  agentsCommand,
  bindCommand,
  unbindCommand,
  contextCommand,
  queueCommand,
  modelCommand,
  approveCommand,
  approvalsCommand,
  allowlistCommand,
  pairingCommand,
  webchatCommand,
  auditCommand,
];

export {
  agentsCommand,
  allowlistCommand,
  approvalsCommand,
  approveCommand,
  auditCommand,
  bindCommand,
  contextCommand,
  helpCommand,
  modelCommand,
  newCommand,
  pairingCommand,
  queueCommand,
  statusCommand,
  stopCommand,
  unbindCommand,
  webchatCommand,
  whoamiCommand,
};
