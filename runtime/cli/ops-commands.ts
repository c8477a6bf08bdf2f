// The operations commands (running the gateway as a service, checking a machine, backups, archiving), for the
// CLI's command table: \`...opsCommands({ channelModules: CHANNEL_MODULES })\` there (doctor validates the config
// with the adapters' schemas, and only the composition root may import bots/registry.ts).
import type { ChannelModule } from '../types/channel.js';
import type { CliCommand } from './types.js';
import { archiveCommand } from './archive.js';
import { backupCommand } from './backup.js';
import { createDoctorCommand } from './doctor.js';
import { restoreCommand } from './restore.js';
import { serviceCommand } from './service.js';

export function opsCommands(deps: { channelModules: readonly ChannelModule[] }): CliCommand[] {
  return [serviceCommand, createDoctorCommand(deps), backupCommand, restoreCommand, archiveCommand];
}
