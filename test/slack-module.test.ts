// The Slack registry entry and account resolution: config schema, channel settings, env tokens, accounts
// (bots/slack/module.ts, bots/slack/index.ts).
import { describe, expect, it } from 'vitest';
import { createSlackChannels, resolveAccounts } from '../bots/slack/index.js';
import { slackChatSettings, slackModule } from '../bots/slack/module.js';
import { FakeClock } from './fakes/fake-clock.js';
import { useSlack } from './fakes/slack-fixture.js';

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
    expect(await slackModule.create(undefined, { log: f.log, env: {}, home: '/nonexistent', clock: new FakeClock(), offsets: { get: () => undefined, set: () => {} } })).toEqual([]);
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
