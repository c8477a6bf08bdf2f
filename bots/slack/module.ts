// The Slack entry of the adapter registry: its config schema, how its config answers the runtime's DM and
// channel questions, and the factory. Importing this file loads no SDK; create() imports bolt only when an
// account has both tokens.
import type { ChannelModule, ChatRef, ChatSettings, DirectSettings } from '../../runtime/types/channel.js';
import { slackSchema, type SlackConfig } from './config.js';
import { createSlackChannels } from './index.js';

export const slackModule: ChannelModule<SlackConfig> = {
  id: 'slack',
  configSchema: slackSchema,
  envOverlays: [
    { env: 'SLACK_BOT_TOKEN', key: 'botToken', unless: ['accounts'] },
    { env: 'SLACK_APP_TOKEN', key: 'appToken', unless: ['accounts'] },
  ],
  directSettings(cfg): DirectSettings {
    return { dmPolicy: cfg?.dmPolicy ?? 'pairing', allowFrom: cfg?.allowFrom ?? [] };
  },
  chatSettings(cfg, chat): ChatSettings | undefined {
    return slackChatSettings(cfg, chat);
  },
  create(cfg, deps) {
    return createSlackChannels(cfg, deps);
  },
};

/**
 * `channels.slack.channels`: the channel's own entry (a thread is looked up by its channel), else "*"; neither
 * means the bot does not answer there. Ids match case-insensitively (Slack ids are upper case; people type either).
 */
export function slackChatSettings(cfg: Pick<SlackConfig, 'channels'> | undefined, chat: ChatRef): ChatSettings | undefined {
  const entries = Object.entries(cfg?.channels ?? {});
  const find = (id: string | undefined) => (id === undefined ? undefined : entries.find(([k]) => k.toLowerCase() === id.toLowerCase())?.[1]);
  const wildcard = find('*');
  const own = find(chat.id) ?? find(chat.parentId) ?? wildcard;
  if (!own) return undefined;
  return { requireMention: own.requireMention ?? wildcard?.requireMention ?? true };
}
