// bots/discord/config.ts, settings.ts and module.ts: the channels.discord schema, the lookups the access check asks,
// and the registry entry that loads discord.js only when a token exists.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANNEL_MODULES } from '../../bots/registry.js';
import { type ConfigError, loadConfig } from '../../runtime/config/load.js';
import { discordConfigSchema, resolveAccounts, type DiscordConfig } from '../../bots/discord/config.js';
import { chatSettings, directSettings } from '../../bots/discord/settings.js';
import { discordModule } from '../../bots/discord/module.js';
import type { ChatRef } from '../../runtime/types/channel.js';

const parse = (v: unknown): DiscordConfig => {
  const r = discordConfigSchema.safeParse(v);
  if (!r.success) throw new Error(JSON.stringify(r.error.issues));
  return r.data;
};
const issues = (v: unknown) => {
  const r = discordConfigSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code }));
};

describe('channels.discord schema', () => {
  it('accepts the documented keys and fills the defaults', () => {
    const cfg = parse({
      token: 'abc',
      apiRoot: 'https://discord.com/api',
      dmPolicy: 'allowlist',
      allowFrom: ['1100000000000000042'],
      guilds: {
        '1150000000000000001': {
          requireMention: true,
          users: ['1100000000000000042'],
          roles: ['1150000000000000300'],
          channels: { '1150000000000000010': { allow: true, requireMention: false } },
        },
        '*': { requireMention: true },
      },
      accounts: { work: { token: 'def' } },
    });
    expect(cfg.dmPolicy).toBe('allowlist');
    expect(parse({})).toEqual({ dmPolicy: 'pairing', allowFrom: [], guilds: {} });
  });

  it('refuses unknown keys at every level', () => {
    expect(issues({ botToken: 'x' })).toEqual([expect.objectContaining({ code: 'unrecognized_keys' })]);
    expect(issues({ guilds: { '1': { requireMentions: false } } })[0]).toMatchObject({ path: 'guilds.1', code: 'unrecognized_keys' });
    expect(issues({ guilds: { '1': { channels: { '2': { enabled: true } } } } })[0]).toMatchObject({ path: 'guilds.1.channels.2' });
    expect(issues({ accounts: { work: { botToken: 'x' } } })[0]).toMatchObject({ path: 'accounts.work' });
  });

  it('refuses ids written as numbers, naming why', () => {
    // 1100000000000000042 as a JSON number is already another id: 1100000000000000000.
    const found = issues({ allowFrom: [1100000000000000042], guilds: { '1': { users: [5], roles: [''] } } });
    expect(found.map((i) => i.path)).toEqual(['allowFrom.0', 'guilds.1.users.0', 'guilds.1.roles.0']);
    for (const i of found) expect(i.message).toMatch(/^expected an id in quotes.*do not fit a JSON number/);
  });

  it('refuses a bad dmPolicy and a bad apiRoot', () => {
    expect(issues({ dmPolicy: 'everyone' })[0].path).toBe('dmPolicy');
    expect(issues({ apiRoot: 'not a url' })[0].path).toBe('apiRoot');
  });
});

describe('resolveAccounts', () => {
  it('the plain keys are account default; accounts add more and inherit apiRoot; no token, no account', () => {
    expect(resolveAccounts(undefined)).toEqual([]);
    expect(resolveAccounts(parse({}))).toEqual([]);
    expect(resolveAccounts(parse({ token: 'Bot abc', apiRoot: 'http://127.0.0.1:9/api/' }))).toEqual([
      { accountId: 'default', token: 'abc', apiRoot: 'http://127.0.0.1:9/api' },
    ]);
    const two = resolveAccounts(parse({ token: 'a', apiRoot: 'http://127.0.0.1:9/api', accounts: { work: { token: 'b' }, idle: {} } }));
    expect(two).toEqual([
      { accountId: 'default', token: 'a', apiRoot: 'http://127.0.0.1:9/api' },
      { accountId: 'work', token: 'b', apiRoot: 'http://127.0.0.1:9/api' },
    ]);
    expect(resolveAccounts(parse({ accounts: { work: { token: 'b' } } })).map((a) => [a.accountId, a.apiRoot])).toEqual([['work', 'https://discord.com/api']]);
  });
});

describe('settings lookups', () => {
  const GUILD = '1150000000000000001';
  const cfg = parse({
    dmPolicy: 'open',
    allowFrom: ['42'],
    guilds: {
      [GUILD]: {
        users: ['42'],
        roles: ['300'],
        channels: { '10': { requireMention: false }, '11': { allow: false }, '12': {} },
      },
      '2000': { requireMention: false },
      '*': { requireMention: true },
    },
  });
  const chan = (id: string, extra: Partial<ChatRef> = {}): ChatRef => ({ kind: 'channel', id, guildId: GUILD, ...extra });

  it('DMs: dmPolicy and allowFrom, pairing by default', () => {
    expect(directSettings(cfg)).toEqual({ dmPolicy: 'open', allowFrom: ['42'] });
    expect(directSettings(undefined)).toEqual({ dmPolicy: 'pairing', allowFrom: [] });
  });

  it('listed channels only; a thread by its own entry, else its parent', () => {
    expect(chatSettings(cfg, chan('10'))).toEqual({ requireMention: false, allowFrom: ['42'], allowRoles: ['300'] });
    expect(chatSettings(cfg, chan('12'))).toEqual({ requireMention: true, allowFrom: ['42'], allowRoles: ['300'] });
    expect(chatSettings(cfg, chan('11'))).toMatchObject({ enabled: false });
    expect(chatSettings(cfg, chan('99'))).toBeUndefined();
    expect(chatSettings(cfg, chan('777', { threadId: '777', parentId: '10' }))).toMatchObject({ requireMention: false });
    expect(chatSettings(cfg, chan('778', { threadId: '778', parentId: '11' }))).toMatchObject({ enabled: false });
    expect(chatSettings(cfg, chan('779', { threadId: '779', parentId: '99' }))).toBeUndefined();
  });

  it('a server without channels answers everywhere; "*" covers unlisted servers; no entry, no answer', () => {
    expect(chatSettings(cfg, { kind: 'channel', id: '5', guildId: '2000' })).toEqual({ requireMention: false });
    expect(chatSettings(cfg, { kind: 'channel', id: '5', guildId: '3000' })).toEqual({ requireMention: true });
    expect(chatSettings(parse({ guilds: { [GUILD]: {} } }), { kind: 'channel', id: '5', guildId: '3000' })).toBeUndefined();
    expect(chatSettings(undefined, chan('10'))).toBeUndefined();
    expect(chatSettings(cfg, { kind: 'direct', id: '5' })).toBeUndefined();
  });

  it('requireMention: channel, then server, then "*", then true', () => {
    const c = parse({ guilds: { '1': { channels: { '5': {} } }, '*': { requireMention: false } } });
    expect(chatSettings(c, { kind: 'channel', id: '5', guildId: '1' })).toEqual({ requireMention: false });
    expect(chatSettings(parse({ guilds: { '1': {} } }), { kind: 'channel', id: '5', guildId: '1' })).toEqual({ requireMention: true });
  });
});

describe('channels.discord through the config loader (the registered module)', () => {
  async function load(text: string | undefined, env: Record<string, string> = {}) {
    const home = await mkdtemp(join(tmpdir(), 'sy-discord-cfg-'));
    try {
      if (text !== undefined) await writeFile(join(home, 'switchyard.json'), text);
      return await loadConfig({ home, env, modules: CHANNEL_MODULES });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }
  const problems = async (text: string) => ((await load(text).catch((e: unknown) => e)) as ConfigError).format();

  it("DISCORD_BOT_TOKEN alone enables Discord; the file's token wins; named accounts carry their own", async () => {
    expect((await load(undefined, { DISCORD_BOT_TOKEN: 'from-env' })).config.channels.discord).toMatchObject({ token: 'from-env', dmPolicy: 'pairing' });
    expect((await load('{ channels: { discord: { token: "from-file" } } }', { DISCORD_BOT_TOKEN: 'from-env' })).config.channels.discord).toMatchObject({
      token: 'from-file',
    });
    const named = (await load('{ channels: { discord: { accounts: { work: { token: "w" } } } } }', { DISCORD_BOT_TOKEN: 'from-env' })).config.channels.discord;
    expect(named).not.toHaveProperty('token');
  });

  it('names the key of a numeric id, an unknown key and a binding to an unknown account', async () => {
    expect(await problems('{ channels: { discord: { allowFrom: [1100000000000000042] } } }')).toMatch(/channels\.discord\.allowFrom\[0\]: expected an id in quotes/);
    expect(await problems('{ channels: { discord: { guilds: { "1": { channels: { "2": { allowed: true } } } } } } }')).toContain(
      'channels.discord.guilds.1.channels.2.allowed: unknown key',
    );
    expect(await problems('{ channels: { discord: { token: "t" } }, bindings: [{ agentId: "main", match: { channel: "discord", accountId: "work" } }] }')).toContain(
      'bindings[0].match.accountId',
    );
  });
});

describe('the registry entry', () => {
  it('overlays DISCORD_BOT_TOKEN onto token unless the block names accounts', () => {
    expect(discordModule.id).toBe('discord');
    expect(discordModule.envOverlays).toEqual([{ env: 'DISCORD_BOT_TOKEN', key: 'token', unless: ['accounts'] }]);
  });

  it('loads discord.js only when an account has a token', () => {
    const moduleUrl = new URL('../../bots/discord/module.ts', import.meta.url).href;
    const script = `
      import { createRequire } from 'node:module';
      const { discordModule } = await import(${JSON.stringify(moduleUrl)});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/discord.js/'));
      const deps = { log: { info() {}, warn() {}, error() {} }, env: {}, home: '/tmp', clock: { now: Date.now, setTimeout, clearTimeout }, offsets: { get() {}, set() {} } };
      const none = await discordModule.create(undefined, deps);
      const noToken = await discordModule.create({ dmPolicy: 'pairing', allowFrom: [], guilds: { '*': {} } }, deps);
      const before = loaded();
      const one = await discordModule.create({ token: 'x', dmPolicy: 'pairing', allowFrom: [], guilds: {} }, deps);
      for (const c of one) await c.stop();
      console.log(JSON.stringify({ none: none.length, noToken: noToken.length, before, after: loaded(), one: one.length }));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: resolve(import.meta.dirname, '../..'),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ none: 0, noToken: 0, before: false, after: true, one: 1 });
  });
});
