// Which agent owns an inbound message. Bindings come from config (`bindings`, and chats a channel block pins to an
// agent, ChatSettings.agent) and from chat (`/bind`, kept in state.json). A binding matches when ALL its constraints hold (channel, accountId,
// guildId, teamId, roles, peer); its tier is its most specific constraint. Tiers, most specific first:
//
//   peer         exact chat: a group/channel id, a DM sender id, or a thread (`<chatId>:<word>:<threadId>`, the
//                word being the adapter's: `topic` for Telegram forum topics, `thread` elsewhere; or the thread's
//                own chat.id — a Discord thread is a channel); config pins (ChatSettings.agent, e.g.
//                channels.telegram.groups.<chatId>.topics.<threadId>.agentId) sit here as 'chat-config'
//   parent-peer  the thread's parent: a topic's chat, a Discord/Slack thread's parentId channel
//   guild+roles  guildId and sender.roles intersecting match.roles
//   guild        guildId
//   team         teamId (Slack workspace)
//   account      match.accountId equal to the receiving bot account
//   channel      the whole platform (accountId absent or "*")
//   default      the default agent
//
// Within a tier candidates are ordered: config pins, config bindings in file order, chat bindings in creation
// order — and the LAST match wins. So a later binding overrides an earlier one and a chat-made binding always
// overrides config at the same tier (what an owner just did in chat is what they mean now).
// A binding whose agent no longer exists is skipped and reported in `ignored`.
import type { Config } from './config/schema.js';
import { defaultAgentId } from './config/agents.js';
import { threadWordOf, type ChatSettings, type Inbound } from './types/channel.js';
import type { StoredBinding } from './types/storage.js';

export type MatchedBy = 'peer' | 'parent-peer' | 'guild+roles' | 'guild' | 'team' | 'account' | 'channel' | 'chat-config' | 'default';

type Tier = Exclude<MatchedBy, 'chat-config' | 'default'>;
const TIERS: readonly Tier[] = ['peer', 'parent-peer', 'guild+roles', 'guild', 'team', 'account', 'channel'];

export type BindingMatch = StoredBinding['match'];
export type PeerRef = NonNullable<BindingMatch['peer']>;
type RouteInbound = Pick<Inbound, 'channel' | 'accountId' | 'chat' | 'sender'>;

export interface RouteBinding {
  agentId: string;
  match: BindingMatch;
  source: 'config' | 'chat';
  /** Where the rule lives, for /agents and /bind: `bindings[2]`, `chat binding b7 (by telegram:42)`, … */
  rule: string;
  /** Index in config.bindings (config bindings only). */
  index?: number;
  /** StoredBinding id (chat bindings only). */
  id?: string;
  createdBy?: string;
}

export interface Route {
  agentId: string;
  matchedBy: MatchedBy;
  binding?: RouteBinding;
  source: 'config' | 'chat' | 'default';
  /** Bindings that would have applied but point at an agent that no longer exists. */
  ignored?: { rule: string; agentId: string }[];
}

export interface RouteInput {
  inbound: RouteInbound;
  config: Config;
  stored: readonly StoredBinding[];
  /** The agent the message's chat is pinned to by its channel block (ChatSettings.agent), if any. */
  chatAgent?: ChatSettings['agent'];
}

/** The peers a message can be bound by: the exact one(s) and, for a thread, its parent. */
export interface RoutePeers {
  exact: { kind: PeerRef['kind']; ids: string[] };
  parent?: PeerRef;
}

/** For a thread: the id of the chat it lives in (chat.parentId when set, else chat.id). */
function threadBase(chat: RouteInbound['chat']): string {
  return chat.parentId ?? chat.id;
}

function isThread(chat: RouteInbound['chat']): boolean {
  return chat.kind !== 'direct' && chat.threadId !== undefined && chat.threadId !== '';
}

/** The canonical id of the exact peer: what `/bind` stores so routing matches it again. */
export function bindingPeerFor(inbound: RouteInbound): PeerRef {
  const { chat } = inbound;
  if (chat.kind === 'direct') return { kind: 'direct', id: inbound.sender.id };
  if (!isThread(chat)) return { kind: chat.kind, id: chat.id };
  return { kind: chat.kind, id: `${threadBase(chat)}:${threadWordOf(chat)}:${chat.threadId}` };
}

export function routePeers(inbound: RouteInbound): RoutePeers {
  const { chat } = inbound;
  const canonical = bindingPeerFor(inbound);
  if (!isThread(chat)) return { exact: { kind: canonical.kind, ids: [canonical.id] } };
  const base = threadBase(chat);
  const ids = [canonical.id];
  if (chat.id !== base) ids.push(chat.id); // a Discord thread is a channel with its own id
  return { exact: { kind: chat.kind, ids }, parent: { kind: chat.kind, id: base } };
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The tier at which `match` applies to the message, or null when it does not apply. */
export function matchTier(match: BindingMatch, inbound: RouteInbound, peers: RoutePeers = routePeers(inbound)): Tier | null {
  const { chat } = inbound;
  if (match.channel !== inbound.channel) return null;
  const accountSpecific = match.accountId !== undefined && match.accountId !== '*';
  if (accountSpecific && match.accountId !== inbound.accountId) return null;
  if (match.guildId !== undefined && match.guildId !== chat.guildId) return null;
  if (match.teamId !== undefined && match.teamId !== chat.teamId) return null;
  // An empty roles list is no constraint (rather than "matches nobody").
  const roles = match.roles && match.roles.length > 0 ? match.roles : undefined;
  if (roles && !roles.some((r) => inbound.sender.roles?.includes(r))) return null;

  if (match.peer) {
    const { kind, id } = match.peer;
    if (kind === peers.exact.kind && peers.exact.ids.some((p) => same(p, id))) return 'peer';
    if (peers.parent && kind === peers.parent.kind && same(peers.parent.id, id)) return 'parent-peer';
    return null;
  }
  if (roles) return 'guild+roles';
  if (match.guildId !== undefined) return 'guild';
  if (match.teamId !== undefined) return 'team';
  if (accountSpecific) return 'account';
  return 'channel';
}

/** A chat pinned to an agent by its channel block, as a binding at the peer tier. */
function chatPin(inbound: RouteInbound, pin: ChatSettings['agent']): RouteBinding | undefined {
  if (!pin || inbound.chat.kind === 'direct') return undefined;
  return { agentId: pin.agentId, match: { channel: inbound.channel, peer: bindingPeerFor(inbound) }, source: 'config', rule: pin.rule };
}

function byCreation(stored: readonly StoredBinding[]): StoredBinding[] {
  // Stable sort: equal timestamps keep their stored order.
  return stored
    .map((b, i) => ({ b, i }))
    .sort((x, y) => x.b.createdAt - y.b.createdAt || x.i - y.i)
    .map((x) => x.b);
}

export function resolveRoute(input: RouteInput): Route {
  const { inbound, config } = input;
  const peers = routePeers(inbound);
  const agentIds = new Set(config.agents.list.map((a) => a.id));
  const best = new Map<Tier, { binding: RouteBinding; pinned: boolean }>();
  const ignored: { rule: string; agentId: string }[] = [];

  const consider = (binding: RouteBinding, tier: Tier | null, pinned = false) => {
    if (tier === null) return;
    if (!agentIds.has(binding.agentId)) {
      ignored.push({ rule: binding.rule, agentId: binding.agentId });
      return;
    }
    best.set(tier, { binding, pinned }); // later candidates overwrite: last match wins within a tier
  };

  const pin = chatPin(inbound, input.chatAgent);
  if (pin) consider(pin, 'peer', true);
  config.bindings.forEach((b, index) => {
    const match: BindingMatch = b.match;
    consider({ agentId: b.agentId, match, source: 'config', rule: `bindings[${index}]`, index }, matchTier(match, inbound, peers));
  });
  for (const b of byCreation(input.stored)) {
    const binding: RouteBinding = {
      agentId: b.agentId,
      match: b.match,
      source: 'chat',
      rule: `chat binding ${b.id} (by ${b.createdBy})`,
      id: b.id,
      createdBy: b.createdBy,
    };
    consider(binding, matchTier(b.match, inbound, peers));
  }

  const extra = ignored.length > 0 ? { ignored } : {};
  for (const tier of TIERS) {
    const hit = best.get(tier);
    if (hit) {
      return {
        agentId: hit.binding.agentId,
        matchedBy: hit.pinned ? 'chat-config' : tier,
        binding: hit.binding,
        source: hit.binding.source,
        ...extra,
      };
    }
  }
  return { agentId: defaultAgentId(config), matchedBy: 'default', source: 'default', ...extra };
}
