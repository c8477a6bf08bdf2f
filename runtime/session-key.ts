// Session keys: the context and permission boundary. Everything scoped by a session (transcript, memory
// results, approvals, queue lane) is reached only through its key, so two people must never share one unless
// the owner chose it (dmScope `main` / `per-peer`, identityLinks).
//
// Shapes (all lowercased):
//   DM  main                      agent:<a>:main
//       per-peer                  agent:<a>:direct:<peer>
//       per-channel-peer (default)agent:<a>:<channel>:direct:<peer>
//       per-account-channel-peer  agent:<a>:<channel>:<account>:direct:<peer>
//   group                         agent:<a>:<channel>:group:<chatId>[:<word>:<threadId>]
//   channel (Discord/Slack)       agent:<a>:<channel>:channel:<chatId>[:<word>:<threadId>]
// <word> is what the adapter calls its threads (ChatRef.threadWord, see threadWordOf): `topic` for a Telegram
// forum topic, `thread` for Discord and Slack threads. For a thread, <chatId> is the parent (chat.parentId when
// set, else chat.id), so a Discord thread whose chat.id is the thread's own channel still keys under its parent.
//
// Escaping: every part is lowercased, then '%' → '%25', ':' → '%3a', and whitespace/control characters →
// %xx (UTF-8 bytes, lowercase hex). Hence every ':' in a key is a separator, lowercasing is idempotent, and
// parseSessionKey decodes parts exactly. The DM peer is the sender id; identityLinks replace it with the canonical
// name. Only a link joins identities across channels: where an unlinked id could meet another person's peer — in
// per-peer keys (no channel in them: Telegram user 111 and web chat user "111" are different people) or when it
// equals a canonical name (web chat ids are chosen by the client: "alice" must not land in linked alice's
// session) — the peer is `<channel>:<id>`, escaped into one part: no id of our platforms contains ':', so no
// unqualified id can produce it.
// Lowercasing assumes ids are case-insensitive, which holds for every platform we support (numeric Telegram
// and Discord ids, upper-case Slack ids, WhatsApp JIDs); web chat lower-cases the ids its clients choose.
import { threadWordOf, type ChannelId, type Inbound } from './types/channel.js';

export type DmScope = 'main' | 'per-peer' | 'per-channel-peer' | 'per-account-channel-peer';

export interface SessionKeyInput {
  agentId: string;
  inbound: Pick<Inbound, 'channel' | 'accountId' | 'chat' | 'sender'>;
  dmScope?: DmScope;
  /** canonical name → platform identities `<channel>:<userId>`. */
  identityLinks?: Record<string, string[]>;
}

const UNSAFE = /[%:\s\u0000-\u001f\u007f]/gu;

/** Escapes one key part (see the header comment). */
export function escapeKeyPart(part: string): string {
  return part.toLowerCase().replace(UNSAFE, (ch) => [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''));
}

export function unescapeKeyPart(part: string): string {
  return decodeURIComponent(part);
}

/** The canonical peer for `<channel>:<userId>` from identityLinks, or undefined. */
export function canonicalPeer(identityLinks: Record<string, string[]> | undefined, channel: ChannelId, userId: string): string | undefined {
  if (!identityLinks) return undefined;
  const wanted = `${channel}:${userId}`.toLowerCase();
  for (const [canonical, identities] of Object.entries(identityLinks)) {
    if (identities.some((i) => i.toLowerCase() === wanted)) return canonical;
  }
  return undefined;
}

/** The (unescaped) DM peer of a sender: its canonical name, its id, or `<channel>:<id>` (see the header comment). */
export function dmPeer(identityLinks: Record<string, string[]> | undefined, channel: ChannelId, senderId: string, scope: DmScope): string {
  const linked = canonicalPeer(identityLinks, channel, senderId);
  if (linked !== undefined) return linked;
  const id = senderId.toLowerCase();
  const namesACanonical = Object.keys(identityLinks ?? {}).some((name) => name.toLowerCase() === id);
  return scope === 'per-peer' || namesACanonical ? `${channel}:${senderId}` : senderId;
}

export function sessionKeyFor(input: SessionKeyInput): string {
  const { inbound } = input;
  const { chat } = inbound;
  const e = escapeKeyPart;
  // An empty id would put everyone without one into the same session.
  requireId('agentId', input.agentId);
  requireId('accountId', inbound.accountId);
  requireId(chat.kind === 'direct' ? 'sender.id' : 'chat.id', chat.kind === 'direct' ? inbound.sender.id : chat.id);
  const agent = `agent:${e(input.agentId)}`;
  const channel = e(inbound.channel);

  if (chat.kind === 'direct') {
    const scope = input.dmScope ?? 'per-channel-peer';
    const peer = e(dmPeer(input.identityLinks, inbound.channel, inbound.sender.id, scope));
    switch (scope) {
      case 'main':
        return `${agent}:main`;
      case 'per-peer':
        return `${agent}:direct:${peer}`;
      case 'per-account-channel-peer':
        return `${agent}:${channel}:${e(inbound.accountId)}:direct:${peer}`;
      case 'per-channel-peer':
        return `${agent}:${channel}:direct:${peer}`;
    }
  }

  const threaded = chat.threadId !== undefined && chat.threadId !== '';
  const base = threaded ? (chat.parentId ?? chat.id) : chat.id;
  const key = `${agent}:${channel}:${chat.kind}:${e(base)}`;
  if (!threaded) return key;
  return `${key}:${threadWordOf(chat)}:${e(chat.threadId as string)}`;
}

function requireId(name: string, value: string): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`cannot build a session key: ${name} is empty (the channel adapter must report it)`);
  }
}

export type ParsedSessionKey =
  | { kind: 'main'; agentId: string }
  | { kind: 'direct'; agentId: string; channel?: string; accountId?: string; peer: string }
  | { kind: 'group' | 'channel'; agentId: string; channel: string; chatId: string; threadKind?: 'topic' | 'thread'; threadId?: string };

/** Decodes a key made by sessionKeyFor; null for anything else. Parts come back unescaped (still lowercase). */
export function parseSessionKey(key: string): ParsedSessionKey | null {
  const raw = key.split(':');
  if (raw.length < 3 || raw[0] !== 'agent' || raw.some((p) => p === '')) return null;
  let parts: string[];
  try {
    parts = raw.map(unescapeKeyPart);
  } catch {
    return null; // malformed %-escape: not a key we made
  }
  const agentId = parts[1];
  // Shapes differ in length first, then in their marker word, so an account named "group" cannot be misread.
  switch (raw.length) {
    case 3:
      return raw[2] === 'main' ? { kind: 'main', agentId } : null;
    case 4:
      return raw[2] === 'direct' ? { kind: 'direct', agentId, peer: parts[3] } : null;
    case 5:
      if (raw[3] === 'direct') return { kind: 'direct', agentId, channel: parts[2], peer: parts[4] };
      if (raw[3] === 'group' || raw[3] === 'channel') return { kind: raw[3], agentId, channel: parts[2], chatId: parts[4] };
      return null;
    case 6:
      return raw[4] === 'direct' ? { kind: 'direct', agentId, channel: parts[2], accountId: parts[3], peer: parts[5] } : null;
    case 7:
      if ((raw[3] === 'group' || raw[3] === 'channel') && (raw[5] === 'topic' || raw[5] === 'thread')) {
        return { kind: raw[3], agentId, channel: parts[2], chatId: parts[4], threadKind: raw[5], threadId: parts[6] };
      }
      return null;
    default:
      return null;
  }
}

/** True for DM keys (all dmScopes, including `main`). */
export function isDirectKey(key: string): boolean {
  const parsed = parseSessionKey(key);
  return parsed !== null && (parsed.kind === 'direct' || parsed.kind === 'main');
}

/** A one-line description for /whoami-style display, e.g. `agent main · telegram DM with 123`. */
export function describeSessionKey(key: string): string {
  const p = parseSessionKey(key);
  if (!p) return `unrecognised session key ${key}`;
  switch (p.kind) {
    case 'main':
      return `agent ${p.agentId} · shared DM session (dmScope main)`;
    case 'direct': {
      const where = [p.channel, p.accountId && `account ${p.accountId}`].filter(Boolean).join(' ');
      return `agent ${p.agentId} · ${where ? `${where} ` : ''}DM with ${p.peer}`;
    }
    default: {
      const thread = p.threadId ? ` ${p.threadKind} ${p.threadId}` : '';
      return `agent ${p.agentId} · ${p.channel} ${p.kind} ${p.chatId}${thread}`;
    }
  }
}
