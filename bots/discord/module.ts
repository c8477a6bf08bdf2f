// Discord's entry in the adapter registry: its config schema, the DM and server-channel lookups the runtime's
// access check asks, and the factory. Nothing here loads discord.js; create() does, and only when a token exists.
import type { ChannelModule } from '../../runtime/types/channel.js';
import { discordConfigSchema, resolveAccounts, type DiscordConfig } from './config.js';
import { chatSettings, directSettings } from './settings.js';

export const discordModule: ChannelModule<DiscordConfig> = {
  id: 'discord',
  configSchema: discordConfigSchema,
  // A block with named accounts carries its own tokens.
  envOverlays: [{ env: 'DISCORD_BOT_TOKEN', key: 'token', unless: ['accounts'] }],
  directSettings: (cfg) => directSettings(cfg),
  chatSettings: (cfg, chat) => chatSettings(cfg, chat),
  accountIds: (cfg) => ['default', ...Object.keys(cfg.accounts ?? {}).filter((id) => id !== 'default')],
  async create(cfg, deps) {
    if (resolveAccounts(cfg).length === 0) return [];
    const { createDiscordChannels } = await import('./index.js');
    return createDiscordChannels(cfg, { log: deps.log, clock: deps.clock });
  },
};
