// The Slack adapter against the fake Slack (test/fakes/fake-slack.ts): the real bolt App in Socket Mode and the
// real WebClient talk HTTP and WebSocket to 127.0.0.1. Connection, acks, duplicates, reconnects, token failures,
// sending (threads, DMs, mrkdwn, 429s), the working indicator and DMs opened for a user.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackChannels, resolveAccounts, type SlackChannel, type SlackTuning } from '../bots/slack/index.js';
import { slackChatSettings, slackModule } from '../bots/slack/module.js';
import { SLASH_HINT } from '../bots/slack/connection.js';
import { IDLE_MS, WORKING_REACTION } from '../bots/slack/working.js';
import type { Clock, Inbound } from '../runtime/types/channel.js';
import { FakeClock } from './fakes/fake-clock.js';
import { FakeSlack } from './fakes/fake-slack.js';
import { memoryLogger } from './fakes/gateway-harness.js';

const ANA = 'U05ANA1234';
const GEN = 'C07GENERAL';

let slack: FakeSlack;
let channels: SlackChannel[] = [];
let log: ReturnType<typeof memoryLogger>;

beforeEach(async () => {
  slack = await new FakeSlack().start();
  log = memoryLogger();
  channels = [];
});

afterEach(async () => {
  for (const c of channels) await c.stop();
  await slack.close();
});

async function channel(opts: { block?: Record<string, unknown>; clock?: Clock; tuning?: SlackTuning } = {}): Promise<SlackChannel> {
  const cfg = { botToken: slack.app.botToken, appToken: slack.app.appToken, apiUrl: slack.apiUrl, ...opts.block };
  const [c] = await createSlackChannels(cfg, { log, env: {}, clock: opts.clock, tuning: { clientPingTimeoutMs: 300, ...opts.tuning } });
  channels.push(c);
  return c;
}

/** Starts a channel and collects what it hands to the runtime. */
async function started(opts: Parameters<typeof channel>[0] & { onInbound?: (m: Inbound) => Promise<void> } = {}) {
  const c = await channel(opts);
  const got: Inbound[] = [];
  await c.start(async (m) => {
    got.push(m);
    await opts.onInbound?.(m);
  });
  return { c, got };
}

const mention = (text: string) => `<@${slack.app.botUserId}> ${text}`;
const acked = () => slack.socket.envelopes.filter((e) => e.ackedAt !== undefined).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Slack adapter: receiving', () => {
  it('connects through auth.test and apps.connections.open, and decodes a channel mention', async () => {
    const { c, got } = await started();
    expect(c.state).toBe('connected');
    expect(c.botUsername).toBe('switchyard');
    expect(slack.calls.map((x) => x.method)).toEqual(['auth.test', 'apps.connections.open']);
    expect(slack.calls[1].token).toBe(slack.app.appToken);

    const { ts } = slack.post({ channel: GEN, user: ANA, text: mention('is the build green?') });
    await slack.waitFor(() => got.length === 1, 'one inbound');
    expect(got[0]).toMatchObject({
      channel: 'slack',
      accountId: 'default',
      chat: { kind: 'channel', id: GEN, teamId: slack.app.teamId },
      sender: { id: ANA },
      messageId: ts,
      text: 'is the build green?',
      mentionsBot: true,
    });
    expect(log.lines.filter((l) => l.level === 'info' && l.msg.startsWith('slack: connected'))).toHaveLength(1);
  });

  it('acknowledges every envelope at once, before the runtime has accepted the message', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { got } = await started({ onInbound: () => gate });
    slack.post({ channel: GEN, user: ANA, text: mention('first') });
    await slack.waitFor(() => got.length === 1, 'the runtime to hold the first message');
    slack.post({ channel: 'D05ANA1234', user: ANA, text: 'second' });
    // message + app_mention for the first post, message for the second: three envelopes, all acked while the
    // runtime still holds the first message.
    await slack.waitFor(() => acked() === 3, 'three acks');
    expect(got).toHaveLength(1);
    release();
    await slack.waitFor(() => got.length === 2, 'both delivered');
    expect(got.map((m) => m.text)).toEqual(['first', 'second']);
  });

  it('answers app_mention + message of one post once, and a redelivered envelope once', async () => {
    const { got } = await started();
    const { envelopes } = slack.post({ channel: GEN, user: ANA, text: mention('once please') });
    expect(envelopes).toHaveLength(2);
    await slack.waitFor(() => acked() === 2, 'two acks');
    slack.socket.redeliver(envelopes[0].envelopeId);
    slack.socket.redeliver(envelopes[1].envelopeId);
    await slack.waitFor(() => envelopes.every((e) => e.retryAttempt === 1 && e.ackedAt !== undefined), 'redeliveries acked');
    slack.post({ channel: GEN, user: ANA, text: mention('a later message') });
    await slack.waitFor(() => got.length === 2, 'the later message');
    expect(got.map((m) => m.text)).toEqual(['once please', 'a later message']);
  });

  it("does not hand its own posts, edits or other bots' subtypes to the runtime", async () => {
    const { c, got } = await started();
    await c.send({ to: { kind: 'channel', id: GEN }, text: `talking to myself ${mention('x')}` }); // echoed back by the fake
    slack.pushEvent({ type: 'message', subtype: 'message_changed', channel: GEN, hidden: true, ts: '1733000100.000001', message: { user: ANA, text: 'edited', ts: '1733000000.000001' } });
    slack.pushEvent({ type: 'message', subtype: 'bot_message', bot_id: 'B0CI', text: mention('deploy done'), channel: GEN, ts: '1733000100.000002' });
    slack.post({ channel: GEN, user: ANA, text: mention('the only question') });
    await slack.waitFor(() => got.length === 1 && acked() === slack.socket.envelopes.length, 'every envelope acked');
    await sleep(50);
    expect(got.map((m) => m.text)).toEqual(['the only question']);
  });

  it('a DM and a thread reply come with their chat and thread', async () => {
    const { got } = await started();
    const root = slack.post({ channel: GEN, user: ANA, text: mention('root') }).ts;
    slack.post({ channel: GEN, user: ANA, text: mention('in the thread'), threadTs: root });
    slack.post({ channel: 'D05ANA1234', user: ANA, text: 'private' });
    await slack.waitFor(() => got.length === 3, 'three inbound');
    expect(got[1].chat).toEqual({ kind: 'channel', id: GEN, teamId: slack.app.teamId, threadId: root, parentId: GEN, threadWord: 'thread' });
    expect(got[2].chat).toEqual({ kind: 'direct', id: 'D05ANA1234', teamId: slack.app.teamId });
  });

  it("fills the sender's name from users.info, asking once per user", async () => {
    slack.users.set(ANA, { name: 'ana.r', realName: 'Ana Ribeiro', displayName: 'Ana' });
    const { got } = await started();
    slack.post({ channel: GEN, user: ANA, text: mention('one') });
    slack.post({ channel: GEN, user: ANA, text: mention('two') });
    slack.post({ channel: GEN, user: 'U0NOBODY1', text: mention('who am I') });
    await slack.waitFor(() => got.length === 3, 'three inbound');
    expect(got[0].sender).toEqual({ id: ANA, isBot: false, name: 'Ana', username: 'ana.r' });
    expect(got[2].sender).toEqual({ id: 'U0NOBODY1', isBot: false });
    expect(slack.calls.filter((x) => x.method === 'users.info').map((x) => x.params.user)).toEqual([ANA, 'U0NOBODY1']);
  });

  it('acks a slash command at once with a hint (commands are written in messages)', async () => {
    const { got } = await started();
    const env = slack.socket.push(
      slack.app.appToken,
      { token: 'x', team_id: slack.app.teamId, channel_id: GEN, user_id: ANA, command: '/bind', text: 'work', trigger_id: '1.2.abc', response_url: 'https://hooks.invalid/x' },
      'slash_commands',
    );
    await slack.waitFor(() => env.ackedAt !== undefined, 'the ack');
    expect(env.ackPayload).toEqual({ response_type: 'ephemeral', text: SLASH_HINT });
    expect(got).toEqual([]);
  });

  it('survives junk on the socket: bad JSON, binary frames, unknown types, envelopes without payloads', async () => {
    const { got } = await started();
    const app = slack.app.appToken;
    slack.socket.sendRaw(app, 'not json {');
    slack.socket.sendRaw(app, JSON.stringify({ type: 'something_new' }));
    slack.socket.sendRaw(app, JSON.stringify({ type: 'events_api', envelope_id: 'e-junk', payload: { event: 'nope' } }));
    slack.socket.sendRaw(app, JSON.stringify({ type: 'events_api', envelope_id: 'e-junk2', payload: { type: 'event_callback', event: { type: 'message', channel: 5 } } }));
    slack.post({ channel: GEN, user: ANA, text: mention('still here?') });
    await slack.waitFor(() => got.length === 1, 'the real message');
    expect(got[0].text).toBe('still here?');
  });
});

describe('Slack adapter: connection', () => {
  it('a `disconnect` request: the SDK reconnects, one log line, and events sent meanwhile arrive once', async () => {
    const { got } = await started();
    slack.post({ channel: GEN, user: ANA, text: mention('before') });
    await slack.waitFor(() => got.length === 1, 'before');
    const linesBefore = log.lines.length;
    expect(slack.socket.requestDisconnect(slack.app.appToken)).toBe(1);
    await slack.waitFor(() => slack.socket.openConns(slack.app.appToken).length === 0, 'the socket to close');
    slack.post({ channel: GEN, user: ANA, text: mention('during') });
    await slack.waitFor(() => got.length === 2, 'the message sent while disconnected', 10_000);
    slack.post({ channel: GEN, user: ANA, text: mention('after') });
    await slack.waitFor(() => got.length === 3, 'after');
    expect(got.map((m) => m.text)).toEqual(['before', 'during', 'after']);
    expect(slack.socket.connectionsMade(slack.app.appToken)).toBe(2);
    expect(slack.socket.envelopes.every((e) => e.ackedAt !== undefined)).toBe(true);
    const newLines = log.lines.slice(linesBefore).filter((l) => l.level !== 'debug');
    expect(newLines.map((l) => l.msg)).toEqual(['slack: socket reconnected']);
  });

  it('a dropped socket: envelopes it never acked are redelivered on the next one and handled once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { got } = await started({ onInbound: (m) => (m.text === 'slow' ? gate : Promise.resolve()) });
    slack.post({ channel: GEN, user: ANA, text: mention('slow') });
    await slack.waitFor(() => got.length === 1, 'slow');
    // An envelope written to a socket that dies before the ack reaches Slack:
    const env = slack.socket.envelopes[0];
    env.ackedAt = undefined;
    slack.socket.drop(slack.app.appToken);
    await slack.waitFor(() => slack.socket.connectionsMade(slack.app.appToken) === 2 && env.ackedAt !== undefined, 'redelivery on the new socket');
    expect(env.retryAttempt).toBe(1);
    release();
    slack.post({ channel: GEN, user: ANA, text: mention('next') });
    await slack.waitFor(() => got.length === 2, 'next');
    expect(got.map((m) => m.text)).toEqual(['slow', 'next']);
  });

  it('a rejected bot token stops this account with a clear line; start() resolves and nothing is retried', async () => {
    const [c] = await createSlackChannels({ botToken: 'xoxb-wrong', appToken: slack.app.appToken, apiUrl: slack.apiUrl }, { log, env: {} });
    channels.push(c);
    await c.start(async () => {});
    expect(c.state).toBe('unauthorized');
    const err = log.lines.find((l) => l.level === 'error')!;
    expect(err.msg).toMatch(/^channels\.slack\.botToken was rejected by Slack \(invalid_auth\): check the Bot User OAuth Token/);
    expect(err.msg).toContain('the rest of the gateway keeps running');
    expect(slack.calls.map((x) => x.method)).toEqual(['auth.test']);
  });

  it('a rejected app token stops the account naming channels.slack.accounts.<id>.appToken', async () => {
    const cfg = { accounts: { work: { botToken: slack.app.botToken, appToken: 'xapp-1-revoked', apiUrl: slack.apiUrl } } };
    const [c] = await createSlackChannels(cfg, { log, env: {} });
    channels.push(c);
    await c.start(async () => {});
    expect(c.state).toBe('unauthorized');
    expect(log.lines.find((l) => l.level === 'error')!.msg).toMatch(/^channels\.slack\.accounts\.work\.appToken was rejected by Slack \(invalid_auth\)/);
  });

  it('an app token revoked while reconnecting stops the account instead of an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { c } = await started();
      slack.failNext('apps.connections.open', { error: 'invalid_auth' });
      slack.socket.requestDisconnect(slack.app.appToken);
      await slack.waitFor(() => c.state === 'unauthorized' || undefined, 'the account to stop');
      expect(log.lines.some((l) => l.level === 'error' && l.msg.startsWith('channels.slack.appToken was rejected by Slack (invalid_auth)'))).toBe(true);
      await sleep(50);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('Slack unreachable at start: start() resolves, the adapter retries on its clock and connects', async () => {
    const clock = new FakeClock();
    slack.failNext('apps.connections.open', { status: 503 }, 2);
    const { c, got } = await started({ clock, tuning: { retry: { initialBackoffMs: 1000 } } });
    expect(c.state).toBe('connecting');
    expect(log.lines.some((l) => l.msg === 'slack: opening the socket failed; retrying')).toBe(true);
    await clock.advance(1000);
    await clock.advance(2000);
    await slack.waitFor(() => c.state === 'connected' || undefined, 'connected');
    slack.post({ channel: GEN, user: ANA, text: mention('made it') });
    await slack.waitFor(() => got.length === 1, 'delivery');
    expect(slack.calls.filter((x) => x.method === 'apps.connections.open')).toHaveLength(3);
  });
});

describe('Slack adapter: sending', () => {
  it('top-level in a channel, thread_ts in a thread, never threaded in a DM; Markdown as mrkdwn', async () => {
    const c = await channel();
    await c.send({ to: { kind: 'channel', id: GEN }, text: '**done** see [logs](https://ci.example/1)' });
    await c.send({ to: { kind: 'channel', id: GEN, threadId: '1733000000.000009', parentId: GEN, threadWord: 'thread' }, text: 'in thread' });
    await c.send({ to: { kind: 'direct', id: 'D05ANA1234', threadId: '1733000000.000001' }, text: 'dm' });
    await c.send({ to: { kind: 'channel', id: GEN }, text: '<!channel> *raw*', format: 'plain' });
    const posts = slack.posted.map(({ channel, threadTs, text, mrkdwn }) => ({ channel, threadTs, text, mrkdwn }));
    expect(posts).toEqual([
      { channel: GEN, threadTs: undefined, text: '*done* see <https://ci.example/1|logs>', mrkdwn: undefined },
      { channel: GEN, threadTs: '1733000000.000009', text: 'in thread', mrkdwn: undefined },
      { channel: 'D05ANA1234', threadTs: undefined, text: 'dm', mrkdwn: undefined },
      { channel: GEN, threadTs: undefined, text: '&lt;!channel&gt; *raw*', mrkdwn: false },
    ]);
  });

  it('ids from a session key (lower case) are sent upper case', async () => {
    const c = await channel();
    await c.send({ to: { kind: 'channel', id: 'c07general', threadId: '1733000000.000009' }, text: 'x' });
    expect(slack.posted[0]).toMatchObject({ channel: GEN, threadTs: '1733000000.000009' });
  });

  it('waits out a 429 Retry-After on the adapter clock and posts once', async () => {
    const clock = new FakeClock();
    const c = await channel({ clock });
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    let done = false;
    const sending = c.send({ to: { kind: 'channel', id: GEN }, text: 'patience' }).then((r) => ((done = true), r));
    await slack.waitFor(() => slack.calls.length === 1, 'the first attempt');
    await clock.advance(6_900);
    expect(done).toBe(false);
    await clock.advance(100);
    const res = await sending;
    expect(slack.postsTo(GEN).map((p) => p.text)).toEqual(['patience']);
    expect(res.messageId).toBe(slack.posted[0].ts);
    expect(log.lines.find((l) => l.msg === 'slack: rate limited, waiting Retry-After')?.data?.retryAfterMs).toBe(7000);
  });

  it('retries 5xx and an unsent connection, but not a post whose fate is unknown', async () => {
    const clock = new FakeClock();
    const c = await channel({ clock });
    slack.failNext('chat.postMessage', { status: 500 });
    const first = c.send({ to: { kind: 'channel', id: GEN }, text: 'after a 500' });
    await slack.waitFor(() => slack.calls.length === 1, 'attempt 1');
    await clock.advance(1000);
    await first;
    slack.failNext('chat.postMessage', { drop: true });
    await expect(c.send({ to: { kind: 'channel', id: GEN }, text: 'dropped' })).rejects.toMatchObject({ permanent: true });
    expect(slack.postsTo(GEN).map((p) => p.text)).toEqual(['after a 500']);
  });

  it('names what to do when Slack refuses: not_in_channel, and a rejected token stops the account', async () => {
    const c = await channel();
    slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    await expect(c.send({ to: { kind: 'channel', id: GEN }, text: 'x' })).rejects.toThrow(/not_in_channel: invite the bot to the channel first/);
    slack.failNext('chat.postMessage', { error: 'token_revoked' });
    await expect(c.send({ to: { kind: 'channel', id: GEN }, text: 'x' })).rejects.toMatchObject({ permanent: true });
    expect(c.state).toBe('unauthorized');
  });

  it('openDirect opens the DM with conversations.open once per user', async () => {
    const c = await channel();
    expect(await c.openDirect(ANA)).toEqual({ kind: 'direct', id: 'D05ANA1234' });
    expect(await c.openDirect(ANA.toLowerCase())).toEqual({ kind: 'direct', id: 'D05ANA1234' });
    expect(slack.calls.filter((x) => x.method === 'conversations.open').map((x) => x.params.users)).toEqual([ANA]);
    await expect(c.openDirect('not-a-user')).rejects.toThrow(/user_not_found/);
  });

  it('edit goes through chat.update', async () => {
    const c = await channel();
    const { messageId } = await c.send({ to: { kind: 'channel', id: GEN }, text: 'draft' });
    await c.edit({ kind: 'channel', id: GEN }, messageId, '**final**');
    expect(slack.posted[1]).toMatchObject({ method: 'chat.update', channel: GEN, ts: messageId, text: '*final*' });
  });
});

describe('Slack adapter: working indicator', () => {
  it('a reaction goes on the message being answered and comes off when the answer is posted', async () => {
    const { c, got } = await started();
    const { ts } = slack.post({ channel: GEN, user: ANA, text: mention('think hard') });
    await slack.waitFor(() => got.length === 1, 'inbound');
    await c.typing(got[0].chat);
    await c.typing(got[0].chat); // refreshes do not react again
    expect(slack.reactionsOn(GEN, ts)).toEqual([WORKING_REACTION]);
    await c.send({ to: got[0].chat, text: 'answer' });
    await slack.waitFor(() => slack.reactions.length === 2, 'the removal');
    expect(slack.reactions.map((r) => [r.action, r.ts, r.name])).toEqual([
      ['add', ts, WORKING_REACTION],
      ['remove', ts, WORKING_REACTION],
    ]);
  });

  it('a run that ends without an answer: the reaction comes off once typing stops being refreshed', async () => {
    const clock = new FakeClock();
    const { c, got } = await started({ clock });
    const { ts } = slack.post({ channel: 'D05ANA1234', user: ANA, text: 'nothing to say' });
    await slack.waitFor(() => got.length === 1, 'inbound');
    await c.typing(got[0].chat);
    await clock.advance(IDLE_MS - 1);
    expect(slack.reactionsOn('D05ANA1234', ts)).toEqual([WORKING_REACTION]);
    await clock.advance(1);
    await slack.waitFor(() => slack.reactionsOn('D05ANA1234', ts).length === 0 || undefined, 'removal');
  });
});

describe('Slack accounts and settings', () => {
  it('env tokens fill the default account; accounts add more; one token alone is reported, not started', () => {
    const env = { SLACK_BOT_TOKEN: 'xoxb-env', SLACK_APP_TOKEN: 'xapp-env' };
    expect(resolveAccounts(undefined, env)).toEqual([
      { accountId: 'default', botToken: 'xoxb-env', appToken: 'xapp-env', apiUrl: 'https://slack.com/api/', replyToMode: 'off' },
    ]);
    const accounts = resolveAccounts(
      { replyToMode: 'all', apiUrl: 'http://127.0.0.1:1/api/', accounts: { a: { botToken: 'xoxb-a', appToken: 'xapp-a' }, b: { botToken: 'xoxb-b' } } },
      env,
      log,
    );
    expect(accounts).toEqual([{ accountId: 'a', botToken: 'xoxb-a', appToken: 'xapp-a', apiUrl: 'http://127.0.0.1:1/api/', replyToMode: 'all' }]);
    expect(log.lines.map((l) => l.msg)).toEqual([
      'channels.slack.accounts.b.appToken (xapp-…, or SLACK_APP_TOKEN) is missing: Socket Mode needs both the bot token and the app-level token. This Slack account is not started.',
    ]);
  });

  it('an unconfigured Slack creates no channel', async () => {
    expect(await createSlackChannels(undefined, { log, env: {} })).toEqual([]);
    expect(await slackModule.create(undefined, { log, env: {}, home: '/nonexistent', clock: new FakeClock(), offsets: { get: () => undefined, set: () => {} } })).toEqual([]);
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
    const cfg = { channels: { c07general: { requireMention: false }, '*': { requireMention: true } } };
    expect(slackChatSettings(cfg, { kind: 'channel', id: GEN })).toEqual({ requireMention: false });
    expect(slackChatSettings(cfg, { kind: 'channel', id: GEN, threadId: '1.2', parentId: GEN })).toEqual({ requireMention: false });
    expect(slackChatSettings(cfg, { kind: 'channel', id: 'C0OTHER' })).toEqual({ requireMention: true });
    expect(slackChatSettings({ channels: { C1: {} } }, { kind: 'channel', id: 'C2' })).toBeUndefined();
    expect(slackChatSettings({ channels: { C1: {} } }, { kind: 'channel', id: 'C1' })).toEqual({ requireMention: true });
    expect(slackModule.directSettings(undefined)).toEqual({ dmPolicy: 'pairing', allowFrom: [] });
  });
});
