// Slack's entry in the adapter registry (bots/registry.ts): its config block, what that block says about DMs and
// channels, and the factory. Importing this file loads no SDK; create() imports the adapter (and with it bolt)
// only when an account has both tokens.
import type { ChannelModule, ChatRef, ChatSettings, ChatToolPolicy, DirectSettings } from '../../runtime/types/channel.js';
import { slackConfigSchema, type SlackConfig } from './config.js';

const DEFAULT_DIRECT: DirectSettings = { dmPolicy: 'pairing', allowFrom: [] };

export const slackModule: ChannelModule<SlackConfig> = {
  id: 'slack',
  configSchema: slackConfigSchema,
  // A block with named accounts carries its own tokens: the variables would silently add an app nobody listed.
  envOverlays: [
    { env: 'SLACK_BOT_TOKEN', key: 'botToken', unless: ['accounts'] },
    { env: 'SLACK_APP_TOKEN', key: 'appToken', unless: ['accounts'] },
  ],

  directSettings(cfg) {
    return cfg ? { dmPolicy: cfg.dmPolicy, allowFrom: cfg.allowFrom } : DEFAULT_DIRECT;
  },

  chatSettings(cfg, chat) {
    return slackChatSettings(cfg, chat);
  },

  accountIds: (cfg) => ['default', ...Object.keys(cfg.accounts ?? {}).filter((id) => id !== 'default')],

  async create(cfg, deps) {
    if (cfg?.enabled === false) return [];
    const { createSlackChannels } = await import('./index.js');
    return createSlackChannels(cfg, { log: deps.log, env: deps.env, clock: deps.clock });
  },
};

/**
 * `channels.slack.channels`: the channel's own entry (a thread is looked up by its channel), else "*"; neither
 * means the bot does not answer there. Ids match case-insensitively (Slack ids are upper case; people type either).
 */
export function slackChatSettings(cfg: Pick<SlackConfig, 'channels'> | undefined, chat: ChatRef): ChatSettings | undefined {
  const channels = cfg?.channels ?? {};
  const keyOf = (id: string | undefined) => (id === undefined ? undefined : Object.keys(channels).find((k) => k.toLowerCase() === id.toLowerCase()));
  const key = keyOf(chat.id) ?? keyOf(chat.parentId) ?? (Object.hasOwn(channels, '*') ? '*' : undefined);
  if (key === undefined) return undefined;
  const entry = channels[key];
  const settings: ChatSettings = {
    enabled: entry.enabled !== false,
    requireMention: entry.requireMention ?? channels['*']?.requireMention ?? true,
    tools: layer(entry.tools, `channels.slack.channels[${JSON.stringify(key)}].tools`),
  };
  if (entry.allowFrom) settings.allowFrom = entry.allowFrom;
  return settings;
}

function layer(p: { allow?: string[]; deny?: string[] } | undefined, source: string): ChatToolPolicy[] {
  return p && (p.allow?.length || p.deny?.length) ? [{ ...p, source }] : [];
}
