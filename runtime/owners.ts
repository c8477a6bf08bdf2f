// Who the owner is: `commands.ownerAllowFrom` entries `<channel>:<userId>`. The one parser of those entries and
// the one owner check, shared by the gateway, approvals and chat commands. Platform ids are case-insensitive
// (see runtime/session-key.ts), so entries are compared ignoring case.
import type { Config } from './config/schema.js';
import { canonicalPeer } from './session-key.js';
import type { ChannelId } from './types/channel.js';

export interface OwnerId {
  channel: string;
  userId: string;
}

/** `<channel>:<userId>` → its parts (the user id may itself contain ':'); null for anything else. */
export function parseOwnerId(entry: string): OwnerId | null {
  const i = entry.indexOf(':');
  if (i <= 0 || i === entry.length - 1) return null;
  return { channel: entry.slice(0, i).toLowerCase(), userId: entry.slice(i + 1) };
}

/** `<channel>:<userId>` as audited and as approvals record who decided. */
export function ownerKey(channel: string, userId: string): string {
  return `${channel}:${userId}`;
}

/** Whether `who` (`<channel>:<userId>`) is in commands.ownerAllowFrom. */
export function isOwnerKey(config: Config, who: string): boolean {
  const key = who.toLowerCase();
  return config.commands.ownerAllowFrom.some((o) => o.toLowerCase() === key);
}

export function isOwner(config: Config, channel: string, senderId: string): boolean {
  return isOwnerKey(config, ownerKey(channel, senderId));
}

/**
 * The owners as people, each with their entries in ownerAllowFrom order. Entries that session.identityLinks link
 * to one name are one person (told once, on the platform that suits); every other entry is a person of its own.
 */
export function ownerPeople(config: Config): OwnerId[][] {
  const people = new Map<string, OwnerId[]>();
  for (const entry of config.commands.ownerAllowFrom) {
    const id = parseOwnerId(entry);
    if (!id) continue;
    const linked = canonicalPeer(config.session.identityLinks, id.channel as ChannelId, id.userId);
    const person = linked !== undefined ? `link:${linked}` : `entry:${entry.toLowerCase()}`;
    const list = people.get(person) ?? [];
    if (!list.some((x) => x.channel === id.channel && x.userId.toLowerCase() === id.userId.toLowerCase())) list.push(id);
    people.set(person, list);
  }
  return [...people.values()];
}
