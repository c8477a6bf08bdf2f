// What the config says about a chat, asked of the chat's own adapter module: the runtime knows no platform's config
// shape. Access (runtime/access.ts), routing (a chat pinned to an agent) and tool policy read through this.
import type { ChannelId, ChannelModule, ChatRef, ChatSettings, DirectSettings } from './types/channel.js';
import type { Config } from './config/schema.js';

export interface ChannelSettings {
  direct(channel: ChannelId, accountId: string): DirectSettings;
  /** Undefined for direct chats and for chats the config does not list. */
  chat(channel: ChannelId, chat: ChatRef, accountId: string): ChatSettings | undefined;
}

/** A channel without a module (nothing can arrive from it) gets the strictest reading. */
const NO_MODULE: DirectSettings = { dmPolicy: 'disabled', allowFrom: [] };

export function channelSettings(modules: readonly ChannelModule[], config: () => Config): ChannelSettings {
  const byId = new Map(modules.map((m) => [m.id, m]));
  return {
    direct(channel, accountId) {
      const m = byId.get(channel);
      return m ? m.directSettings(config().channels[channel], accountId) : NO_MODULE;
    },
    chat(channel, chat, accountId) {
      const m = byId.get(channel);
      if (!m || chat.kind === 'direct') return undefined;
      return m.chatSettings(config().channels[channel], chat, accountId);
    },
  };
}
