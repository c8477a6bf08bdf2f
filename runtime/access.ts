// Who may talk to the bot, decided once for every channel. Adapters only report facts (chat kind, sender,
// mentionsBot); this reads the channel's config block and answers allow / deny-with-reason. A denied message
// is not answered in groups and never reaches the model.
import type { Inbound } from './types/channel.js';

export type DmPolicy = 'pairing' | 'allowlist' | 'open' | 'disabled';

export interface TopicAccessConfig {
  enabled?: boolean;
  requireMention?: boolean;
}

export interface GroupAccessConfig extends TopicAccessConfig {
  /** Senders allowed in this group (ids or usernames); absent = everyone in the group. */
  allowFrom?: string[];
  topics?: Record<string, TopicAccessConfig>;
}

/** The access part of a `channels.<channel>` block (Telegram's schema has exactly these keys). */
export interface AccessChannelConfig {
  dmPolicy?: DmPolicy;
  allowFrom?: (string | number)[];
  /** The group allowlist: chat id → settings; `"*"` applies to every group without its own entry. */
  groups?: Record<string, GroupAccessConfig>;
}

export interface AccessOptions {
  /** Whether `<channel>:<senderId>` was approved through pairing (the state store knows). */
  isPaired?: (senderKey: string) => boolean;
}

export type AccessDenyReason =
  | 'dm-disabled'
  | 'dm-not-allowed'
  | 'dm-pairing'
  | 'group-not-allowed'
  | 'group-disabled'
  | 'topic-disabled'
  | 'sender-not-allowed'
  | 'no-mention';

export type AccessDecision = { allow: true } | { allow: false; reason: AccessDenyReason };

const ALLOW: AccessDecision = { allow: true };
const deny = (reason: AccessDenyReason): AccessDecision => ({ allow: false, reason });

/**
 * Decides whether a message is for the bot. A missing config block means the schema defaults: DMs by pairing,
 * no groups.
 */
export function checkAccess(inbound: Inbound, channelCfg: AccessChannelConfig | undefined, opts: AccessOptions = {}): AccessDecision {
  return inbound.chat.kind === 'direct' ? checkDm(inbound, channelCfg, opts) : checkGroup(inbound, channelCfg?.groups ?? {});
}

function checkDm(m: Inbound, cfg: AccessChannelConfig | undefined, opts: AccessOptions): AccessDecision {
  const policy = cfg?.dmPolicy ?? 'pairing';
  if (policy === 'disabled') return deny('dm-disabled');
  if (policy === 'open') return ALLOW;
  if (senderAllowed(m, cfg?.allowFrom ?? [])) return ALLOW;
  if (policy === 'pairing') return opts.isPaired?.(senderKey(m)) ? ALLOW : deny('dm-pairing');
  return deny('dm-not-allowed');
}

function checkGroup(m: Inbound, groups: Record<string, GroupAccessConfig>): AccessDecision {
  const wildcard = groups['*'];
  // A thread's own entry, else its parent channel's (Discord/Slack threads), else the wildcard.
  const own = groups[m.chat.id] ?? (m.chat.parentId !== undefined ? groups[m.chat.parentId] : undefined);
  const group = own ?? wildcard;
  if (!group) return deny('group-not-allowed');
  if (group.enabled === false) return deny('group-disabled');
  const topic = m.chat.threadId !== undefined ? group.topics?.[m.chat.threadId] : undefined;
  if (topic?.enabled === false) return deny('topic-disabled');
  if (group.allowFrom && !senderAllowed(m, group.allowFrom)) return deny('sender-not-allowed');
  const requireMention = topic?.requireMention ?? group.requireMention ?? wildcard?.requireMention ?? true;
  if (requireMention && !m.mentionsBot) return deny('no-mention');
  return ALLOW;
}

/** The key pairing records use: `<channel>:<senderId>`. */
export function senderKey(m: Inbound): string {
  return `${m.channel}:${m.sender.id}`;
}

/**
 * Allowlist entries are numeric ids or usernames (with or without @), optionally prefixed with the channel
 * (`telegram:123`); `*` allows everyone. Ids are what we recommend: usernames can change hands.
 */
export function senderAllowed(m: Inbound, allowFrom: readonly (string | number)[]): boolean {
  const id = m.sender.id;
  const username = m.sender.username?.toLowerCase();
  return allowFrom.some((raw) => {
    let entry = String(raw).trim();
    if (entry === '*') return true;
    const prefix = `${m.channel}:`;
    if (entry.toLowerCase().startsWith(prefix)) entry = entry.slice(prefix.length);
    else if (/^[a-z]+:/i.test(entry) && !/^-?\d+$/.test(entry)) return false; // another channel's entry
    if (entry === id) return true;
    const name = entry.startsWith('@') ? entry.slice(1).toLowerCase() : /^-?\d+$/.test(entry) ? undefined : entry.toLowerCase();
    return name !== undefined && username !== undefined && name === username;
  });
}
