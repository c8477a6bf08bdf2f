// The binding scopes `/bind` and `/unbind` offer, and the StoredBinding match each one means for the message
// at hand. The peer ids are the canonical ones runtime/routing.ts matches (its bindingPeerFor): a thread is
// `<parentId>:<word>:<threadId>` with the adapter's word for it (`topic` on Telegram forums), a DM the sender's id. test/e2e/admin-commands.test.ts checks them against the real router.
import { threadWordOf, type Inbound, type StoredBinding } from '../runtime/types/index.js';

export type BindScope = 'topic' | 'chat' | 'guild' | 'account' | 'channel';
/** Most specific first: the order /bind picks its default and /unbind searches. */
export const BIND_SCOPES: readonly BindScope[] = ['topic', 'chat', 'guild', 'account', 'channel'];

export type BindMatch = StoredBinding['match'];

export function parseScope(word: string): BindScope | null {
  const w = word.toLowerCase();
  if (w === 'thread') return 'topic';
  if (w === 'team' || w === 'workspace' || w === 'server') return 'guild';
  return (BIND_SCOPES as readonly string[]).includes(w) ? (w as BindScope) : null;
}

type Here = Pick<Inbound, 'channel' | 'accountId' | 'chat' | 'sender'>;

function isThread(m: Here): boolean {
  return m.chat.kind !== 'direct' && m.chat.threadId !== undefined && m.chat.threadId !== '';
}

/** The match for `scope` here, or a reason the scope does not exist here. */
export function matchForScope(m: Here, scope: BindScope): { match: BindMatch } | { unavailable: string } {
  const { chat } = m;
  switch (scope) {
    case 'topic': {
      if (!isThread(m)) return { unavailable: 'this chat has no topic or thread' };
      return { match: { channel: m.channel, peer: { kind: chat.kind, id: `${chat.parentId ?? chat.id}:${threadWordOf(chat)}:${chat.threadId}` } } };
    }
    case 'chat':
      if (chat.kind === 'direct') return { match: { channel: m.channel, peer: { kind: 'direct', id: m.sender.id } } };
      // In a thread, "chat" is the chat/channel it lives in.
      return { match: { channel: m.channel, peer: { kind: chat.kind, id: isThread(m) ? (chat.parentId ?? chat.id) : chat.id } } };
    case 'guild':
      if (chat.guildId) return { match: { channel: m.channel, guildId: chat.guildId } };
      if (chat.teamId) return { match: { channel: m.channel, teamId: chat.teamId } };
      return { unavailable: 'this chat is not in a Discord server or Slack workspace' };
    case 'account':
      return { match: { channel: m.channel, accountId: m.accountId } };
    case 'channel':
      return { match: { channel: m.channel } };
  }
}

/** The scope /bind uses when none is given: the most specific one that exists here. */
export function defaultScope(m: Here): BindScope {
  return isThread(m) ? 'topic' : 'chat';
}

export function availableScopes(m: Here): BindScope[] {
  return BIND_SCOPES.filter((s) => 'match' in matchForScope(m, s));
}

const eq = (a: string | undefined, b: string | undefined) => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();

/** Same constraints (ids compared case-insensitively, as routing does); role-restricted bindings never equal a scope. */
export function sameMatch(a: BindMatch, b: BindMatch): boolean {
  if ((a.roles?.length ?? 0) > 0 || (b.roles?.length ?? 0) > 0) return false;
  const acc = (x: BindMatch) => (x.accountId === '*' ? undefined : x.accountId);
  return (
    a.channel === b.channel &&
    eq(acc(a), acc(b)) &&
    eq(a.guildId, b.guildId) &&
    eq(a.teamId, b.teamId) &&
    (a.peer === undefined) === (b.peer === undefined) &&
    (a.peer === undefined || (a.peer.kind === b.peer?.kind && eq(a.peer.id, b.peer.id)))
  );
}

/** "telegram group -100:topic:7", "discord guild 42", "telegram account default", "all of telegram". */
export function describeMatch(match: BindMatch): string {
  const parts: string[] = [];
  if (match.peer) parts.push(`${match.channel} ${match.peer.kind === 'direct' ? 'DM with' : match.peer.kind} ${match.peer.id}`);
  if (match.guildId) parts.push(`${match.channel} server ${match.guildId}`);
  if (match.teamId) parts.push(`${match.channel} workspace ${match.teamId}`);
  if (match.accountId && match.accountId !== '*') parts.push(`${match.channel} account ${match.accountId}`);
  if (match.roles?.length) parts.push(`roles ${match.roles.join(',')}`);
  return parts.length > 0 ? parts.join(', ') : `all of ${match.channel}`;
}
