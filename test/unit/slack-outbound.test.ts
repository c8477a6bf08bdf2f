// The Slack adapter's sending side against the fake Slack: the real WebClient over HTTP on 127.0.0.1. Threads,
// DMs, mrkdwn, 429s and retries, refusals, conversations.open, chat.update and the working-indicator reaction
// (bots/slack/outbound.ts, bots/slack/working.ts).
import { describe, expect, it } from 'vitest';
import { IDLE_MS, WORKING_REACTION } from '../../bots/slack/working.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { useSlack } from '../fakes/slack-fixture.js';

const ANA = 'U05ANA1234';
const GEN = 'C07GENERAL';
const f = useSlack();

describe('Slack adapter: sending', () => {
  it('top-level in a channel, thread_ts in a thread, never threaded in a DM; Markdown as mrkdwn', async () => {
    const c = await f.channel();
    await c.send({ to: { kind: 'channel', id: GEN }, text: '**done** see [logs](https://ci.example/1)' });
    await c.send({ to: { kind: 'channel', id: GEN, threadId: '1733000000.000009', parentId: GEN, threadWord: 'thread' }, text: 'in thread' });
    await c.send({ to: { kind: 'direct', id: 'D05ANA1234', threadId: '1733000000.000001' }, text: 'dm' });
    await c.send({ to: { kind: 'channel', id: GEN }, text: '<!channel> *raw*', format: 'plain' });
    const posts = f.slack.posted.map(({ channel, threadTs, text, mrkdwn }) => ({ channel, threadTs, text, mrkdwn }));
    expect(posts).toEqual([
      { channel: GEN, threadTs: undefined, text: '*done* see <https://ci.example/1|logs>', mrkdwn: undefined },
      { channel: GEN, threadTs: '1733000000.000009', text: 'in thread', mrkdwn: undefined },
      { channel: 'D05ANA1234', threadTs: undefined, text: 'dm', mrkdwn: undefined },
      { channel: GEN, threadTs: undefined, text: '&lt;!channel&gt; *raw*', mrkdwn: false },
    ]);
  });

  it('ids from a session key (lower case) are sent upper case', async () => {
    const c = await f.channel();
    await c.send({ to: { kind: 'channel', id: 'c07general', threadId: '1733000000.000009' }, text: 'x' });
    expect(f.slack.posted[0]).toMatchObject({ channel: GEN, threadTs: '1733000000.000009' });
  });

  it('waits out a 429 Retry-After on the adapter clock and posts once', async () => {
    const clock = new FakeClock();
    const c = await f.channel({ clock });
    f.slack.failNext('chat.postMessage', { status: 429, retryAfter: 7 });
    let done = false;
    const sending = c.send({ to: { kind: 'channel', id: GEN }, text: 'patience' }).then((r) => {
      done = true;
      return r;
    });
    await f.slack.waitFor(() => f.slack.calls.length === 1, 'the first attempt');
    await clock.advance(6_900);
    expect(done).toBe(false);
    await clock.advance(100);
    const res = await sending;
    expect(f.slack.postsTo(GEN).map((p) => p.text)).toEqual(['patience']);
    expect(res.messageId).toBe(f.slack.posted[0].ts);
    expect(f.log.lines.find((l) => l.msg === 'slack: rate limited, waiting Retry-After')?.data?.retryAfterMs).toBe(7000);
  });

  it('retries 5xx and an unsent connection, but not a post whose fate is unknown', async () => {
    const clock = new FakeClock();
    const c = await f.channel({ clock });
    f.slack.failNext('chat.postMessage', { status: 500 });
    const first = c.send({ to: { kind: 'channel', id: GEN }, text: 'after a 500' });
    await f.slack.waitFor(() => f.slack.calls.length === 1, 'attempt 1');
    await clock.advance(1000);
    await first;
    f.slack.failNext('chat.postMessage', { drop: true });
    await expect(c.send({ to: { kind: 'channel', id: GEN }, text: 'dropped' })).rejects.toMatchObject({ permanent: true });
    expect(f.slack.postsTo(GEN).map((p) => p.text)).toEqual(['after a 500']);
  });

  it('names what to do when Slack refuses: not_in_channel, and a rejected token stops the account', async () => {
    const c = await f.channel();
    f.slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    await expect(c.send({ to: { kind: 'channel', id: GEN }, text: 'x' })).rejects.toThrow(/not_in_channel: invite the bot to the channel first/);
    f.slack.failNext('chat.postMessage', { error: 'token_revoked' });
    await expect(c.send({ to: { kind: 'channel', id: GEN }, text: 'x' })).rejects.toMatchObject({ permanent: true });
    expect(c.state).toBe('unauthorized');
  });

  it('openDirect opens the DM with conversations.open once per user', async () => {
    const c = await f.channel();
    expect(await c.openDirect(ANA)).toEqual({ kind: 'direct', id: 'D05ANA1234' });
    expect(await c.openDirect(ANA.toLowerCase())).toEqual({ kind: 'direct', id: 'D05ANA1234' });
    expect(f.slack.calls.filter((x) => x.method === 'conversations.open').map((x) => x.params.users)).toEqual([ANA]);
    await expect(c.openDirect('not-a-user')).rejects.toThrow(/user_not_found/);
  });

  it('edit goes through chat.update', async () => {
    const c = await f.channel();
    const { messageId } = await c.send({ to: { kind: 'channel', id: GEN }, text: 'draft' });
    await c.edit({ kind: 'channel', id: GEN }, messageId, '**final**');
    expect(f.slack.posted[1]).toMatchObject({ method: 'chat.update', channel: GEN, ts: messageId, text: '*final*' });
  });
});

describe('Slack adapter: working indicator', () => {
  it('a reaction goes on the message being answered and comes off when the answer is posted', async () => {
    const { c, got } = await f.started();
    const { ts } = f.slack.post({ channel: GEN, user: ANA, text: f.mention('think hard') });
    await f.slack.waitFor(() => got.length === 1, 'inbound');
    await c.typing(got[0].chat);
    await c.typing(got[0].chat); // refreshes do not react again
    expect(f.slack.reactionsOn(GEN, ts)).toEqual([WORKING_REACTION]);
    await c.send({ to: got[0].chat, text: 'answer' });
    await f.slack.waitFor(() => f.slack.reactions.length === 2, 'the removal');
    expect(f.slack.reactions.map((r) => [r.action, r.ts, r.name])).toEqual([
      ['add', ts, WORKING_REACTION],
      ['remove', ts, WORKING_REACTION],
    ]);
  });

  it('a run that ends without an answer: the reaction comes off once typing stops being refreshed', async () => {
    const clock = new FakeClock();
    const { c, got } = await f.started({ clock });
    const { ts } = f.slack.post({ channel: 'D05ANA1234', user: ANA, text: 'nothing to say' });
    await f.slack.waitFor(() => got.length === 1, 'inbound');
    await c.typing(got[0].chat);
    await clock.advance(IDLE_MS - 1);
    expect(f.slack.reactionsOn('D05ANA1234', ts)).toEqual([WORKING_REACTION]);
    await clock.advance(1);
    await f.slack.waitFor(() => f.slack.reactionsOn('D05ANA1234', ts).length === 0 || undefined, 'removal');
  });
});
