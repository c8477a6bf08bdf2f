import { describe, expect, it } from 'vitest';
import { configSchemaFor, type Config } from '../../runtime/config/schema.js';
import { channelSettings } from '../../runtime/channel-settings.js';
import { CHANNEL_MODULES } from '../../bots/registry.js';
import { type Route, bindingPeerFor, resolveRoute, routePeers } from '../../runtime/routing.js';
import type { ChatRef, Inbound } from '../../runtime/types/channel.js';
import type { StoredBinding } from '../../runtime/types/storage.js';

type Msg = Pick<Inbound, 'channel' | 'accountId' | 'chat' | 'sender'>;

const AGENTS = ['main', 'peer', 'parent', 'roles', 'guild', 'team', 'account', 'channel', 'topic', 'chat', 'later'];

function config(extra: Record<string, unknown> = {}): Config {
  return configSchemaFor(CHANNEL_MODULES).parse({ agents: { list: AGENTS.map((id) => ({ id, default: id === 'main' })) }, ...extra });
}

function msg(channel: Inbound['channel'], chat: ChatRef, sender: Msg['sender'] = { id: 'u1' }, accountId = 'default'): Msg {
  return { channel, accountId, chat, sender };
}

let seq = 0;
function stored(agentId: string, match: StoredBinding['match'], createdAt = 1000 + seq++): StoredBinding {
  return { id: `b${seq}`, agentId, match, createdBy: 'telegram:owner', createdAt };
}

const tgGroup = msg('telegram', { kind: 'group', id: '-100' });
const tgTopic = msg('telegram', { kind: 'group', id: '-100', threadId: '7', isForum: true });
const tgDm = msg('telegram', { kind: 'direct', id: '42' }, { id: '42' });
const dcChannel = msg('discord', { kind: 'channel', id: '999', guildId: 'G' }, { id: 'u1', roles: ['mod', 'dev'] });
const dcThread = msg('discord', { kind: 'channel', id: '555', threadId: '555', parentId: '999', guildId: 'G' }, { id: 'u1', roles: [] });
const slackThread = msg('slack', { kind: 'channel', id: 'C1', threadId: '171.1', teamId: 'T1' });
const slackOther = msg('slack', { kind: 'channel', id: 'C2', teamId: 'T1' }, { id: 'u1' }, 'work');

const BINDINGS = [
  { agentId: 'channel', match: { channel: 'discord' } },
  { agentId: 'account', match: { channel: 'slack', accountId: 'work' } },
  { agentId: 'team', match: { channel: 'slack', teamId: 'T1' } },
  { agentId: 'guild', match: { channel: 'discord', guildId: 'G' } },
  { agentId: 'roles', match: { channel: 'discord', guildId: 'G', roles: ['dev'] } },
  { agentId: 'parent', match: { channel: 'discord', peer: { kind: 'channel', id: '999' } } },
  { agentId: 'peer', match: { channel: 'telegram', peer: { kind: 'group', id: -100 } } },
  { agentId: 'peer', match: { channel: 'telegram', peer: { kind: 'direct', id: 42 } } },
];

describe('resolveRoute: tiers, most specific first', () => {
  const cfg = config({ bindings: BINDINGS });
  const cases: [name: string, inbound: Msg, agentId: string, matchedBy: Route['matchedBy'], rule?: string][] = [
    ['exact group peer (numeric id in config)', tgGroup, 'peer', 'peer', 'bindings[6]'],
    ['exact DM peer by sender id', tgDm, 'peer', 'peer', 'bindings[7]'],
    ['topic falls back to its chat (parent-peer)', tgTopic, 'peer', 'parent-peer', 'bindings[6]'],
    ['discord channel: peer beats roles/guild/channel', dcChannel, 'parent', 'peer', 'bindings[5]'],
    ['discord thread: parent channel', dcThread, 'parent', 'parent-peer', 'bindings[5]'],
    [
      'discord other channel, sender has a bound role',
      msg('discord', { kind: 'channel', id: '1', guildId: 'G' }, { id: 'u', roles: ['dev'] }),
      'roles',
      'guild+roles',
      'bindings[4]',
    ],
    ['discord other channel, no bound role', msg('discord', { kind: 'channel', id: '1', guildId: 'G' }, { id: 'u', roles: ['mod'] }), 'guild', 'guild', 'bindings[3]'],
    ['discord other guild', msg('discord', { kind: 'channel', id: '1', guildId: 'H' }), 'channel', 'channel', 'bindings[0]'],
    ['slack team beats account', slackOther, 'team', 'team', 'bindings[2]'],
    ['slack account when no team', msg('slack', { kind: 'channel', id: 'C2' }, { id: 'u' }, 'work'), 'account', 'account', 'bindings[1]'],
    ['nothing matches → default', msg('whatsapp', { kind: 'group', id: 'x@g.us' }), 'main', 'default'],
    ['other telegram group → default', msg('telegram', { kind: 'group', id: '-200' }), 'main', 'default'],
  ];
  it.each(cases)('%s', (_name, inbound, agentId, matchedBy, rule) => {
    const r = resolveRoute({ inbound, config: cfg, stored: [] });
    expect(r).toMatchObject({ agentId, matchedBy, source: matchedBy === 'default' ? 'default' : 'config' });
    expect(r.binding?.rule).toBe(rule);
  });
});

describe('resolveRoute: threads and topics', () => {
  it('a Telegram topic binding (<chatId>:topic:<threadId>) beats its chat', () => {
    const cfg = config({
      bindings: [
        { agentId: 'parent', match: { channel: 'telegram', peer: { kind: 'group', id: '-100' } } },
        { agentId: 'peer', match: { channel: 'telegram', peer: { kind: 'group', id: '-100:topic:7' } } },
      ],
    });
    expect(resolveRoute({ inbound: tgTopic, config: cfg, stored: [] })).toMatchObject({ agentId: 'peer', matchedBy: 'peer' });
    const other = msg('telegram', { kind: 'group', id: '-100', threadId: '8' });
    expect(resolveRoute({ inbound: other, config: cfg, stored: [] })).toMatchObject({ agentId: 'parent', matchedBy: 'parent-peer' });
  });

  it('channels.telegram.groups.<chat>.topics.<thread>.agentId pins a topic at the peer tier', () => {
    const cfg = config({
      channels: { telegram: { groups: { '-100': { topics: { '7': { agentId: 'topic' } } } } } },
      bindings: [{ agentId: 'parent', match: { channel: 'telegram', peer: { kind: 'group', id: '-100' } } }],
    });
    // As the gateway routes: the Telegram module reads the pin out of its block (ChatSettings.agent).
    const settings = channelSettings(CHANNEL_MODULES, () => cfg);
    const route = (inbound: Msg, s: StoredBinding[] = []) =>
      resolveRoute({ inbound, config: cfg, stored: s, chatAgent: settings.chat(inbound.channel, inbound.chat, inbound.accountId)?.agent });
    const r = route(tgTopic);
    expect(r).toMatchObject({ agentId: 'topic', matchedBy: 'chat-config', source: 'config' });
    expect(r.binding?.rule).toBe('channels.telegram.groups.-100.topics.7.agentId');
    // The group itself and other topics are not pinned.
    expect(route(tgGroup).agentId).toBe('parent');
    expect(route(msg('telegram', { kind: 'group', id: '-100', threadId: '8', threadWord: 'topic' })).agentId).toBe('parent');
    // A chat-made binding for the same topic overrides the pin (same tier, later).
    const s = [stored('chat', { channel: 'telegram', peer: bindingPeerFor(tgTopic) })];
    expect(route(tgTopic, s)).toMatchObject({ agentId: 'chat', matchedBy: 'peer', source: 'chat' });
  });

  it("the thread word of a binding peer is the adapter's (ChatRef.threadWord), not a guess from the platform name", () => {
    // A platform whose adapter calls its threads topics, and a Telegram chat whose adapter said "thread".
    expect(bindingPeerFor(msg('slack', { kind: 'channel', id: 'C1', threadId: '9', threadWord: 'topic' })).id).toBe('C1:topic:9');
    expect(bindingPeerFor(msg('telegram', { kind: 'group', id: '-100', threadId: '9', threadWord: 'thread' })).id).toBe('-100:thread:9');
    // A chat recorded before adapters said it: a forum's threads were topics, others threads.
    expect(bindingPeerFor(msg('telegram', { kind: 'group', id: '-100', threadId: '9', isForum: true })).id).toBe('-100:topic:9');
    expect(bindingPeerFor(msg('discord', { kind: 'channel', id: '5', threadId: '9' })).id).toBe('5:thread:9');
  });

  it('a Discord thread can be bound by its own channel id or by <parent>:thread:<id>', () => {
    for (const id of ['555', '999:thread:555']) {
      const cfg = config({ bindings: [{ agentId: 'peer', match: { channel: 'discord', peer: { kind: 'channel', id } } }] });
      expect(resolveRoute({ inbound: dcThread, config: cfg, stored: [] })).toMatchObject({ agentId: 'peer', matchedBy: 'peer' });
    }
  });

  it('a Slack thread falls back to its channel; the channel binding is case-insensitive', () => {
    const cfg = config({ bindings: [{ agentId: 'parent', match: { channel: 'slack', peer: { kind: 'channel', id: 'c1' } } }] });
    expect(resolveRoute({ inbound: slackThread, config: cfg, stored: [] })).toMatchObject({ agentId: 'parent', matchedBy: 'parent-peer' });
  });

  it('routePeers / bindingPeerFor', () => {
    expect(routePeers(tgTopic)).toEqual({ exact: { kind: 'group', ids: ['-100:topic:7'] }, parent: { kind: 'group', id: '-100' } });
    expect(routePeers(dcThread)).toEqual({ exact: { kind: 'channel', ids: ['999:thread:555', '555'] }, parent: { kind: 'channel', id: '999' } });
    expect(routePeers(tgDm)).toEqual({ exact: { kind: 'direct', ids: ['42'] } });
    expect(bindingPeerFor(slackThread)).toEqual({ kind: 'channel', id: 'C1:thread:171.1' });
  });
});

describe('resolveRoute: constraints, precedence and stale bindings', () => {
  it('all constraints must hold: accountId on a peer binding, kind of peer', () => {
    const cfg = config({
      bindings: [
        { agentId: 'peer', match: { channel: 'telegram', accountId: 'bot2', peer: { kind: 'group', id: '-100' } } },
        { agentId: 'later', match: { channel: 'telegram', peer: { kind: 'direct', id: '-100' } } },
      ],
    });
    expect(resolveRoute({ inbound: tgGroup, config: cfg, stored: [] }).matchedBy).toBe('default');
    const viaBot2 = { ...tgGroup, accountId: 'bot2' };
    expect(resolveRoute({ inbound: viaBot2, config: cfg, stored: [] })).toMatchObject({ agentId: 'peer', matchedBy: 'peer' });
  });

  it('accountId "*" or absent is channel-wide', () => {
    const cfg = config({ bindings: [{ agentId: 'channel', match: { channel: 'telegram', accountId: '*' } }] });
    expect(resolveRoute({ inbound: { ...tgGroup, accountId: 'any' }, config: cfg, stored: [] })).toMatchObject({ agentId: 'channel', matchedBy: 'channel' });
  });

  it('within a tier the later config binding wins', () => {
    const cfg = config({
      bindings: [
        { agentId: 'channel', match: { channel: 'telegram' } },
        { agentId: 'later', match: { channel: 'telegram' } },
      ],
    });
    expect(resolveRoute({ inbound: tgGroup, config: cfg, stored: [] })).toMatchObject({ agentId: 'later', binding: { rule: 'bindings[1]', index: 1 } });
  });

  it('chat-made bindings beat config in the same tier, newest first; never a more specific config tier', () => {
    const cfg = config({
      bindings: [
        { agentId: 'peer', match: { channel: 'telegram', peer: { kind: 'group', id: '-100' } } },
        { agentId: 'channel', match: { channel: 'telegram' } },
      ],
    });
    const newer = stored('later', { channel: 'telegram', peer: { kind: 'group', id: '-100' } }, 2000);
    const older = stored('chat', { channel: 'telegram', peer: { kind: 'group', id: '-100' } }, 1500);
    // Stored order does not matter; creation time does.
    const r = resolveRoute({ inbound: tgGroup, config: cfg, stored: [newer, older] });
    expect(r).toMatchObject({ agentId: 'later', matchedBy: 'peer', source: 'chat', binding: { id: newer.id, createdBy: 'telegram:owner' } });
    // A chat-made channel-wide binding does not override a config peer binding.
    const wide = stored('chat', { channel: 'telegram' });
    expect(resolveRoute({ inbound: tgGroup, config: cfg, stored: [wide] })).toMatchObject({ agentId: 'peer', source: 'config' });
    expect(resolveRoute({ inbound: msg('telegram', { kind: 'group', id: '-5' }), config: cfg, stored: [wide] })).toMatchObject({
      agentId: 'chat',
      matchedBy: 'channel',
      source: 'chat',
    });
  });

  it('a binding to an agent that no longer exists is skipped and reported', () => {
    const cfg = config({ bindings: [{ agentId: 'channel', match: { channel: 'telegram' } }] });
    const gone = stored('removed', { channel: 'telegram', peer: { kind: 'group', id: '-100' } });
    const r = resolveRoute({ inbound: tgGroup, config: cfg, stored: [gone] });
    expect(r).toMatchObject({ agentId: 'channel', matchedBy: 'channel' });
    expect(r.ignored).toEqual([{ rule: `chat binding ${gone.id} (by telegram:owner)`, agentId: 'removed' }]);
    expect(resolveRoute({ inbound: tgGroup, config: config(), stored: [gone] })).toMatchObject({ agentId: 'main', matchedBy: 'default' });
  });

  it('an empty roles list is no constraint; roles need an intersection', () => {
    const s = [stored('roles', { channel: 'discord', guildId: 'G', roles: [] })];
    expect(resolveRoute({ inbound: dcChannel, config: config(), stored: s })).toMatchObject({ agentId: 'roles', matchedBy: 'guild' });
    const r = [stored('roles', { channel: 'discord', guildId: 'G', roles: ['admin'] })];
    expect(resolveRoute({ inbound: dcChannel, config: config(), stored: r }).matchedBy).toBe('default');
  });

  it('the default is the agent marked default, else the first', () => {
    const cfg = configSchemaFor(CHANNEL_MODULES).parse({ agents: { list: [{ id: 'a' }, { id: 'b', default: true }] } });
    expect(resolveRoute({ inbound: tgDm, config: cfg, stored: [] })).toEqual({ agentId: 'b', matchedBy: 'default', source: 'default' });
  });
});
