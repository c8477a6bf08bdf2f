// The Slack adapter's receiving side against the fake Slack (test/fakes/fake-slack.ts): the real bolt App in
// Socket Mode over a real WebSocket on 127.0.0.1. Connecting, acks, duplicates, junk frames, reconnects and
// rejected tokens (bots/slack/connection.ts).
import { describe, expect, it } from 'vitest';
import { SLASH_HINT } from '../../bots/slack/connection.js';
import { createSlackChannels } from '../../bots/slack/index.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { useSlack } from '../fakes/slack-fixture.js';

const ANA = 'U05ANA1234';
const GEN = 'C07GENERAL';
const f = useSlack();
const acked = () => f.slack.socket.envelopes.filter((e) => e.ackedAt !== undefined).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Slack adapter: receiving', () => {
  it('connects through auth.test and apps.connections.open, and decodes a channel mention', async () => {
    const { c, got } = await f.started();
    expect(c.state).toBe('connected');
    expect(c.botUsername).toBe('switchyard');
    expect(f.slack.calls.map((x) => x.method)).toEqual(['auth.test', 'apps.connections.open']);
    expect(f.slack.calls[1].token).toBe(f.slack.app.appToken);

    const { ts } = f.slack.post({ channel: GEN, user: ANA, text: f.mention('is the build green?') });
    await f.slack.waitFor(() => got.length === 1, 'one inbound');
    expect(got[0]).toMatchObject({
      channel: 'slack',
      accountId: 'default',
      chat: { kind: 'channel', id: GEN, teamId: f.slack.app.teamId },
      sender: { id: ANA },
      messageId: ts,
      text: 'is the build green?',
      mentionsBot: true,
    });
    expect(f.log.lines.filter((l) => l.level === 'info' && l.msg.startsWith('slack: connected'))).toHaveLength(1);
  });

  it('acknowledges every envelope at once, before the runtime has accepted the message', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { got } = await f.started({ onInbound: () => gate });
    f.slack.post({ channel: GEN, user: ANA, text: f.mention('first') });
    await f.slack.waitFor(() => got.length === 1, 'the runtime to hold the first message');
    f.slack.post({ channel: 'D05ANA1234', user: ANA, text: 'second' });
    // message + app_mention for the first post, message for the second: three envelopes, all acked while the
    // runtime still holds the first message.
    await f.slack.waitFor(() => acked() === 3, 'three acks');
    expect(got).toHaveLength(1);
    release();
    await f.slack.waitFor(() => got.length === 2, 'both delivered');
    expect(got.map((m) => m.text)).toEqual(['first', 'second']);
  });

  it('answers app_mention + message of one post once, and a redelivered envelope once', async () => {
    const { got } = await f.started();
    const { envelopes } = f.slack.post({ channel: GEN, user: ANA, text: f.mention('once please') });
    expect(envelopes).toHaveLength(2);
    await f.slack.waitFor(() => acked() === 2, 'two acks');
    f.slack.socket.redeliver(envelopes[0].envelopeId);
    f.slack.socket.redeliver(envelopes[1].envelopeId);
    await f.slack.waitFor(() => envelopes.every((e) => e.retryAttempt === 1 && e.ackedAt !== undefined), 'redeliveries acked');
    f.slack.post({ channel: GEN, user: ANA, text: f.mention('a later message') });
    await f.slack.waitFor(() => got.length === 2, 'the later message');
    expect(got.map((m) => m.text)).toEqual(['once please', 'a later message']);
  });

  it("does not hand its own posts, edits or other bots' subtypes to the runtime", async () => {
    const { c, got } = await f.started();
    await c.send({ to: { kind: 'channel', id: GEN }, text: `talking to myself ${f.mention('x')}` }); // echoed back by the fake
    f.slack.pushEvent({
      type: 'message',
      subtype: 'message_changed',
      channel: GEN,
      hidden: true,
      ts: '1733000100.000001',
      message: { user: ANA, text: 'edited', ts: '1733000000.000001' },
    });
    f.slack.pushEvent({ type: 'message', subtype: 'bot_message', bot_id: 'B0CI', text: f.mention('deploy done'), channel: GEN, ts: '1733000100.000002' });
    f.slack.post({ channel: GEN, user: ANA, text: f.mention('the only question') });
    await f.slack.waitFor(() => got.length === 1 && acked() === f.slack.socket.envelopes.length, 'every envelope acked');
    await sleep(50);
    expect(got.map((m) => m.text)).toEqual(['the only question']);
  });

  it('a DM and a thread reply come with their chat and thread', async () => {
    const { got } = await f.started();
    const root = f.slack.post({ channel: GEN, user: ANA, text: f.mention('root') }).ts;
    f.slack.post({ channel: GEN, user: ANA, text: f.mention('in the thread'), threadTs: root });
    f.slack.post({ channel: 'D05ANA1234', user: ANA, text: 'private' });
    await f.slack.waitFor(() => got.length === 3, 'three inbound');
    expect(got[1].chat).toEqual({ kind: 'channel', id: GEN, teamId: f.slack.app.teamId, threadId: root, parentId: GEN, threadWord: 'thread' });
    expect(got[2].chat).toEqual({ kind: 'direct', id: 'D05ANA1234', teamId: f.slack.app.teamId });
  });

  it("fills the sender's name from users.info, asking once per user", async () => {
    f.slack.users.set(ANA, { name: 'ana.r', realName: 'Ana Ribeiro', displayName: 'Ana' });
    const { got } = await f.started();
    f.slack.post({ channel: GEN, user: ANA, text: f.mention('one') });
    f.slack.post({ channel: GEN, user: ANA, text: f.mention('two') });
    f.slack.post({ channel: GEN, user: 'U0NOBODY1', text: f.mention('who am I') });
    await f.slack.waitFor(() => got.length === 3, 'three inbound');
    expect(got[0].sender).toEqual({ id: ANA, isBot: false, name: 'Ana', username: 'ana.r' });
    expect(got[2].sender).toEqual({ id: 'U0NOBODY1', isBot: false });
    expect(f.slack.calls.filter((x) => x.method === 'users.info').map((x) => x.params.user)).toEqual([ANA, 'U0NOBODY1']);
  });

  it('acks a slash command at once with a hint (commands are written in messages)', async () => {
    const { got } = await f.started();
    const env = f.slack.socket.push(
      f.slack.app.appToken,
      {
        token: 'x',
        team_id: f.slack.app.teamId,
        channel_id: GEN,
        user_id: ANA,
        command: '/bind',
        text: 'work',
        trigger_id: '1.2.abc',
        response_url: 'https://hooks.invalid/x',
      },
      'slash_commands',
    );
    await f.slack.waitFor(() => env.ackedAt !== undefined, 'the ack');
    expect(env.ackPayload).toEqual({ response_type: 'ephemeral', text: SLASH_HINT });
    expect(got).toEqual([]);
  });

  it('survives junk on the socket: bad JSON, binary frames, unknown types, envelopes without payloads', async () => {
    const { got } = await f.started();
    const app = f.slack.app.appToken;
    f.slack.socket.sendRaw(app, 'not json {');
    f.slack.socket.sendRaw(app, JSON.stringify({ type: 'something_new' }));
    f.slack.socket.sendRaw(app, JSON.stringify({ type: 'events_api', envelope_id: 'e-junk', payload: { event: 'nope' } }));
    f.slack.socket.sendRaw(
      app,
      JSON.stringify({ type: 'events_api', envelope_id: 'e-junk2', payload: { type: 'event_callback', event: { type: 'message', channel: 5 } } }),
    );
    f.slack.post({ channel: GEN, user: ANA, text: f.mention('still here?') });
    await f.slack.waitFor(() => got.length === 1, 'the real message');
    expect(got[0].text).toBe('still here?');
  });
});

describe('Slack adapter: connection', () => {
  it('a `disconnect` request: the SDK reconnects, one log line, and events sent meanwhile arrive once', async () => {
    const { got } = await f.started();
    f.slack.post({ channel: GEN, user: ANA, text: f.mention('before') });
    await f.slack.waitFor(() => got.length === 1, 'before');
    const linesBefore = f.log.lines.length;
    expect(f.slack.socket.requestDisconnect(f.slack.app.appToken)).toBe(1);
    await f.slack.waitFor(() => f.slack.socket.openConns(f.slack.app.appToken).length === 0, 'the socket to close');
    f.slack.post({ channel: GEN, user: ANA, text: f.mention('during') });
    await f.slack.waitFor(() => got.length === 2, 'the message sent while disconnected', 10_000);
    f.slack.post({ channel: GEN, user: ANA, text: f.mention('after') });
    await f.slack.waitFor(() => got.length === 3, 'after');
    expect(got.map((m) => m.text)).toEqual(['before', 'during', 'after']);
    expect(f.slack.socket.connectionsMade(f.slack.app.appToken)).toBe(2);
    expect(f.slack.socket.envelopes.every((e) => e.ackedAt !== undefined)).toBe(true);
    const newLines = f.log.lines.slice(linesBefore).filter((l) => l.level !== 'debug');
    expect(newLines.map((l) => l.msg)).toEqual(['slack: socket reconnected']);
  });

  it('a dropped socket: envelopes it never acked are redelivered on the next one and handled once', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { got } = await f.started({ onInbound: (m) => (m.text === 'slow' ? gate : Promise.resolve()) });
    f.slack.post({ channel: GEN, user: ANA, text: f.mention('slow') });
    await f.slack.waitFor(() => got.length === 1, 'slow');
    // An envelope written to a socket that dies before the ack reaches Slack:
    const env = f.slack.socket.envelopes[0];
    env.ackedAt = undefined;
    f.slack.socket.drop(f.slack.app.appToken);
    await f.slack.waitFor(() => f.slack.socket.connectionsMade(f.slack.app.appToken) === 2 && env.ackedAt !== undefined, 'redelivery on the new socket');
    expect(env.retryAttempt).toBe(1);
    release();
    f.slack.post({ channel: GEN, user: ANA, text: f.mention('next') });
    await f.slack.waitFor(() => got.length === 2, 'next');
    expect(got.map((m) => m.text)).toEqual(['slow', 'next']);
  });

  it('a rejected bot token stops this account with a clear line; start() resolves and nothing is retried', async () => {
    const [c] = await createSlackChannels({ botToken: 'xoxb-wrong', appToken: f.slack.app.appToken, apiUrl: f.slack.apiUrl }, { log: f.log, env: {} });
    f.track(c);
    await c.start(async () => {});
    expect(c.state).toBe('unauthorized');
    const err = f.log.lines.find((l) => l.level === 'error')!;
    expect(err.msg).toMatch(/^channels\.slack\.botToken was rejected by Slack \(invalid_auth\): check the Bot User OAuth Token/);
    expect(err.msg).toContain('the rest of the gateway keeps running');
    expect(f.slack.calls.map((x) => x.method)).toEqual(['auth.test']);
  });

  it('a rejected app token stops the account naming channels.slack.accounts.<id>.appToken', async () => {
    const cfg = { accounts: { work: { botToken: f.slack.app.botToken, appToken: 'xapp-1-revoked', apiUrl: f.slack.apiUrl } } };
    const [c] = await createSlackChannels(cfg, { log: f.log, env: {} });
    f.track(c);
    await c.start(async () => {});
    expect(c.state).toBe('unauthorized');
    expect(f.log.lines.find((l) => l.level === 'error')!.msg).toMatch(/^channels\.slack\.accounts\.work\.appToken was rejected by Slack \(invalid_auth\)/);
  });

  it('an app token revoked while reconnecting stops the account instead of an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { c } = await f.started();
      f.slack.failNext('apps.connections.open', { error: 'invalid_auth' });
      f.slack.socket.requestDisconnect(f.slack.app.appToken);
      await f.slack.waitFor(() => c.state === 'unauthorized' || undefined, 'the account to stop');
      expect(f.log.lines.some((l) => l.level === 'error' && l.msg.startsWith('channels.slack.appToken was rejected by Slack (invalid_auth)'))).toBe(true);
      await sleep(50);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('Slack unreachable at start: start() resolves, the adapter retries on its clock and connects', async () => {
    const clock = new FakeClock();
    f.slack.failNext('apps.connections.open', { status: 503 }, 2);
    const { c, got } = await f.started({ clock, tuning: { retry: { initialBackoffMs: 1000 } } });
    expect(c.state).toBe('connecting');
    expect(f.log.lines.some((l) => l.msg === 'slack: opening the socket failed; retrying')).toBe(true);
    await clock.advance(1000);
    await clock.advance(2000);
    await f.slack.waitFor(() => c.state === 'connected' || undefined, 'connected');
    f.slack.post({ channel: GEN, user: ANA, text: f.mention('made it') });
    await f.slack.waitFor(() => got.length === 1, 'delivery');
    expect(f.slack.calls.filter((x) => x.method === 'apps.connections.open')).toHaveLength(3);
  });
});
