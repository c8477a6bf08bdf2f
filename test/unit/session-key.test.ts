import { describe, expect, it } from 'vitest';
import { type DmScope, type SessionKeyInput, describeSessionKey, escapeKeyPart, isDirectKey, parseSessionKey, sessionKeyFor } from '../../runtime/session-key.js';
import type { ChatRef, Inbound } from '../../runtime/types/channel.js';

type Msg = SessionKeyInput['inbound'];

function dm(channel: Inbound['channel'], senderId: string, accountId = 'default'): Msg {
  return { channel, accountId, chat: { kind: 'direct', id: `dm-${senderId}` }, sender: { id: senderId } };
}
function inChat(channel: Inbound['channel'], chat: ChatRef, senderId = 'u1'): Msg {
  return { channel, accountId: 'default', chat, sender: { id: senderId } };
}

const links = { alice: ['telegram:111', 'Discord:222'] };

describe('sessionKeyFor', () => {
  const cases: [name: string, inbound: Msg, dmScope: DmScope | undefined, expected: string][] = [
    ['DM main', dm('telegram', '111'), 'main', 'agent:main:main'],
    // Unlinked per-peer keys name the channel: the same id on two platforms is two people (only a link joins them).
    ['DM per-peer', dm('telegram', '42'), 'per-peer', 'agent:main:direct:telegram%3a42'],
    ['DM per-peer, same id on web chat', dm('webchat', '42'), 'per-peer', 'agent:main:direct:webchat%3a42'],
    ['DM per-channel-peer', dm('telegram', '42'), 'per-channel-peer', 'agent:main:telegram:direct:42'],
    ['DM default scope is per-channel-peer', dm('discord', '42'), undefined, 'agent:main:discord:direct:42'],
    ['DM per-account-channel-peer', dm('telegram', '42', 'Bot2'), 'per-account-channel-peer', 'agent:main:telegram:bot2:direct:42'],
    ['DM identity link (per-peer)', dm('discord', '222'), 'per-peer', 'agent:main:direct:alice'],
    ['DM identity link (per-channel-peer)', dm('telegram', '111'), 'per-channel-peer', 'agent:main:telegram:direct:alice'],
    ['DM identity link (per-account)', dm('telegram', '111', 'b'), 'per-account-channel-peer', 'agent:main:telegram:b:direct:alice'],
    // An unlinked id that equals a canonical name must not land in that person's session.
    ['DM id equal to a canonical name', dm('webchat', 'Alice'), undefined, 'agent:main:webchat:direct:webchat%3aalice'],
    ['DM id equal to a canonical name (per-peer)', dm('webchat', 'alice'), 'per-peer', 'agent:main:direct:webchat%3aalice'],
    ['DM lowercased', dm('slack', 'U02ABC'), undefined, 'agent:main:slack:direct:u02abc'],
    ['Telegram group', inChat('telegram', { kind: 'group', id: '-100123' }), undefined, 'agent:main:telegram:group:-100123'],
    [
      'Telegram forum topic (the adapter says topic)',
      inChat('telegram', { kind: 'group', id: '-100123', threadId: '7', isForum: true, threadWord: 'topic' }),
      undefined,
      'agent:main:telegram:group:-100123:topic:7',
    ],
    // Recorded before adapters named the word (journal, sessions.json): a forum's threads keep their `:topic:` key.
    [
      'Telegram forum topic recorded without a thread word',
      inChat('telegram', { kind: 'group', id: '-100123', threadId: '7', isForum: true }),
      undefined,
      'agent:main:telegram:group:-100123:topic:7',
    ],
    // The word is the adapter's, whatever the platform: no platform name decides it.
    [
      'a thread its adapter calls a topic',
      inChat('slack', { kind: 'channel', id: 'C1', threadId: '7', threadWord: 'topic' }),
      undefined,
      'agent:main:slack:channel:c1:topic:7',
    ],
    [
      'a Telegram thread its adapter calls a thread',
      inChat('telegram', { kind: 'group', id: '-1', threadId: '7', threadWord: 'thread' }),
      undefined,
      'agent:main:telegram:group:-1:thread:7',
    ],
    ['WhatsApp group', inChat('whatsapp', { kind: 'group', id: '12036@g.us' }), undefined, 'agent:main:whatsapp:group:12036@g.us'],
    ['Discord channel', inChat('discord', { kind: 'channel', id: '999', guildId: 'g' }), undefined, 'agent:main:discord:channel:999'],
    [
      'Discord thread (own id, parentId)',
      inChat('discord', { kind: 'channel', id: '555', threadId: '555', parentId: '999' }),
      undefined,
      'agent:main:discord:channel:999:thread:555',
    ],
    [
      'Slack thread (ts in threadId)',
      inChat('slack', { kind: 'channel', id: 'C01AB', threadId: '1712.0001' }),
      undefined,
      'agent:main:slack:channel:c01ab:thread:1712.0001',
    ],
    ['Slack group-kind thread uses :thread:', inChat('slack', { kind: 'group', id: 'G1', threadId: '1.2' }), undefined, 'agent:main:slack:group:g1:thread:1.2'],
    ['group ignores dmScope', inChat('telegram', { kind: 'group', id: '-1' }), 'main', 'agent:main:telegram:group:-1'],
    ['":" in an id is escaped', inChat('webchat', { kind: 'group', id: 'room:1' }), undefined, 'agent:main:webchat:group:room%3a1'],
    ['"%" and spaces escaped', dm('webchat', 'a%b c'), undefined, 'agent:main:webchat:direct:a%25b%20c'],
  ];

  it.each(cases)('%s', (_name, inbound, dmScope, expected) => {
    const key = sessionKeyFor({ agentId: 'main', inbound, dmScope, identityLinks: links });
    expect(key).toBe(expected);
    expect(parseSessionKey(key)).not.toBeNull();
  });

  it('agent id is part of every key', () => {
    expect(sessionKeyFor({ agentId: 'Work', inbound: dm('telegram', '1'), dmScope: 'main', identityLinks: {} })).toBe('agent:work:main');
  });

  it('two different users never share a key under the default scope', () => {
    // Includes ids crafted to collide if ':' were not escaped, and the same id on two platforms.
    const senders: Msg[] = [
      dm('telegram', '1'),
      dm('telegram', '2'),
      dm('discord', '1'),
      dm('telegram', '1', 'other-bot'),
      dm('webchat', 'x:direct:y'),
      dm('webchat', 'x'),
      dm('webchat', 'x%3ay'),
      dm('webchat', 'x:y'),
    ];
    const keys = senders.map((inbound) => sessionKeyFor({ agentId: 'main', inbound, dmScope: 'per-channel-peer', identityLinks: {} }));
    // 'other-bot' shares the telegram user 1 key under per-channel-peer by design (same person, same channel).
    expect(keys[3]).toBe(keys[0]);
    const distinct = keys.filter((_, i) => i !== 3);
    expect(new Set(distinct).size).toBe(distinct.length);
  });

  it('a group, its topics and its DMs never share a key', () => {
    const keys = [
      sessionKeyFor({ agentId: 'main', inbound: inChat('telegram', { kind: 'group', id: '-1' }), identityLinks: {} }),
      sessionKeyFor({ agentId: 'main', inbound: inChat('telegram', { kind: 'group', id: '-1', threadId: '2' }), identityLinks: {} }),
      sessionKeyFor({ agentId: 'main', inbound: inChat('telegram', { kind: 'group', id: '-1', threadId: '3' }), identityLinks: {} }),
      sessionKeyFor({ agentId: 'main', inbound: inChat('telegram', { kind: 'group', id: '-1:topic:2' }), identityLinks: {} }),
      sessionKeyFor({ agentId: 'main', inbound: dm('telegram', '-1'), identityLinks: {} }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('refuses empty ids instead of pooling everyone into one session', () => {
    expect(() => sessionKeyFor({ agentId: 'main', inbound: dm('telegram', ''), identityLinks: {} })).toThrow(/sender.id is empty/);
    expect(() => sessionKeyFor({ agentId: 'main', inbound: inChat('discord', { kind: 'channel', id: ' ' }), identityLinks: {} })).toThrow(/chat.id/);
  });
});

describe('parseSessionKey / isDirectKey', () => {
  const cases: [key: string, parsed: ReturnType<typeof parseSessionKey>, direct: boolean][] = [
    ['agent:main:main', { kind: 'main', agentId: 'main' }, true],
    ['agent:main:direct:alice', { kind: 'direct', agentId: 'main', peer: 'alice' }, true],
    ['agent:main:telegram:direct:42', { kind: 'direct', agentId: 'main', channel: 'telegram', peer: '42' }, true],
    ['agent:main:telegram:bot2:direct:42', { kind: 'direct', agentId: 'main', channel: 'telegram', accountId: 'bot2', peer: '42' }, true],
    // An account named like a marker word is still read by position.
    ['agent:main:telegram:group:direct:42', { kind: 'direct', agentId: 'main', channel: 'telegram', accountId: 'group', peer: '42' }, true],
    ['agent:main:telegram:group:-100', { kind: 'group', agentId: 'main', channel: 'telegram', chatId: '-100' }, false],
    ['agent:main:telegram:group:-100:topic:7', { kind: 'group', agentId: 'main', channel: 'telegram', chatId: '-100', threadKind: 'topic', threadId: '7' }, false],
    ['agent:main:discord:channel:999', { kind: 'channel', agentId: 'main', channel: 'discord', chatId: '999' }, false],
    ['agent:main:discord:channel:999:thread:5', { kind: 'channel', agentId: 'main', channel: 'discord', chatId: '999', threadKind: 'thread', threadId: '5' }, false],
    ['agent:main:webchat:group:room%3a1', { kind: 'group', agentId: 'main', channel: 'webchat', chatId: 'room:1' }, false],
    ['agent:main:webchat:direct:a%25b%20c', { kind: 'direct', agentId: 'main', channel: 'webchat', peer: 'a%b c' }, true],
    ['agent:main', null, false],
    ['session:main:main', null, false],
    ['agent:main:telegram:room:1', null, false],
    ['agent:main:telegram:group:1:reply:2', null, false],
    ['agent::main', null, false],
    ['agent:main:direct:%zz', null, false],
    ['agent:main:a:b:c:d:e:f', null, false],
  ];

  it.each(cases)('%s', (key, parsed, direct) => {
    expect(parseSessionKey(key)).toEqual(parsed);
    expect(isDirectKey(key)).toBe(direct);
  });

  it('round-trips ids through escaping', () => {
    for (const id of ['a:b', 'x%3ay', '50% off', 'tab\tnew\nline', 'ünï:cødé']) {
      const key = sessionKeyFor({ agentId: 'main', inbound: dm('webchat', id), identityLinks: {} });
      expect(key.split(':')).toHaveLength(5);
      expect(parseSessionKey(key)).toMatchObject({ kind: 'direct', peer: id.toLowerCase() });
    }
    expect(escapeKeyPart(escapeKeyPart('A:b').toLowerCase())).toBe('a%253ab');
  });

  it('describes keys for display', () => {
    expect(describeSessionKey('agent:main:telegram:group:-100:topic:7')).toBe('agent main · telegram group -100 topic 7');
    expect(describeSessionKey('agent:main:telegram:bot2:direct:42')).toBe('agent main · telegram account bot2 DM with 42');
    expect(describeSessionKey('agent:main:main')).toBe('agent main · shared DM session (dmScope main)');
    expect(describeSessionKey('nonsense')).toBe('unrecognised session key nonsense');
  });
});
