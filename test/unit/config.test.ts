import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../runtime/config/load.js';
import { agentModelCandidates, agentWorkspace, defaultAgentId, getAgent } from '../../runtime/config/agents.js';
import { configSchema, type Config } from '../../runtime/config/schema.js';
import { z } from 'zod';
import { CHANNEL_MODULES } from '../../bots/registry.js';
import type { ChannelModule } from '../../runtime/types/channel.js';
import type { TelegramConfig } from '../../bots/telegram/config.js';

/** The parsed Telegram block (the runtime's Config types channel blocks as unknown: only their modules read them). */
const tg = (config: Config) => config.channels.telegram as TelegramConfig | undefined;

let home: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'switchyard-config-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function writeConfig(text: string, name = 'switchyard.json'): Promise<string> {
  const file = join(home, name);
  await writeFile(file, text);
  return file;
}

/** Loads and expects a ConfigError; returns its formatted lines. */
async function failLines(env: NodeJS.ProcessEnv = {}, configPath?: string, modules = CHANNEL_MODULES): Promise<string[]> {
  const err = await loadConfig({ modules, home, env, configPath }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).format().split('\n');
}

describe('loadConfig: file handling', () => {
  it('uses embedded defaults when the default file is missing', async () => {
    const r = await loadConfig({ modules: CHANNEL_MODULES, home, env: {} });
    expect(r.exists).toBe(false);
    expect(r.path).toBe(join(home, 'switchyard.json'));
    expect(r.config.gateway.port).toBe(18789);
    expect(r.config.gateway.bind).toBe('loopback');
    expect(r.config.agents.list).toEqual([{ id: 'main', default: true }]);
    expect(r.config.session.dmScope).toBe('per-channel-peer');
    expect(r.config.channels.telegram).toBeUndefined();
  });

  it('reads JSON5: comments, unquoted keys, trailing commas, single quotes', async () => {
    await writeConfig(`// my gateway
      {
        gateway: { port: 9000, /* inline */ },
        agents: { list: [{ id: 'work', default: true, }, { id: "home" },], },
      }`);
    const r = await loadConfig({ modules: CHANNEL_MODULES, home, env: {} });
    expect(r.exists).toBe(true);
    expect(r.config.gateway.port).toBe(9000);
    expect(r.config.agents.list.map((a) => a.id)).toEqual(['work', 'home']);
  });

  it('names line and column of a JSON5 syntax error', async () => {
    await writeConfig('{\n  gateway: {\n    port: @,\n  },\n}');
    const err = (await loadConfig({ modules: CHANNEL_MODULES, home, env: {} }).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.problems[0]).toMatchObject({ line: 3, column: 11 });
    expect(err.format()).toBe(`switchyard.json:3:11: JSON5 syntax error at line 3, column 11: invalid character '@'`);
  });

  it('rejects a top level that is not an object', async () => {
    await writeConfig('[1, 2]');
    expect(await failLines()).toEqual(['switchyard.json: expected an object ({ … }) at the top level, found a list']);
  });

  it('a missing --config file is an error (not defaults)', async () => {
    const missing = join(home, 'nope.json');
    const err = (await loadConfig({ modules: CHANNEL_MODULES, home, env: {}, configPath: missing }).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.file).toBe(missing);
    expect(err.format()).toBe(`nope.json: expected the file given with --config to exist and be readable, found no file at ${missing}`);
  });

  it('reads an explicit --config file instead of the default', async () => {
    await writeConfig('{ gateway: { port: 1 } }');
    const other = await writeConfig('{ gateway: { port: 2 } }', 'other.json5');
    const r = await loadConfig({ modules: CHANNEL_MODULES, home, env: {}, configPath: other });
    expect(r).toMatchObject({ path: other, exists: true });
    expect(r.config.gateway.port).toBe(2);
  });
});

describe('loadConfig: ${VAR} substitution', () => {
  it('substitutes in every string value, nested and in arrays, and keeps $${VAR} literal', async () => {
    await writeConfig(`{
      gateway: { auth: { token: "\${GW_TOKEN}" } },
      channels: { telegram: { botToken: "bot-\${TG_ID}:\${TG_SECRET}", allowFrom: ["\${OWNER}", 7] } },
      tools: { exec: { allowlist: ["echo $\${HOME}", "ls \${DIR}/x"] } },
    }`);
    const env = { GW_TOKEN: 'a'.repeat(20), TG_ID: '123', TG_SECRET: 'abc', OWNER: '42', DIR: '/srv' };
    const { config } = await loadConfig({ modules: CHANNEL_MODULES, home, env });
    expect(config.gateway.auth.token).toBe('a'.repeat(20));
    expect(tg(config)?.botToken).toBe('bot-123:abc');
    expect(tg(config)?.allowFrom).toEqual(['42', '7']);
    expect(config.tools.exec.allowlist).toEqual(['echo ${HOME}', 'ls /srv/x']);
  });

  it('a missing or empty variable is an error naming the key path and the variable', async () => {
    await writeConfig(`{ channels: { telegram: { botToken: "\${TG_TOKEN}" } }, agents: { list: [{ id: "\${AGENT}" }] } }`);
    expect(await failLines({ AGENT: '' })).toEqual([
      'switchyard.json: channels.telegram.botToken: expected environment variable TG_TOKEN to be set (the value uses ${TG_TOKEN}), found it unset',
      'switchyard.json: agents.list[0].id: expected environment variable AGENT to be set (the value uses ${AGENT}), found it empty',
    ]);
  });

  it('says which variable a bad substituted value came from', async () => {
    await writeConfig('{ agents: { defaults: { workspace: "~/w" }, list: [{ id: "${AGENT}" }] } }');
    expect(await failLines({ AGENT: 'bad id!' })).toEqual([
      'switchyard.json: agents.list[0].id: expected an id of letters, digits, - and _, found "bad id!" (from ${AGENT})',
    ]);
  });
});

describe('loadConfig: schema problems', () => {
  it('bad port type and range', async () => {
    await writeConfig('{ gateway: { port: "80" } }');
    expect(await failLines()).toEqual(['switchyard.json: gateway.port: expected a number, found "80"']);
    await writeConfig('{ gateway: { port: 70000 } }');
    expect(await failLines()).toEqual(['switchyard.json: gateway.port: expected a number <= 65535, found 70000']);
    await writeConfig('{ gateway: { port: 80.5 } }');
    expect(await failLines()).toEqual(['switchyard.json: gateway.port: expected a whole number, found 80.5']);
  });

  it('unknown keys list the accepted keys', async () => {
    await writeConfig('{ gateway: { bogus: 1 }, sesion: {} }');
    const lines = await failLines();
    expect(lines).toContain('switchyard.json: gateway.bogus: unknown key (expected one of: port, bind, auth, http)');
    expect(lines.find((l) => l.startsWith('switchyard.json: sesion: unknown key (expected one of: gateway, models,'))).toBeDefined();
  });

  it('"__proto__" is refused as a key anywhere (it would set a prototype, not a key, and slip past "unknown key")', async () => {
    await writeConfig('{ "__proto__": { "polluted": true }, gateway: { port: 18790 } }');
    expect(await failLines()).toEqual(['switchyard.json: __proto__: "__proto__" is not allowed as a key (it sets an object\'s prototype); remove it']);
    await writeConfig('{ channels: { telegram: { botToken: "1:x", groups: { "__proto__": { requireMention: false } } } } }');
    expect(await failLines()).toEqual([
      'switchyard.json: channels.telegram.groups.__proto__: "__proto__" is not allowed as a key (it sets an object\'s prototype); remove it',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('nesting deeper than the limit is one short error, not a stack overflow', async () => {
    await writeConfig('{ agents: ' + '{ x: '.repeat(200_000) + '1' + ' }'.repeat(200_001));
    const lines = await failLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^switchyard\.json: agents\.x\.x\.x\.x\.x…: nested more than 32 levels deep; a config needs far fewer \(check the braces\)$/);
    // Arrays count too.
    await writeConfig('{ bindings: ' + '['.repeat(100) + ']'.repeat(100) + ' }');
    expect((await failLines())[0]).toMatch(/^switchyard\.json: bindings(\[0\]){5}…: nested more than 32 levels deep/);
  });

  it('unknown keys inside arrays, records and enum-keyed records', async () => {
    await writeConfig(`{
      agents: { list: [{ id: "a", modle: {} }] },
      channels: { telegram: { groups: { "-100": { topics: { "5": { agent: "a" } } } } } },
      messages: { queue: { byChannel: { icq: "collect" } } },
    }`);
    expect(await failLines()).toEqual([
      'switchyard.json: agents.list[0].modle: unknown key (expected one of: id, name, default, workspace, model, tools)',
      'switchyard.json: messages.queue.byChannel.icq: unknown key (expected one of: telegram, discord, whatsapp, slack, webchat)',
      'switchyard.json: channels.telegram.groups.-100.topics.5.agent: unknown key (expected one of: agentId, requireMention, tools, enabled)',
    ]);
  });

  it('bad model ref, enum value, URL, record key and missing required key', async () => {
    await writeConfig(`{
      agents: { list: [{ id: "main", model: { primary: "nope" } }] },
      session: { dmScope: "per-user" },
      channels: { telegram: { apiRoot: "not a url" } },
      auth: { profiles: { anthropic: { provider: "anthropic", mode: "api_key" } } },
      bindings: [{ match: { channel: "telegram" } }],
    }`);
    expect(await failLines()).toEqual([
      'switchyard.json: auth.profiles.anthropic: expected a key like "<provider>:<name>", found key "anthropic"',
      'switchyard.json: agents.list[0].model.primary: expected "<provider>/<model>", found "nope"',
      'switchyard.json: bindings[0].agentId: expected a string, found nothing',
      'switchyard.json: session.dmScope: expected one of "main", "per-peer", "per-channel-peer", "per-account-channel-peer", found "per-user"',
      'switchyard.json: channels.telegram.apiRoot: expected a URL (e.g. "https://host:port/path"), found "not a url"',
    ]);
  });

  it('never echoes secret values', async () => {
    await writeConfig('{ gateway: { auth: { token: "hunter2" } } }');
    const lines = await failLines();
    expect(lines).toEqual(['switchyard.json: gateway.auth.token: expected at least 16 characters, found a string of 7 characters (value hidden)']);
    expect(lines.join('\n')).not.toContain('hunter2');
  });

  // A fixed set of modules, so these tests keep meaning the same as platforms are registered.
  const TWO = CHANNEL_MODULES.filter((m) => m.id === 'telegram' || m.id === 'webchat');

  it('a block for a platform without a registered module is "not supported yet", whatever its contents', async () => {
    await writeConfig('{ channels: { discord: { token: "x" }, slack: {} } }');
    expect(await failLines({}, undefined, TWO)).toEqual([
      'switchyard.json: channels.discord is not supported yet: this build has no discord adapter (it has telegram, webchat); remove the block',
      'switchyard.json: channels.slack is not supported yet: this build has no slack adapter (it has telegram, webchat); remove the block',
    ]);
    await writeConfig('{ bindings: [{ agentId: "main", match: { channel: "whatsapp" } }] }');
    expect(await failLines({}, undefined, TWO)).toEqual([
      'switchyard.json: bindings[0].match.channel: expected a platform this build supports (telegram, webchat), found "whatsapp", which is not supported yet',
    ]);
  });

  it('what is supported comes from the registered modules: registering one makes its block valid', async () => {
    const discord: ChannelModule<{ token: string }> = {
      id: 'discord',
      configSchema: z.strictObject({ token: z.string() }),
      directSettings: () => ({ dmPolicy: 'pairing', allowFrom: [] }),
      chatSettings: () => undefined,
      create: async () => [],
    };
    await writeConfig('{ channels: { discord: { token: "x" } } }');
    const { config } = await loadConfig({ modules: [...TWO, discord], home, env: {} });
    expect(config.channels.discord).toEqual({ token: 'x' });
    await writeConfig('{ channels: { discord: { token: "x", tokn: 1 } } }');
    const err = (await loadConfig({ modules: [...TWO, discord], home, env: {} }).catch((e: unknown) => e)) as ConfigError;
    expect(err.format()).toBe('switchyard.json: channels.discord.tokn: unknown key (expected one of: token)');
  });

  it('a binding to a bot account the channel block does not configure', async () => {
    await writeConfig(`{ channels: { telegram: { botToken: "1:a", accounts: { work: { botToken: "2:b" } } } },
      bindings: [{ agentId: "main", match: { channel: "telegram", accountId: "wrok" } }, { agentId: "main", match: { channel: "telegram", accountId: "work" } }] }`);
    expect(await failLines()).toEqual(['switchyard.json: bindings[0].match.accountId: expected an account of channels.telegram (default, work) or "*", found "wrok"']);
  });

  it('a channel key that is no platform at all is an unknown key', async () => {
    await writeConfig('{ channels: { telegarm: {} } }');
    expect(await failLines({}, undefined, TWO)).toEqual(['switchyard.json: channels.telegarm: unknown key (expected one of: telegram, webchat)']);
  });

  it('union of string or number', async () => {
    await writeConfig('{ channels: { telegram: { allowFrom: [true] } } }');
    expect(await failLines()).toEqual(['switchyard.json: channels.telegram.allowFrom[0]: expected a string or a number, found true']);
  });
});

describe('loadConfig: cross-key checks', () => {
  it('a binding to an unknown agent', async () => {
    await writeConfig('{ agents: { list: [{ id: "main" }, { id: "work" }] }, bindings: [{ agentId: "ghost", match: { channel: "telegram" } }] }');
    expect(await failLines()).toEqual(['switchyard.json: bindings[0].agentId: expected an agent id from agents.list (main, work), found "ghost"']);
  });

  it('duplicate ids (ignoring case), two defaults, empty list', async () => {
    await writeConfig('{ agents: { list: [{ id: "a", default: true }, { id: "A" }, { id: "b", default: true }] } }');
    expect(await failLines()).toEqual([
      'switchyard.json: agents.list[1].id: expected a unique agent id (ids are compared ignoring case), found "A", already used by agents.list[0]',
      'switchyard.json: agents.list[2].default: expected only one agent with default: true, found a second one (agents.list[0] is already the default)',
    ]);
    await writeConfig('{ agents: { list: [] } }');
    expect(await failLines()).toEqual(['switchyard.json: agents.list: expected at least one agent, found an empty list']);
  });

  it('model refs must name a known provider', async () => {
    await writeConfig(`{
      models: { providers: { ollama: { api: "openai-completions", baseUrl: "http://127.0.0.1:11434/v1" } } },
      agents: { defaults: { model: { primary: "ollama/llama3.2", fallbacks: ["anthropic/claude-sonnet-4-5", "mistral/large"] } } },
    }`);
    expect(await failLines()).toEqual([
      'switchyard.json: agents.defaults.model.fallbacks[1]: expected a provider that is built in or defined in models.providers (anthropic, openai, ollama), found provider "mistral" in "mistral/large"',
    ]);
    expect((await failLines({ SWITCHYARD_MODEL: 'groq/llama' }))[1]).toMatch(/^switchyard.json: \$SWITCHYARD_MODEL: expected a provider/);
  });

  it('auth.order entries must name profiles of that provider (implicit env / config profiles count)', async () => {
    await writeConfig(`{ auth: {
      profiles: { "anthropic:main": { provider: "anthropic", mode: "api_key", key: "k1" }, "openai:main": { provider: "openai", mode: "api_key", key: "k2" } },
      order: { anthropic: ["anthropic:main", "anthropic:backup", "openai:main", "anthropic:env"] },
    } }`);
    expect(await failLines()).toEqual([
      'switchyard.json: auth.order.anthropic[1]: expected a profile id from auth.profiles or an implicit one (anthropic:main, openai:main, anthropic:config, anthropic:env, anthropic:env-token), found "anthropic:backup"',
      'switchyard.json: auth.order.anthropic[2]: expected a profile of provider "anthropic", found "openai:main" (provider "openai")',
    ]);
  });

  it('an auth profile needs its secret, and its id names its provider', async () => {
    await writeConfig(`{ auth: { profiles: {
      "anthropic:empty": { provider: "anthropic", mode: "token" },
      "anthropic:blank": { provider: "anthropic", mode: "api_key", key: "  " },
      "openai:odd": { provider: "anthropic", mode: "api_key", key: "k" },
    } } }`);
    expect(await failLines()).toEqual([
      'switchyard.json: auth.profiles.anthropic:empty.token: expected the token (mode "token"), e.g. "${ENV_VAR}", found nothing',
      'switchyard.json: auth.profiles.anthropic:blank.key: expected the API key (mode "api_key"), e.g. "${ENV_VAR}", found an empty string',
      'switchyard.json: auth.profiles.openai:odd: expected an id starting with "anthropic:" (the profile\'s provider), found "openai:odd"',
    ]);
  });

  it('Telegram topic pins must name existing agents; identity links must be well-formed', async () => {
    await writeConfig(`{
      channels: { telegram: { groups: { "-1001": { topics: { "7": { agentId: "ghost" } } } } } },
      session: { identityLinks: { alice: ["telegram:1", "icq:2"], bob: ["TELEGRAM:1"] } },
    }`);
    expect(await failLines()).toEqual([
      'switchyard.json: channels.telegram.groups.-1001.topics.7.agentId: expected an agent id from agents.list (main), found "ghost"',
      'switchyard.json: session.identityLinks.alice[1]: expected "<channel>:<userId>" with channel one of telegram, discord, whatsapp, slack, webchat, found "icq:2"',
      'switchyard.json: session.identityLinks.bob[0]: expected each identity linked to one canonical name only, found "TELEGRAM:1", also linked to "alice"',
    ]);
  });
});

describe('loadConfig: environment overlays', () => {
  const token = 't'.repeat(24);

  it('fill keys the file leaves out, creating the telegram block', async () => {
    const { config } = await loadConfig({ modules: CHANNEL_MODULES, home, env: { SWITCHYARD_GATEWAY_TOKEN: token, TELEGRAM_BOT_TOKEN: '1:abc' } });
    expect(config.gateway.auth.token).toBe(token);
    expect(tg(config)).toMatchObject({ enabled: true, botToken: '1:abc', dmPolicy: 'pairing' });
  });

  it('never override what the file says', async () => {
    await writeConfig(`{ gateway: { auth: { token: "${'f'.repeat(20)}" } }, channels: { telegram: { botToken: "from-file", dmPolicy: "open" } } }`);
    const { config } = await loadConfig({ modules: CHANNEL_MODULES, home, env: { SWITCHYARD_GATEWAY_TOKEN: token, TELEGRAM_BOT_TOKEN: 'from-env' } });
    expect(config.gateway.auth.token).toBe('f'.repeat(20));
    expect(tg(config)).toMatchObject({ botToken: 'from-file', dmPolicy: 'open' });
  });

  it('add the token to an existing telegram block', async () => {
    await writeConfig('{ channels: { telegram: { dmPolicy: "allowlist", allowFrom: [1] } } }');
    const { config } = await loadConfig({ modules: CHANNEL_MODULES, home, env: { TELEGRAM_BOT_TOKEN: 'from-env' } });
    expect(tg(config)).toMatchObject({ botToken: 'from-env', dmPolicy: 'allowlist', allowFrom: ['1'] });
  });

  it('TELEGRAM_BOT_TOKEN is not added when the telegram block lists accounts of its own', async () => {
    await writeConfig('{ channels: { telegram: { accounts: { alerts: { botToken: "2:xyz" } } } } }');
    const { config } = await loadConfig({ modules: CHANNEL_MODULES, home, env: { TELEGRAM_BOT_TOKEN: 'from-env' } });
    expect(tg(config)?.botToken).toBeUndefined();
    expect(tg(config)?.accounts).toEqual({ alerts: { botToken: '2:xyz' } });
  });

  it('a bad overlaid value names the environment variable and hides the value', async () => {
    expect(await failLines({ SWITCHYARD_GATEWAY_TOKEN: 'short' })).toEqual([
      'switchyard.json: gateway.auth.token: expected at least 16 characters, found a string of 5 characters (value hidden) (from environment variable SWITCHYARD_GATEWAY_TOKEN)',
    ]);
  });
});

describe('ConfigError', () => {
  it('is constructible with problems only (defaults the file name)', () => {
    const e = new ConfigError([{ path: 'gateway.auth.token', expected: 'a token', found: 'nothing' }]);
    expect(e.format()).toBe('switchyard.json: gateway.auth.token: expected a token, found nothing');
    expect(e.message).toContain('gateway.auth.token');
  });
});

// ---- agents.ts ----

function cfg(input: unknown): Config {
  return configSchema.parse(input);
}

describe('agents helpers', () => {
  it('defaultAgentId: the marked one, else the first', () => {
    expect(defaultAgentId(cfg({}))).toBe('main');
    expect(defaultAgentId(cfg({ agents: { list: [{ id: 'a' }, { id: 'b', default: true }] } }))).toBe('b');
    expect(defaultAgentId(cfg({ agents: { list: [{ id: 'a' }, { id: 'b' }] } }))).toBe('a');
    expect(getAgent(cfg({}), 'main')?.id).toBe('main');
    expect(getAgent(cfg({}), 'nope')).toBeUndefined();
  });

  const ref = (s: string) => ({ provider: s.split('/')[0], model: s.slice(s.indexOf('/') + 1) });

  it.each([
    [
      'agent primary over defaults, default fallbacks inherited',
      { agents: { defaults: { model: { primary: 'anthropic/x', fallbacks: ['openai/y'] } }, list: [{ id: 'main', model: { primary: 'openai/z' } }] } },
      undefined,
      {},
      ['openai/z', 'openai/y'],
    ],
    [
      'agent fallbacks replace default fallbacks',
      { agents: { defaults: { model: { primary: 'anthropic/x', fallbacks: ['openai/y'] } }, list: [{ id: 'main', model: { fallbacks: ['openai/w'] } }] } },
      undefined,
      {},
      ['anthropic/x', 'openai/w'],
    ],
    ['override first, duplicates dropped', { agents: { defaults: { model: { primary: 'anthropic/x', fallbacks: ['openai/y'] } } } }, 'openai/y', {}, ['openai/y']],
    ['nothing configured, nothing in env', {}, undefined, {}, []],
    ['ANTHROPIC_API_KEY', {}, undefined, { ANTHROPIC_API_KEY: 'k', OPENAI_API_KEY: 'k' }, ['anthropic/claude-sonnet-4-6']],
    ['OPENAI_API_KEY', {}, undefined, { OPENAI_API_KEY: 'k' }, ['openai/gpt-4o-mini']],
    ['OPENAI_BASE_URL', {}, undefined, { OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }, ['openai/llama3.2']],
    ['OPENAI_BASE_URL + bare SWITCHYARD_MODEL', {}, undefined, { OPENAI_BASE_URL: 'http://127.0.0.1:1/v1', SWITCHYARD_MODEL: 'qwen2.5' }, ['openai/qwen2.5']],
    ['SWITCHYARD_MODEL wins over the guess', {}, undefined, { ANTHROPIC_API_KEY: 'k', SWITCHYARD_MODEL: 'openai/gpt-4.1' }, ['openai/gpt-4.1']],
    ['configured primary wins over env', { agents: { defaults: { model: { primary: 'openai/a' } } } }, undefined, { SWITCHYARD_MODEL: 'anthropic/b' }, ['openai/a']],
    [
      'guessed primary keeps configured fallbacks',
      { agents: { defaults: { model: { fallbacks: ['openai/f'] } } } },
      undefined,
      { ANTHROPIC_API_KEY: 'k' },
      ['anthropic/claude-sonnet-4-6', 'openai/f'],
    ],
  ])('agentModelCandidates: %s', (_name, input, override, env, expected) => {
    expect(agentModelCandidates(cfg(input), 'main', override, env)).toEqual(expected.map(ref));
  });

  it('agentModelCandidates rejects a malformed override', () => {
    expect(() => agentModelCandidates(cfg({}), 'main', 'gpt4', {})).toThrow(/expected "<provider>\/<model>"/);
  });

  it('agentWorkspace: per agent, shared defaults, home fallbacks, ~ expansion', () => {
    const c = cfg({
      agents: { defaults: { workspace: '~/ws' }, list: [{ id: 'main', default: true }, { id: 'work' }, { id: 'own', workspace: 'rel/own' }] },
    });
    expect(agentWorkspace(c, 'main', '/sy', '/home/u')).toBe('/home/u/ws');
    expect(agentWorkspace(c, 'work', '/sy', '/home/u')).toBe('/home/u/ws/work');
    expect(agentWorkspace(c, 'own', '/sy', '/home/u')).toBe('/sy/rel/own');
    const plain = cfg({ agents: { list: [{ id: 'a' }, { id: 'b', workspace: '~' }, { id: 'c' }] } });
    expect(agentWorkspace(plain, 'a', '/sy', '/home/u')).toBe('/sy/workspace');
    expect(agentWorkspace(plain, 'b', '/sy', '/home/u')).toBe('/home/u');
    expect(agentWorkspace(plain, 'c', '/sy', '/home/u')).toBe('/sy/workspace-c');
    expect(() => agentWorkspace(plain, '../x', '/sy')).toThrow(/unknown agent/);
  });
});
