// channels.whatsapp: the schema (the keys are product interface) and the module's lookups of it.
import { describe, expect, it } from 'vitest';
import { resolveAccounts, whatsappConfigSchema } from '../bots/whatsapp/config.js';
import { createWhatsAppModule } from '../bots/whatsapp/module.js';

const GROUP = '120363012345678901@g.us';

describe('config', () => {
  it('accepts the documented keys and normalises phone numbers', () => {
    const cfg = whatsappConfigSchema.parse({
      dmPolicy: 'allowlist',
      allowFrom: ['+1 (555) 123-4567', '201234567890123@lid', '*'],
      groups: { '120363012345678901@g.us': { requireMention: false }, '*': { requireMention: true } },
      sendReadReceipts: false,
      accounts: { work: { sendReadReceipts: true } },
    });
    expect(cfg.allowFrom).toEqual(['+15551234567', '201234567890123@lid', '*']);
  });

  it('rejects unknown keys, numbers without a country code and group keys that are not group JIDs', () => {
    for (const bad of [
      { botToken: 'x' },
      { allowFrom: ['5551234567'] },
      { groups: { 'family': {} } },
      { groups: { '*': { requireMention: true, topics: {} } } },
      { accounts: { 'a/b': {} } },
      { accounts: { work: { phone: '+1555' } } },
    ]) {
      expect(whatsappConfigSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('accounts: the listed ids, else the one account "default"; read receipts per account or from the block', () => {
    expect(resolveAccounts(whatsappConfigSchema.parse({}))).toEqual([{ accountId: 'default', sendReadReceipts: true }]);
    expect(resolveAccounts(whatsappConfigSchema.parse({ sendReadReceipts: false, accounts: { default: {}, work: { sendReadReceipts: true } } }))).toEqual([
      { accountId: 'default', sendReadReceipts: false },
      { accountId: 'work', sendReadReceipts: true },
    ]);
    expect(createWhatsAppModule().accountIds!(whatsappConfigSchema.parse({ accounts: { work: {} } }))).toEqual(['work']);
  });

  it('the module looks up groups by JID, then "*"', () => {
    const mod = createWhatsAppModule();
    const cfg = whatsappConfigSchema.parse({ groups: { '120363012345678901@g.us': { requireMention: false }, '*': {} } });
    expect(mod.chatSettings(cfg, { kind: 'group', id: '120363012345678901@g.us' }, 'default')).toEqual({ requireMention: false });
    expect(mod.chatSettings(cfg, { kind: 'group', id: '120363099999999999@g.us' }, 'default')).toEqual({ requireMention: true });
    expect(mod.chatSettings(whatsappConfigSchema.parse({}), { kind: 'group', id: GROUP }, 'default')).toBeUndefined();
    expect(mod.directSettings(undefined, 'default')).toEqual({ dmPolicy: 'pairing', allowFrom: [] });
    // A chat id that names an Object.prototype key is not a configured group.
    expect(mod.chatSettings(whatsappConfigSchema.parse({ groups: { [GROUP]: {} } }), { kind: 'group', id: 'constructor' }, 'default')).toBeUndefined();
  });
});
