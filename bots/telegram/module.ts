// Telegram's entry in the adapter registry (bots/registry.ts): its config block, what that block says about DMs
// and group chats, and the factory. The factory loads grammY only when an account has a token.
import type { ChannelModule, ChatSettings, ChatToolPolicy, DirectSettings } from '../../runtime/types/channel.js';
import { telegramConfigSchema, type TelegramConfig } from './config.js';

const DEFAULT_DIRECT: DirectSettings = { dmPolicy: 'pairing', allowFrom: [] };

/** A dotted config path (`channels.telegram.groups.-100.topics.7.agentId`); keys with dots or spaces are quoted. */
function path(...keys: string[]): string {
  return keys.map((k, i) => (/^[^.[\]\s"]+$/.test(k) ? `${i ? '.' : ''}${k}` : `[${JSON.stringify(k)}]`)).join('');
}

function layer(p: { allow?: string[]; deny?: string[] } | undefined, source: string): ChatToolPolicy[] {
  return p && (p.allow?.length || p.deny?.length) ? [{ ...p, source }] : [];
}

export const telegramModule: ChannelModule<TelegramConfig> = {
  id: 'telegram',
  configSchema: telegramConfigSchema,
  // A block with named accounts carries its own tokens: the variable would silently add a bot nobody listed.
  envOverlays: [{ env: 'TELEGRAM_BOT_TOKEN', key: 'botToken', unless: ['accounts'] }],

  directSettings(cfg) {
    return cfg ? { dmPolicy: cfg.dmPolicy, allowFrom: cfg.allowFrom } : DEFAULT_DIRECT;
  },

  // A group's own entry (a topic is looked up in its group), else "*". Topic settings override the group's.
  chatSettings(cfg, chat) {
    const groups = cfg?.groups ?? {};
    const key = Object.hasOwn(groups, chat.id) ? chat.id : Object.hasOwn(groups, '*') ? '*' : undefined;
    if (key === undefined) return undefined;
    const group = groups[key];
    const wildcard = groups['*'];
    const topic = chat.threadId !== undefined ? group.topics?.[chat.threadId] : undefined;
    const base = `channels.telegram.groups[${key}]`;
    const settings: ChatSettings = {
      enabled: group.enabled !== false && topic?.enabled !== false,
      requireMention: topic?.requireMention ?? group.requireMention ?? wildcard?.requireMention ?? true,
      tools: [...layer(group.tools, `${base}.tools`), ...(chat.threadId !== undefined ? layer(topic?.tools, `${base}.topics[${chat.threadId}].tools`) : [])],
    };
    if (group.allowFrom) settings.allowFrom = group.allowFrom;
    // A topic pinned to an agent; under "*" it would pin that topic number in every group, so only own entries.
    if (topic?.agentId !== undefined && key !== '*') {
      settings.agent = { agentId: topic.agentId, rule: path('channels', 'telegram', 'groups', key, 'topics', chat.threadId as string, 'agentId') };
    }
    return settings;
  },

  accountIds: (cfg) => ['default', ...Object.keys(cfg.accounts ?? {}).filter((id) => id !== 'default')],

  agentRefs(cfg) {
    const refs: { path: string; agentId: string }[] = [];
    for (const [chatId, group] of Object.entries(cfg.groups)) {
      for (const [threadId, topic] of Object.entries(group.topics ?? {})) {
        if (topic.agentId !== undefined) refs.push({ path: path('channels', 'telegram', 'groups', chatId, 'topics', threadId, 'agentId'), agentId: topic.agentId });
      }
    }
    return refs;
  },

  async create(cfg, deps) {
    const { createTelegramChannels } = await import('./index.js');
    return createTelegramChannels(cfg, { log: deps.log, env: deps.env, offsets: deps.offsets, clock: deps.clock });
  },
};
