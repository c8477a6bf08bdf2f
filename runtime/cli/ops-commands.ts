// The operations commands (running the gateway as a service, checking a machine, backups, archiving), for the
// CLI's command table: one import and one spread there.
import type { CliCommand } from './types.js';
import { archiveCommand } from './archive.js';
import { backupCommand } from './backup.js';
import { doctorCommand } from './doctor.js';
import { restoreCommand } from './restore.js';
import { serviceCommand } from './service.js';

export const opsCommands: readonly CliCommand[] = [serviceCommand, doctorCommand, backupCommand, restoreCommand, archiveCommand];
