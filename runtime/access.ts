// Who may talk to the bot, decided once for every channel. Adapters only report facts (chat kind, sender, roles,
// mentionsBot); the channel's module says what its config block allows (DirectSettings, ChatSettings) and this
// applies it: allow, or deny with a reason. A denied message is not answered in groups and never reaches the model.
import type { ChatSettings, DirectSettings, Inbound } from './types/channel.js';

export type DmPolicy = DirectSettings['dmPolicy'];

export interface AccessOptions {
  /** Whether `<channel>:<senderId>` was approved through pairing (the state store knows). */
  isPaired?: (senderKey: string) => boolean;
}

/** What the message's channel module said about where it was sent. */
export interface AccessSettings {
  direct: DirectSettings;
  /** The settings of a non-direct chat; undefined = the config does not list it. */
  chat?: ChatSettings;
}

export type AccessDenyReason = 'dm-disabled' | 'dm-not-allowed' | 'dm-pairing' | 'group-not-allowed' | 'chat-disabled' | 'sender-not-allowed' | 'no-mention';

export type AccessDecision = { allow: true } | { allow: false; reason: AccessDenyReason };

const ALLOW: AccessDecision = { allow: true };
const deny = (reason: AccessDenyReason): AccessDecision => ({ allow: false, reason });

export function checkAccess(inbound: Inbound, settings: AccessSettings, opts: AccessOptions = {}): AccessDecision {
  return inbound.chat.kind === 'direct' ? checkDm(inbound, settings.direct, opts) : checkChat(inbound, settings.chat);
}

function checkDm(m: Inbound, s: DirectSettings, opts: AccessOptions): AccessDecision {
  if (s.dmPolicy === 'disabled') return deny('dm-disabled');
  if (s.dmPolicy === 'open') return ALLOW;
  if (senderAllowed(m, s.allowFrom)) return ALLOW;
  if (s.dmPolicy === 'pairing') return opts.isPaired?.(senderKey(m)) ? ALLOW : deny('dm-pairing');
  return deny('dm-not-allowed');
}

function checkChat(m: Inbound, s: ChatSettings | undefined): AccessDecision {
  if (!s) return deny('group-not-allowed');
  if (s.enabled === false) return deny('chat-disabled');
  // allowFrom OR allowRoles: either list admits a sender; with neither, everyone in the chat may talk.
  const roles = s.allowRoles ?? [];
  if (s.allowFrom !== undefined || roles.length > 0) {
    const byId = s.allowFrom !== undefined && senderAllowed(m, s.allowFrom);
    const byRole = roles.some((r) => m.sender.roles?.includes(r));
    if (!byId && !byRole) return deny('sender-not-allowed');
  }
  if ((s.requireMention ?? true) && !m.mentionsBot) return deny('no-mention');
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
