// The command table of `switchyard <command>`: one CliCommand module each, in the order --help lists them. Like
// runtime/main.ts it is a composition root: the commands that need the platform adapters (doctor validates the
// config with their schemas; login runs their link flows) get them from bots/registry.ts here.
import { CHANNEL_LOGINS, CHANNEL_MODULES } from '../../bots/registry.js';
import { resolveHome } from '../../storage/paths.js';
import type { CliCommand } from './types.js';
import { createLoginCommand } from './login.js';
import { opsCommands } from './ops-commands.js';
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
  ...opsCommands({ channelModules: CHANNEL_MODULES }),
  createLoginCommand({ logins: CHANNEL_LOGINS, home: (env) => resolveHome(env) }),
];
