// channels.whatsapp: the schema (the keys are product interface) and the module's lookups of it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNEL_MODULES } from '../../bots/registry.js';
import { ConfigError } from '../../runtime/config/errors.js';
import { loadConfig } from '../../runtime/config/load.js';
import { useTempHome } from '../fakes/temp-home.js';
import { resolveAccounts, whatsappConfigSchema } from '../../bots/whatsapp/config.js';
import { createWhatsAppModule } from '../../bots/whatsapp/module.js';

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
      { groups: { family: {} } },
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

describe('channels.whatsapp in switchyard.json (through the registry)', () => {
  const t = useTempHome('sy-wa-cfg-');
  const load = async (text: string) => {
    await writeFile(join(t.home, 'switchyard.json'), text);
    return loadConfig({ home: t.home, env: {}, modules: CHANNEL_MODULES });
  };

  it('a valid block loads, with owners named by number', async () => {
    const { config } = await load(
      `{ channels: { whatsapp: { allowFrom: ["+15551234567"], groups: { "*": {} } } }, commands: { ownerAllowFrom: ["whatsapp:+15551234567"] } }`,
    );
    expect(config.channels.whatsapp).toMatchObject({ dmPolicy: 'pairing', allowFrom: ['+15551234567'], sendReadReceipts: true });
  });

  it('bad keys are reported with their dotted path', async () => {
    const err = await load(`{ channels: { whatsapp: { botToken: "x", allowFrom: ["5551234567"], groups: { family: {} } } } }`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).format();
    expect(text).toContain('channels.whatsapp');
    expect(text).toContain('botToken');
    expect(text).toContain('E.164');
    expect(text).toContain('group JID');
  });

  it('a binding may name a WhatsApp account the block lists', async () => {
    await expect(
      load(`{ channels: { whatsapp: { accounts: { work: {} } } }, bindings: [{ agentId: "main", match: { channel: "whatsapp", accountId: "work" } }] }`),
    ).resolves.toBeTruthy();
  });
});
