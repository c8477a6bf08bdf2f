import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { checkAccess, senderAllowed, type AccessOptions } from '../../runtime/access.js';
import type { ChatSettings, Inbound } from '../../runtime/types/channel.js';
import { telegramConfigSchema } from '../../bots/telegram/config.js';
import { telegramModule } from '../../bots/telegram/module.js';

/** A `channels.telegram` block as a user writes it. */
type AccessChannelConfig = z.input<typeof telegramConfigSchema>;

/** The runtime's decision on what the Telegram module reads from the block (as the gateway asks it). */
function decide(m: Inbound, raw: AccessChannelConfig | undefined, opts?: AccessOptions) {
  const cfg = raw === undefined ? undefined : telegramConfigSchema.parse(raw);
  const direct = telegramModule.directSettings(cfg, m.accountId);
  const chat = m.chat.kind === 'direct' ? undefined : telegramModule.chatSettings(cfg, m.chat, m.accountId);
  return checkAccess(m, { direct, chat }, opts);
}

function msg(over: {
  kind?: 'direct' | 'group';
  chatId?: string;
  threadId?: string;
  parentId?: string;
  senderId?: string;
  username?: string;
  mentionsBot?: boolean;
}): Inbound {
  const m: Inbound = {
    channel: 'telegram',
    accountId: 'default',
    chat: { kind: over.kind ?? 'direct', id: over.chatId ?? (over.kind === 'group' ? '-100200' : '42') },
    sender: { id: over.senderId ?? '42' },
    messageId: '1',
    text: 'hi',
    mentionsBot: over.mentionsBot ?? false,
    receivedAt: 0,
  };
  if (over.threadId) m.chat.threadId = over.threadId;
  if (over.parentId) m.chat.parentId = over.parentId;
  if (over.username) m.sender.username = over.username;
  return m;
}

const paired = (keys: string[]) => ({ isPaired: (k: string) => keys.includes(k) });

describe('checkAccess: direct messages', () => {
  const cases: [string, Inbound, AccessChannelConfig | undefined, ReturnType<typeof paired> | undefined, string][] = [
    ['open lets anyone in', msg({ senderId: '7' }), { dmPolicy: 'open' }, undefined, 'allow'],
    ['disabled blocks even allowlisted', msg({ senderId: '7' }), { dmPolicy: 'disabled', allowFrom: ['7'] }, undefined, 'dm-disabled'],
    ['allowlist by numeric id', msg({ senderId: '7' }), { dmPolicy: 'allowlist', allowFrom: ['7'] }, undefined, 'allow'],
    ['allowlist by number entry', msg({ senderId: '7' }), { dmPolicy: 'allowlist', allowFrom: [7] }, undefined, 'allow'],
    ['allowlist by @username, any case', msg({ senderId: '7', username: 'Alice' }), { dmPolicy: 'allowlist', allowFrom: ['@alice'] }, undefined, 'allow'],
    ['allowlist with channel prefix', msg({ senderId: '7' }), { dmPolicy: 'allowlist', allowFrom: ['telegram:7'] }, undefined, 'allow'],
    ["another channel's entry does not match", msg({ senderId: '7' }), { dmPolicy: 'allowlist', allowFrom: ['discord:7'] }, undefined, 'dm-not-allowed'],
    ['allowlist miss', msg({ senderId: '8' }), { dmPolicy: 'allowlist', allowFrom: ['7'] }, undefined, 'dm-not-allowed'],
    ['allowlist wildcard', msg({ senderId: '8' }), { dmPolicy: 'allowlist', allowFrom: ['*'] }, undefined, 'allow'],
    ['pairing: unknown sender', msg({ senderId: '8' }), { dmPolicy: 'pairing' }, paired([]), 'dm-pairing'],
    ['pairing: paired sender', msg({ senderId: '8' }), { dmPolicy: 'pairing' }, paired(['telegram:8']), 'allow'],
    ['pairing: allowlisted sender', msg({ senderId: '8' }), { dmPolicy: 'pairing', allowFrom: ['8'] }, undefined, 'allow'],
    ['no config block = pairing defaults', msg({ senderId: '8' }), undefined, undefined, 'dm-pairing'],
  ];
  it.each(cases)('%s', (_name, m, cfg, opts, expected) => {
    const d = decide(m, cfg, opts);
    expect(d.allow ? 'allow' : d.reason).toBe(expected);
  });
});

describe('checkAccess: groups and topics', () => {
  const groups: AccessChannelConfig['groups'] = {
    '-100200': { requireMention: true, topics: { '5': { requireMention: false }, '6': { enabled: false } } },
    '-100300': { requireMention: false },
    '-100400': { enabled: false },
    '-100500': { allowFrom: ['11'] },
  };
  const g = (over: Parameters<typeof msg>[0]) => msg({ kind: 'group', ...over });
  const cases: [string, Inbound, AccessChannelConfig, string][] = [
    ['unlisted group', g({ chatId: '-100999', mentionsBot: true }), { groups }, 'group-not-allowed'],
    ['no groups at all', g({ mentionsBot: true }), {}, 'group-not-allowed'],
    ['listed, not mentioned (default requireMention)', g({ chatId: '-100200' }), { groups }, 'no-mention'],
    ['listed, mentioned', g({ chatId: '-100200', mentionsBot: true }), { groups }, 'allow'],
    ['requireMention false', g({ chatId: '-100300' }), { groups }, 'allow'],
    ['disabled group', g({ chatId: '-100400', mentionsBot: true }), { groups }, 'chat-disabled'],
    ['topic override: no mention needed', g({ chatId: '-100200', threadId: '5' }), { groups }, 'allow'],
    ['topic without override inherits the group', g({ chatId: '-100200', threadId: '7' }), { groups }, 'no-mention'],
    ['disabled topic', g({ chatId: '-100200', threadId: '6', mentionsBot: true }), { groups }, 'chat-disabled'],
    ['group sender allowlist: in', g({ chatId: '-100500', senderId: '11', mentionsBot: true }), { groups }, 'allow'],
    ['group sender allowlist: out', g({ chatId: '-100500', senderId: '12', mentionsBot: true }), { groups }, 'sender-not-allowed'],
    ['wildcard allows any group, mention required by default', g({ chatId: '-1', mentionsBot: false }), { groups: { '*': {} } }, 'no-mention'],
    ['wildcard with requireMention false', g({ chatId: '-1' }), { groups: { '*': { requireMention: false } } }, 'allow'],
    ['own entry inherits requireMention from "*"', g({ chatId: '-100200' }), { groups: { '*': { requireMention: false }, '-100200': {} } }, 'allow'],
    ['own entry beats "*"', g({ chatId: '-100400', mentionsBot: true }), { groups: { '*': {}, ...groups } }, 'chat-disabled'],
    ['dmPolicy does not affect groups', g({ chatId: '-100300' }), { dmPolicy: 'disabled', groups }, 'allow'],
  ];
  it.each(cases)('%s', (_name, m, cfg, expected) => {
    const d = decide(m, cfg);
    expect(d.allow ? 'allow' : d.reason).toBe(expected);
  });
});

describe("checkAccess: the policy the runtime applies to any module's ChatSettings", () => {
  const g = (over: Parameters<typeof msg>[0] & { roles?: string[] }) => {
    const m = msg({ kind: 'group', mentionsBot: true, ...over });
    if (over.roles) m.sender.roles = over.roles;
    return m;
  };
  const cases: [string, Inbound, ChatSettings | undefined, string][] = [
    ['a chat the module does not list', g({}), undefined, 'group-not-allowed'],
    ['allowRoles alone admits a member with the role', g({ senderId: '9', roles: ['mods'] }), { allowRoles: ['mods'] }, 'allow'],
    ['allowRoles alone refuses a member without it', g({ senderId: '9', roles: ['guests'] }), { allowRoles: ['mods'] }, 'sender-not-allowed'],
    ['allowFrom OR allowRoles: the id matches', g({ senderId: '9' }), { allowFrom: ['9'], allowRoles: ['mods'] }, 'allow'],
    ['allowFrom OR allowRoles: the role matches', g({ senderId: '8', roles: ['mods'] }), { allowFrom: ['9'], allowRoles: ['mods'] }, 'allow'],
    ['allowFrom OR allowRoles: neither', g({ senderId: '8', roles: [] }), { allowFrom: ['9'], allowRoles: ['mods'] }, 'sender-not-allowed'],
    ['an empty allowFrom admits nobody', g({ senderId: '8' }), { allowFrom: [] }, 'sender-not-allowed'],
    ['requireMention defaults to true', g({ mentionsBot: false }), {}, 'no-mention'],
    ['disabled wins over everything', g({ senderId: '9' }), { enabled: false, allowFrom: ['9'], requireMention: false }, 'chat-disabled'],
  ];
  it.each(cases)('%s', (_name, m, chat, expected) => {
    const d = checkAccess(m, { direct: { dmPolicy: 'open', allowFrom: [] }, chat });
    expect(d.allow ? 'allow' : d.reason).toBe(expected);
  });
});

describe('senderAllowed', () => {
  it('never matches a username entry against a sender without a username, nor an id against a name', () => {
    expect(senderAllowed(msg({ senderId: '5' }), ['alice'])).toBe(false);
    expect(senderAllowed(msg({ senderId: '5', username: '5' }), ['@6'])).toBe(false);
    expect(senderAllowed(msg({ senderId: '5', username: 'bob' }), ['bob'])).toBe(true);
  });
});
