// What `channels.discord` says about a DM or a server channel, as the runtime's access check asks it. Lookups
// only: the runtime applies the policy (mention, senders, pairing).
//
// A server message is looked up by its guild (`guilds.<guildId>`, else `guilds."*"`); when that entry lists
// `channels`, only those channels are answered — a thread by its own entry, else its parent channel's — and
// `allow: false` silences one. requireMention: channel → guild → "*" → true. `users` and `roles` restrict who
// may talk there (a sender passes when either matches).
import type { ChatRef, ChatSettings, DirectSettings } from '../../runtime/types/channel.js';
import type { DiscordConfig } from './config.js';

export function directSettings(cfg: DiscordConfig | undefined): DirectSettings {
  return { dmPolicy: cfg?.dmPolicy ?? 'pairing', allowFrom: cfg?.allowFrom ?? [] };
}

export function chatSettings(cfg: DiscordConfig | undefined, chat: ChatRef): ChatSettings | undefined {
  if (chat.kind === 'direct' || chat.guildId === undefined) return undefined;
  const guilds = cfg?.guilds ?? {};
  const wildcard = guilds['*'];
  const guild = guilds[chat.guildId] ?? wildcard;
  if (!guild) return undefined;

  let channel: { allow?: boolean; requireMention?: boolean } | undefined;
  if (guild.channels && Object.keys(guild.channels).length > 0) {
    const ids = [chat.threadId, chat.id, chat.parentId].filter((id): id is string => id !== undefined && id !== '');
    const key = ids.find((id) => guild.channels![id] !== undefined);
    if (key === undefined) return undefined; // listed channels only
    channel = guild.channels[key];
  }

  const settings: ChatSettings = {
    requireMention: channel?.requireMention ?? guild.requireMention ?? wildcard?.requireMention ?? true,
  };
  if (channel?.allow === false) settings.enabled = false;
  if (guild.users) settings.allowFrom = guild.users;
  if (guild.roles) settings.allowRoles = guild.roles;
  return settings;
}
