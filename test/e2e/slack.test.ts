// Slack end to end through the WHOLE gateway: the real bolt App receives Socket Mode envelopes from the fake Slack,
// messages go through access, routing, journal, lanes and the agent loop to the real Anthropic SDK against the fake
// model server, and the answers come back to the fake Slack's chat.postMessage. Only the outside world is fake.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findFences } from '../../runtime/chunk.js';
import type { FakeRequest } from '../fakes/fake-anthropic.js';
import type { Posted } from '../fakes/fake-slack.js';
import { GEN, MEMBER, MODEL_KEY, OPEN, OWNER, startSlackGateway, type SlackGateway } from '../fakes/slack-gateway.js';
import { until, type Json } from '../fakes/telegram-gateway.js';

let g: SlackGateway | undefined;

afterEach(async () => {
  await g?.stop();
  g = undefined;
});

/** The text of the last user message of a request. */
function lastUserText(req: FakeRequest): string {
  const messages = req.body.messages as { role: string; content: unknown }[];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return (last.content as { type: string; text?: string }[]).map((b) => b.text ?? '').join('\n');
}

/** The message itself: in a shared channel the model sees it prefixed with who said it (`[U0…]: `). */
const said = (req: FakeRequest) => lastUserText(req).replace(/^\[[^\]]*\]: /, '');

async function start(config?: Json): Promise<SlackGateway> {
  g = await startSlackGateway({ config });
  // The model answers every turn with the text of that turn, so answers can be matched to their messages.
  g.model.setDefault((req) => ({ text: `reply to: ${said(req)}` }));
  return g;
}

async function sessions(agentId = 'main'): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(join(g!.h.home, 'agents', agentId, 'sessions', 'sessions.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

async function sessionKeysEventually(agentId: string, keys: string[]): Promise<void> {
  await until(
    async () => {
      const s = await sessions(agentId);
      return keys.every((k) => k in s);
    },
    `sessions of ${agentId} to hold ${keys.join(', ')}`,
  );
}

const answers = (channel: string) => g!.slack.postsTo(channel);
const acked = () => g!.slack.socket.envelopes.every((e) => e.ackedAt !== undefined);

describe('Slack through the whole gateway', () => {
  it('a mention in a channel: answered once, top level, in the channel session', async () => {
    await start();
    g!.say(MEMBER, GEN, g!.mention('what is up?'));
    const a = await g!.posted((p) => p.channel === GEN);
    expect(a.text).toBe('reply to: what is up?');
    expect(a.threadTs).toBeUndefined();
    // The model saw the text without the mention; Slack sent message + app_mention and both were acked.
    expect(lastUserText(g!.model.requests[0])).toBe(`[${MEMBER}]: what is up?`);
    await until(acked, 'every envelope acked');
    expect(g!.slack.socket.envelopes.filter((e) => (e.payload.event as Json).type === 'app_mention')).toHaveLength(1);
    await g!.h.gw.gateway.lanes.idle();
    expect(g!.model.requests).toHaveLength(1);
    expect(answers(GEN)).toHaveLength(1);
    await sessionKeysEventually('main', ['agent:main:slack:channel:c0general1']);
  });

  it('chatter without a mention is not answered; an unlisted channel is ignored', async () => {
    await start();
    g!.say(MEMBER, GEN, 'just humans talking');
    g!.say(MEMBER, 'C0UNLISTED', g!.mention('hello?'));
    g!.say(MEMBER, GEN, g!.mention('now you'));
    await g!.posted((p) => p.channel === GEN);
    await g!.h.gw.gateway.lanes.idle();
    expect(g!.model.requests.map(lastUserText)).toEqual([expect.stringContaining('now you')]);
    expect(answers('C0UNLISTED')).toEqual([]);
  });

  it('a thread reply is answered in the thread (thread_ts) with its own session', async () => {
    await start();
    const root = g!.say(MEMBER, GEN, g!.mention('start'));
    await g!.posted((p) => p.channel === GEN && p.text === 'reply to: start');
    g!.say(MEMBER, GEN, g!.mention('follow-up in the thread'), root);
    const a = await g!.posted((p) => p.text.includes('follow-up in the thread'));
    expect(a).toMatchObject({ channel: GEN, threadTs: root });
    await sessionKeysEventually('main', ['agent:main:slack:channel:c0general1', `agent:main:slack:channel:c0general1:thread:${root}`]);
  });

  it('replyToMode "all": a top-level message is answered in its own thread', async () => {
    await start({ channels: { slack: { replyToMode: 'all' } } });
    const ts = g!.say(MEMBER, OPEN, 'thread me');
    const a = await g!.posted((p) => p.channel === OPEN);
    expect(a.threadTs).toBe(ts);
  });

  it('a DM is answered in the DM, never threaded, in the per-user session', async () => {
    await start();
    const dm = g!.slack.dmOf(MEMBER);
    g!.dm(MEMBER, 'hello in private');
    const a = await g!.posted((p) => p.channel === dm);
    expect(a.text).toBe('reply to: hello in private');
    expect(a.threadTs).toBeUndefined();
    await sessionKeysEventually('main', [`agent:main:slack:direct:${MEMBER.toLowerCase()}`]);
  });

  it('team binding: the workspace goes to its agent; a channel binding is more specific and wins', async () => {
    const teamId = 'T07FAKETEAM';
    await start({
      agents: { list: [{ id: 'main', default: true }, { id: 'work' }] },
      bindings: [
        { agentId: 'work', match: { channel: 'slack', teamId } },
        { agentId: 'main', match: { channel: 'slack', peer: { kind: 'channel', id: OPEN } } },
      ],
    });
    g!.say(MEMBER, GEN, g!.mention('for work'));
    g!.say(MEMBER, OPEN, 'for main');
    await g!.posted((p) => p.text.includes('for work'));
    await g!.posted((p) => p.text.includes('for main'));
    await sessionKeysEventually('work', ['agent:work:slack:channel:c0general1']);
    await sessionKeysEventually('main', ['agent:main:slack:channel:c0openchan']);
  });

  it('every envelope is acked before the agent has answered', async () => {
    await start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    g!.model.setDefault(async (req) => {
      await gate;
      return { text: `reply to: ${said(req)}` };
    });
    g!.say(MEMBER, GEN, g!.mention('slow one'));
    await until(() => g!.model.requests.length === 1, 'the model request');
    await until(acked, 'both envelopes acked while the model still works');
    expect(answers(GEN)).toEqual([]);
    release();
    await g!.posted((p) => p.text === 'reply to: slow one');
  });

  it('a redelivered envelope is answered once', async () => {
    await start();
    g!.say(MEMBER, GEN, g!.mention('only once'));
    await g!.posted((p) => p.text === 'reply to: only once');
    const first = g!.slack.socket.envelopes.filter((e) => ((e.payload.event as Json).text as string).includes('only once'));
    for (const e of first) g!.slack.socket.redeliver(e.envelopeId);
    await until(() => first.every((e) => e.retryAttempt === 1 && e.ackedAt !== undefined), 'the redeliveries acked');
    g!.say(MEMBER, GEN, g!.mention('next'));
    await g!.posted((p) => p.text === 'reply to: next');
    await g!.h.gw.gateway.lanes.idle();
    expect(answers(GEN).map((p) => p.text)).toEqual(['reply to: only once', 'reply to: next']);
    expect(g!.model.requests).toHaveLength(2);
  });

  it('a 5,000-character answer arrives in two messages cut at 4,000 without breaking the code block', async () => {
    await start();
    const code = Array.from({ length: 110 }, (_, i) => `const line${String(i).padStart(3, '0')} = ${i}; // filler text`).join('\n');
    const long = `Here is the file:\n\n\`\`\`js\n${code}\n\`\`\`\n\n${'Afterword. '.repeat(150)}`;
    expect(long.length).toBeGreaterThan(5000);
    g!.model.script(MODEL_KEY, { text: long });
    g!.say(MEMBER, GEN, g!.mention('the long one'));
    await until(() => answers(GEN).length >= 2, 'two messages');
    await g!.h.gw.gateway.lanes.idle();
    const parts = answers(GEN);
    expect(parts).toHaveLength(2);
    for (const p of parts) {
      expect(p.text.length).toBeLessThanOrEqual(4000);
      expect((p.text.match(/```/g) ?? []).length % 2).toBe(0);
      expect(findFences(p.text).every((f) => f.closeStart < p.text.length)).toBe(true);
    }
    const lines = parts.map((p) => p.text).join('\n');
    for (let i = 0; i < 110; i++) expect(lines).toContain(`const line${String(i).padStart(3, '0')} = ${i};`);
  });

  it('chat admin: "@bot /bind work" routes the channel to agent work; " /unbind" (leading space) undoes it', async () => {
    await start({ agents: { list: [{ id: 'main', default: true }, { id: 'work' }] } });
    g!.say(OWNER, GEN, g!.mention('/bind work'));
    const bound = await g!.posted((p) => p.channel === GEN && /work/.test(p.text));
    expect(bound.text).toMatch(/work/);
    g!.say(MEMBER, GEN, g!.mention('who answers?'));
    await g!.posted((p) => p.text.includes('who answers?'));
    await sessionKeysEventually('work', ['agent:work:slack:channel:c0general1']);
    g!.say(OWNER, GEN, ' /unbind');
    await until(() => answers(GEN).length >= 3, 'the /unbind answer');
    g!.say(MEMBER, GEN, g!.mention('and now?'));
    await g!.posted((p) => p.text.includes('and now?'));
    await sessionKeysEventually('main', ['agent:main:slack:channel:c0general1']);
    expect(g!.model.requests.some((r) => lastUserText(r).includes('/bind'))).toBe(false);
  });

  it('a socket `disconnect`: the SDK reconnects and a message sent meanwhile is answered once', async () => {
    await start();
    g!.say(MEMBER, GEN, g!.mention('before'));
    await g!.posted((p) => p.text === 'reply to: before');
    g!.slack.socket.requestDisconnect(g!.slack.app.appToken);
    await until(() => g!.slack.socket.openConns(g!.slack.app.appToken).length === 0, 'the socket to close');
    g!.say(MEMBER, GEN, g!.mention('during'));
    await g!.posted((p) => p.text === 'reply to: during', 15_000);
    g!.say(MEMBER, GEN, g!.mention('after'));
    await g!.posted((p) => p.text === 'reply to: after');
    await g!.h.gw.gateway.lanes.idle();
    expect(answers(GEN).map((p) => p.text)).toEqual(['reply to: before', 'reply to: during', 'reply to: after']);
    expect(g!.slack.socket.connectionsMade(g!.slack.app.appToken)).toBe(2);
    expect(acked()).toBe(true);
    expect(g!.h.log.lines.filter((l) => l.msg === 'slack: socket reconnected')).toHaveLength(1);
  }, 30_000);

  it('the working reaction is on the question while the agent works and gone after the answer', async () => {
    await start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    g!.model.setDefault(async (req) => {
      await gate;
      return { text: `reply to: ${said(req)}` };
    });
    const ts = g!.say(MEMBER, GEN, g!.mention('think'));
    await until(() => g!.slack.reactionsOn(GEN, ts).length === 1, 'the reaction');
    release();
    await g!.posted((p) => p.text === 'reply to: think');
    await until(() => g!.slack.reactionsOn(GEN, ts).length === 0, 'the reaction removed');
  });
});

describe('Slack approvals by DM', () => {
  const approvalConfig = { tools: { exec: { security: 'allowlist', ask: 'on-miss' } }, agents: { defaults: { sandbox: { mode: 'off' } } } };
  const isPrompt = (p: Posted) => p.channel === g!.slack.dmOf(OWNER) && p.text.includes('Approval needed');

  it('the request reaches the owner in a DM opened with conversations.open; "yes" in its thread runs it; the result lands in the thread it came from', async () => {
    await start(approvalConfig);
    const root = g!.say(MEMBER, GEN, g!.mention('start'));
    await g!.posted((p) => p.text === 'reply to: start');
    g!.model.script(MODEL_KEY, { toolCalls: [{ id: 'call_exec', name: 'exec', args: { command: 'echo approved-run' } }] }, { text: 'It printed approved-run.' });
    g!.say(MEMBER, GEN, g!.mention('please run it'), root);
    const prompt = await g!.posted(isPrompt);
    expect(g!.slack.calls.some((c) => c.method === 'conversations.open' && c.params.users === OWNER)).toBe(true);
    g!.dm(OWNER, 'yes', prompt.ts);
    const final = await g!.posted((p) => p.text === 'It printed approved-run.');
    expect(final).toMatchObject({ channel: GEN, threadTs: root });
    await g!.h.gw.gateway.lanes.idle();
    expect(g!.model.requests.some((r) => lastUserText(r) === 'yes')).toBe(false);
  });

  it('a plain "no" in the DM answers the only pending request', async () => {
    await start(approvalConfig);
    g!.model.script(MODEL_KEY, { toolCalls: [{ id: 'call_exec', name: 'exec', args: { command: 'echo nope' } }] }, { text: 'Understood, not running it.' });
    g!.say(MEMBER, GEN, g!.mention('run something'));
    await g!.posted(isPrompt);
    g!.dm(OWNER, 'no');
    const final = await g!.posted((p) => p.text === 'Understood, not running it.');
    expect(final.channel).toBe(GEN);
    expect(final.threadTs).toBeUndefined();
  });
});
