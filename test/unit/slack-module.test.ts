// The Slack registry entry and account resolution: config schema (alone and through the config loader), channel
// settings, env tokens, accounts (bots/slack/module.ts, bots/slack/config.ts, bots/slack/index.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHANNEL_MODULES } from '../../bots/registry.js';
import { type ConfigError, loadConfig } from '../../runtime/config/load.js';
import { createSlackChannels, resolveAccounts } from '../../bots/slack/index.js';
import { slackChatSettings, slackModule } from '../../bots/slack/module.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { useSlack } from '../fakes/slack-fixture.js';

const GEN = 'C07GENERAL';
const f = useSlack();

describe('Slack accounts and settings', () => {
  it('env tokens fill the default account; accounts add more; one token alone is reported, not started', () => {
    const env = { SLACK_BOT_TOKEN: 'xoxb-env', SLACK_APP_TOKEN: 'xapp-env' };
    expect(resolveAccounts(undefined, env)).toEqual([
      { accountId: 'default', botToken: 'xoxb-env', appToken: 'xapp-env', apiUrl: 'https://slack.com/api/', replyToMode: 'off' },
    ]);
    const accounts = resolveAccounts(
      { replyToMode: 'all', apiUrl: 'http://127.0.0.1:1/api/', accounts: { a: { botToken: 'xoxb-a', appToken: 'xapp-a' }, b: { botToken: 'xoxb-b' } } },
      env,
      f.log,
    );
    expect(accounts).toEqual([{ accountId: 'a', botToken: 'xoxb-a', appToken: 'xapp-a', apiUrl: 'http://127.0.0.1:1/api/', replyToMode: 'all' }]);
    expect(f.log.lines.map((l) => l.msg)).toEqual([
      'channels.slack.accounts.b.appToken (xapp-…, or SLACK_APP_TOKEN) is missing: Socket Mode needs both the bot token and the app-level token. This Slack account is not started.',
    ]);
  });

  it('an unconfigured Slack creates no channel', async () => {
    expect(await createSlackChannels(undefined, { log: f.log, env: {} })).toEqual([]);
    expect(
      await slackModule.create(undefined, { log: f.log, env: {}, home: '/nonexistent', clock: new FakeClock(), offsets: { get: () => undefined, set: () => {} } }),
    ).toEqual([]);
  });

  it('the schema is strict, checks token kinds, and fills defaults', () => {
    const ok = slackModule.configSchema.safeParse({ botToken: 'xoxb-1', appToken: 'xapp-1', channels: { '*': { requireMention: false } } });
    expect(ok.success && ok.data).toMatchObject({ apiUrl: 'https://slack.com/api/', dmPolicy: 'pairing', allowFrom: [], replyToMode: 'off' });
    expect(slackModule.configSchema.safeParse({ botToken: 'xoxp-user-token' }).success).toBe(false);
    expect(slackModule.configSchema.safeParse({ appToken: 'xoxb-1' }).success).toBe(false);
    expect(slackModule.configSchema.safeParse({ channels: { C1: { requireMention: true, groups: {} } } }).success).toBe(false);
    expect(slackModule.configSchema.safeParse({ replyToMode: 'first' }).success).toBe(false);
    expect(slackModule.configSchema.safeParse({ botTokne: 'xoxb-1' }).success).toBe(false);
  });

  it('channel settings: own entry, a thread by its channel, then "*"; none means not answered there', () => {
    const cfg = {
      channels: {
        c07general: { requireMention: false, allowFrom: ['U1'], tools: { deny: ['exec'] } },
        C0MUTED: { enabled: false },
        '*': { requireMention: true },
      },
    };
    const general = { enabled: true, requireMention: false, allowFrom: ['U1'], tools: [{ deny: ['exec'], source: 'channels.slack.channels["c07general"].tools' }] };
    expect(slackChatSettings(cfg, { kind: 'channel', id: GEN })).toEqual(general);
    expect(slackChatSettings(cfg, { kind: 'channel', id: GEN, threadId: '1.2', parentId: GEN })).toEqual(general);
    expect(slackChatSettings(cfg, { kind: 'channel', id: 'C0OTHER' })).toEqual({ enabled: true, requireMention: true, tools: [] });
    expect(slackChatSettings(cfg, { kind: 'channel', id: 'C0MUTED' })).toMatchObject({ enabled: false });
    expect(slackChatSettings({ channels: { C1: {} } }, { kind: 'channel', id: 'C2' })).toBeUndefined();
    expect(slackChatSettings({ channels: { C1: {} } }, { kind: 'channel', id: 'C1' })).toMatchObject({ requireMention: true });
    expect(slackModule.directSettings(undefined, 'default')).toEqual({ dmPolicy: 'pairing', allowFrom: [] });
  });

  it('accountIds: default and the named accounts; enabled: false starts nothing', async () => {
    const parsed = slackModule.configSchema.parse({ botToken: 'xoxb-1', appToken: 'xapp-1', accounts: { work: { botToken: 'xoxb-2', appToken: 'xapp-2' } } });
    expect(slackModule.accountIds!(parsed)).toEqual(['default', 'work']);
    const off = slackModule.configSchema.parse({ enabled: false, botToken: 'xoxb-1', appToken: 'xapp-1' });
    const deps = { log: f.log, env: {}, home: '/nonexistent', clock: new FakeClock(), offsets: { get: () => undefined, set: () => {} } };
    expect(await slackModule.create(off, deps)).toEqual([]);
  });
});

describe('channels.slack through the config loader', () => {
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'sy-slack-config-'));
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });
  const load = async (text: string | undefined, env: Record<string, string> = {}) => {
    if (text !== undefined) await writeFile(join(home, 'switchyard.json'), text);
    return loadConfig({ modules: CHANNEL_MODULES, home, env });
  };
  const problems = (text: string, env: Record<string, string> = {}) =>
    load(text, env).then(
      () => [] as string[],
      (e: unknown) => (e as ConfigError).format().split('\n'),
    );

  it('SLACK_BOT_TOKEN and SLACK_APP_TOKEN alone create the block', async () => {
    const { config } = await load(undefined, { SLACK_BOT_TOKEN: 'xoxb-env', SLACK_APP_TOKEN: 'xapp-env' });
    expect(config.channels.slack).toMatchObject({ enabled: true, botToken: 'xoxb-env', appToken: 'xapp-env', dmPolicy: 'pairing', replyToMode: 'off' });
  });

  it('unknown keys, the wrong kind of token and a bad replyToMode are errors naming the key; token values are not echoed', async () => {
    const lines = await problems(
      '{ channels: { slack: { botToken: "xoxp-secret-user-token", replyToMode: "first", channels: { C1: { requireMention: true, topics: {} } } } } }',
    );
    expect(lines.join('\n')).not.toContain('secret-user-token');
    expect(lines.some((l) => l.startsWith('switchyard.json: channels.slack.botToken: expected a bot token starting with xoxb-'))).toBe(true);
    expect(lines.some((l) => l.startsWith('switchyard.json: channels.slack.replyToMode:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('switchyard.json: channels.slack.channels.C1.topics: unknown key'))).toBe(true);
  });

  it('bindings by teamId load; a binding to an account the block does not configure is refused', async () => {
    const base = 'channels: { slack: { botToken: "xoxb-1", appToken: "xapp-1", accounts: { work: { botToken: "xoxb-2", appToken: "xapp-2" } } } }';
    await expect(load(`{ ${base}, bindings: [{ agentId: "main", match: { channel: "slack", teamId: "T1", accountId: "work" } }] }`)).resolves.toBeTruthy();
    const lines = await problems(`{ ${base}, bindings: [{ agentId: "main", match: { channel: "slack", accountId: "nope" } }] }`);
    expect(lines.join('\n')).toContain('bindings[0].match.accountId');
  });
});
