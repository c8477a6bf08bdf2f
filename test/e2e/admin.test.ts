// Chat administration through the whole gateway on Telegram: owner-only commands (refused for others), /bind and /unbind per
// forum topic, DM pairing from the first message to the first answer, /context, /stop, /queue, /new, usage lines,
// and commands answering while a run is busy. Real grammY and Anthropic SDK clients against fakes on 127.0.0.1.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinCommands } from '../../admin/index.js';
import type { FakeRequest } from '../fakes/fake-anthropic.js';
import type { SentMessage } from '../fakes/fake-telegram.js';
import {
  BOT_USERNAME,
  GROUP,
  MEMBER,
  MODEL_KEY,
  OWNER,
  STRANGER,
  requestText,
  startTelegramGateway,
  until,
  type Json,
  type TelegramGateway,
} from '../fakes/telegram-gateway.js';

let g: TelegramGateway | undefined;

afterEach(async () => {
  await g?.stop();
  g = undefined;
});

/** A plain group that only lets MEMBER talk to the bot. */
const MEMBERS_ONLY = -1009876543210;
const TWO_AGENTS = { agents: { list: [{ id: 'main', default: true }, { id: 'work' }] } };
const topicKey = (agent: string, topic: number) => `agent:${agent}:telegram:group:${GROUP}:topic:${topic}`;
const to = (chatId: number, threadId?: number) => (m: SentMessage) => m.chatId === chatId && (threadId === undefined || m.threadId === threadId);

/** The text of the newest user turn of a recorded model request, without the `[sender]: ` prefix of groups. */
function lastUserText(req: FakeRequest): string {
  const msgs = req.body.messages as { role: string; content: unknown }[];
  const last = [...msgs].reverse().find((m) => m.role === 'user')!;
  const text = typeof last.content === 'string' ? last.content : (last.content as { text?: string }[]).map((b) => b.text ?? '').join('');
  return text.replace(/^\[[^\]\n]+\]: /gm, '');
}

/** A model that holds every answer whose turn mentions `word` until release() (one gate at a time). */
function gatedModel(g: TelegramGateway, word: string) {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  g.model.setDefault(async (req) => {
    const text = lastUserText(req);
    if (text.includes(word)) await gate;
    return { text: `answer to: ${text.replace(/\s+/g, ' ').slice(0, 200)}` };
  });
  return { release: () => open() };
}

async function sessionsOf(home: string, agent: string): Promise<Record<string, { sessionId: string }>> {
  const file = join(home, 'agents', agent, 'sessions', 'sessions.json');
  if (!existsSync(file)) return {};
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, { sessionId: string }>;
}

describe('owner-only chat administration through Telegram', () => {
  it("a non-owner's /bind is refused: a short line in a DM, silence in a group, audited either way", async () => {
    g = await startTelegramGateway({ config: TWO_AGENTS });
    g.dm(STRANGER, '/bind work');
    const refusal = await g.sent(to(STRANGER));
    expect(refusal.text).toBe("/bind is for the bot's owner only.");

    g.inTopic(MEMBER, 7, '/bind work');
    g.inTopic(MEMBER, 7, '/whoami'); // answered: proves the /bind before it was processed and kept quiet
    const who = await g.sent(to(GROUP, 7));
    expect(who.text).toContain(`You: telegram id ${MEMBER}`);
    expect(who.text).toContain(`Session key: ${topicKey('main', 7)}`);
    expect(g.sentTo(GROUP)).toHaveLength(1);
    expect(g.model.requests).toHaveLength(0);

    const audit = await g.auditLines();
    const refused = audit.filter((l) => l.kind === 'admin' && l.command === 'bind' && l.decision === 'refused');
    expect(refused.map((l) => l.sender).sort()).toEqual([`telegram:${MEMBER}`, `telegram:${STRANGER}`].sort());
    // Nothing was bound.
    g.inTopic(MEMBER, 7, 'hello');
    await g.sent((m) => to(GROUP, 7)(m) && m.text === 'ok');
    expect(String(g.model.requests[0].body.system)).toContain('agent "main"');
  });

  it('/bind work in topic 7 routes topic 7 to agent work, topic 8 stays on the default; /unbind undoes it', async () => {
    g = await startTelegramGateway({ config: TWO_AGENTS });
    g.model.setDefault((req) => ({ text: `reply ${lastUserText(req)}` }));

    g.inTopic(OWNER, 7, '/bind work');
    const bound = await g.sent(to(GROUP, 7));
    expect(bound.text).toMatch(/^Bound .* to agent work/);
    expect(bound.text).toContain('This chat → agent work');

    g.inTopic(MEMBER, 7, 'seven');
    await g.sent((m) => to(GROUP, 7)(m) && m.text === 'reply seven');
    g.inTopic(MEMBER, 8, 'eight');
    await g.sent((m) => to(GROUP, 8)(m) && m.text === 'reply eight');
    const sys = (word: string) => String(g!.model.requests.find((r) => lastUserText(r) === word)!.body.system);
    expect(sys('seven')).toContain('agent "work"');
    expect(sys('eight')).toContain('agent "main"');
    await g.h.gw.gateway.lanes.idle();
    await until(async () => topicKey('work', 7) in (await sessionsOf(g!.h.home, 'work')), 'the work session on disk');
    await until(async () => topicKey('main', 8) in (await sessionsOf(g!.h.home, 'main')), 'the main session on disk');
    expect(topicKey('main', 7) in (await sessionsOf(g.h.home, 'main'))).toBe(false);
    g.inTopic(OWNER, 8, '/agents');
    const agents8 = await g.sent((m) => to(GROUP, 8)(m) && m.text.startsWith('Agents:'));
    expect(agents8.text).toContain('This chat → agent main (the default agent');
    expect(agents8.text).toContain('Chat-made bindings (1)');

    g.inTopic(OWNER, 7, `/unbind@${BOT_USERNAME}`); // Telegram's addressed form works too
    const unbound = await g.sent((m) => to(GROUP, 7)(m) && m.text.startsWith('Removed chat binding'));
    expect(unbound.text).toContain('This chat → agent main');
    g.inTopic(MEMBER, 7, 'seven again');
    await g.sent((m) => to(GROUP, 7)(m) && m.text === 'reply seven again');
    expect(sys('seven again')).toContain('agent "main"');
    // The binding was stored (state.json) and is gone again.
    const state = JSON.parse(await readFile(join(g.h.home, 'state.json'), 'utf8')) as { bindings: unknown[] };
    expect(state.bindings).toEqual([]);
  });

  it('pairing: first DM gets a code, the owner is told, /pairing approve, the next message is answered', async () => {
    g = await startTelegramGateway({
      config: { channels: { telegram: { groups: { [String(MEMBERS_ONLY)]: { requireMention: false, allowFrom: [String(MEMBER)] } } } } },
    });
    g.model.setDefault((req) => ({ text: `hi, you said: ${lastUserText(req)}` }));

    g.dm(STRANGER, 'hello bot');
    const codeMsg = await g.sent(to(STRANGER));
    const code = /pairing code is ([A-Z2-9]{8})\b/.exec(codeMsg.text)?.[1];
    expect(code, codeMsg.text).toBeDefined();
    expect(code).not.toMatch(/[01OI]/);
    const notice = await g.sent((m) => to(OWNER)(m) && m.text.includes('Pairing request'));
    expect(notice.text).toContain(code!);
    expect(notice.text).toContain(`telegram id ${STRANGER}`);

    // Writing again before approval: same code, no second owner notice, still no model call.
    g.dm(STRANGER, 'hello?');
    await until(() => g!.sentTo(STRANGER).length === 2, 'the second code message');
    expect(g.sentTo(STRANGER)[1].text).toContain(code!);
    expect(g.model.requests).toHaveLength(0);

    g.dm(OWNER, '/pairing list');
    expect((await g.sent((m) => to(OWNER)(m) && m.text.startsWith('Pairing requests'))).text).toContain(code!);
    g.dm(OWNER, `/pairing approve ${code!.toLowerCase()}`);
    const approved = await g.sent((m) => to(OWNER)(m) && m.text.startsWith('Approved'));
    expect(approved.text).toContain(`telegram id ${STRANGER}`);

    g.dm(STRANGER, 'now can we talk?');
    const answer = await g.sent((m) => to(STRANGER)(m) && m.text.startsWith('hi, you said'));
    expect(answer.text).toBe('hi, you said: now can we talk?');
    expect(g.model.requests).toHaveLength(1);
    expect(requestText(g.model.requests[0].body)).not.toContain('hello bot'); // the unpaired messages were not processed
    await until(async () => (await readFile(join(g!.h.home, 'state.json'), 'utf8')).includes(`telegram:${STRANGER}`), 'the stored pairing');
    const state = JSON.parse(await readFile(join(g.h.home, 'state.json'), 'utf8')) as { pairedSenders: string[] };
    expect(state.pairedSenders).toEqual([`telegram:${STRANGER}`]);

    // Pairing is for DMs only: the paired stranger is still not let into a group that lists its members.
    g.tg.pushMessage({ chatId: MEMBERS_ONLY, chatType: 'supergroup', title: 'Members', fromId: STRANGER, text: 'let me in' });
    g.tg.pushMessage({ chatId: MEMBERS_ONLY, chatType: 'supergroup', title: 'Members', fromId: MEMBER, text: 'member here' });
    await g.sent((m) => to(MEMBERS_ONLY)(m) && m.text === 'hi, you said: member here');
    expect(g.sentTo(MEMBERS_ONLY)).toHaveLength(1);
    expect(g.model.requests.map(lastUserText)).toEqual(['now can we talk?', 'member here']);
  });

  it('/context list lists the workspace files and the tools with sizes, never the prompt text', async () => {
    g = await startTelegramGateway();
    g.dm(OWNER, '/context list');
    const ctx = await g.sent(to(OWNER));
    expect(ctx.text).toContain(`Context of agent:main:telegram:direct:${OWNER} (agent main):`);
    for (const f of ['AGENTS.md', 'SOUL.md', 'USER.md', 'IDENTITY.md', 'TOOLS.md']) expect(ctx.text).toMatch(new RegExp(`${f.replace('.', '\\.')}: [\\d,]+ chars`));
    expect(ctx.text).toMatch(/Tools \(9\): .* of schema/);
    for (const t of ['read', 'write', 'edit', 'list', 'exec', 'web_fetch', 'time', 'memory_search', 'memory_get'])
      expect(ctx.text).toMatch(new RegExp(`\\b${t} [\\d,]+`));
    expect(ctx.text).toMatch(/History: 0 messages/);
    expect(ctx.text).toMatch(/Total: ~[\d,]+ tokens/);
    expect(ctx.text).not.toContain('helpful assistant'); // AGENTS.md content stays out
    expect(g.model.requests).toHaveLength(0);
  });

  it('/stop during a run aborts it and nothing is delivered for it', async () => {
    g = await startTelegramGateway();
    g.model.script(MODEL_KEY, { text: 'PARTIAL-ANSWER that never ends', hang: true });
    g.inTopic(MEMBER, 7, 'tell me a long story');
    await until(() => g!.model.requests.length === 1, 'the model call');
    g.inTopic(MEMBER, 7, 'and another thing'); // queued behind the run: /stop drops it too
    await until(() => g!.h.gw.gateway.lanes.status(topicKey('main', 7)).backlog === 1, 'the queued message');
    g.inTopic(MEMBER, 7, '/stop');
    const stopped = await g.sent(to(GROUP, 7));
    expect(stopped.text).toBe('Stopped the current run; dropped 1 queued message.');
    await until(() => g!.model.requests[0].closedEarly, 'the model call to be cancelled');
    await g.h.gw.gateway.lanes.idle();

    // The session still works; the stopped run delivered nothing.
    g.model.script(MODEL_KEY, { text: 'fresh answer' });
    g.inTopic(MEMBER, 7, 'hello again');
    await g.sent((m) => to(GROUP, 7)(m) && m.text === 'fresh answer');
    expect(g.sentTo(GROUP).map((m) => m.text)).toEqual(['Stopped the current run; dropped 1 queued message.', 'fresh answer']);
    expect(g.model.requests).toHaveLength(2);
    expect(requestText(g.model.requests[1].body)).not.toContain('and another thing');
    expect(g.tg.calls.filter((c) => c.method === 'editMessageText')).toEqual([]);
  });

  it('/queue followup changes the next burst: collect merges three messages into one turn, followup runs three', async () => {
    g = await startTelegramGateway({ config: { messages: { queue: { debounceMs: 0 } } } });
    const key = topicKey('main', 7);
    const lanes = g.h.gw.gateway.lanes;

    let gate = gatedModel(g, 'first');
    g.inTopic(MEMBER, 7, 'first');
    await until(() => g!.model.requests.length === 1, 'the first model call');
    for (const w of ['alpha', 'beta', 'gamma']) g.inTopic(MEMBER, 7, w);
    await until(() => lanes.status(key).backlog === 3, 'three queued messages');
    gate.release();
    await until(() => g!.sentTo(GROUP, 7).length === 2, 'two answers');
    await lanes.idle();
    expect(g.model.requests).toHaveLength(2);
    const merged = lastUserText(g.model.requests[1]);
    for (const w of ['alpha', 'beta', 'gamma']) expect(merged).toContain(w);

    g.inTopic(OWNER, 7, '/queue followup');
    const changed = await g.sent((m) => to(GROUP, 7)(m) && m.text.startsWith('Updated.'));
    expect(changed.text).toContain('Queue: followup');
    expect(changed.text).toContain('session override: mode');

    gate = gatedModel(g, 'second');
    g.inTopic(MEMBER, 7, 'second');
    await until(() => g!.model.requests.length === 3, 'the next model call');
    for (const w of ['delta', 'epsilon', 'zeta']) g.inTopic(MEMBER, 7, w);
    await until(() => lanes.status(key).backlog === 3, 'three queued messages');
    gate.release();
    await until(() => g!.model.requests.length === 6, 'three follow-up calls');
    await lanes.idle();
    expect(g.model.requests.slice(3).map(lastUserText)).toEqual(['delta', 'epsilon', 'zeta']);
    expect(g.model.requests).toHaveLength(6);
  });

  it('/whoami and /status answer while a run is busy (they bypass the queue)', async () => {
    g = await startTelegramGateway();
    const gate = gatedModel(g, 'busy');
    g.inTopic(MEMBER, 7, 'busy work');
    await until(() => g!.model.requests.length === 1, 'the model call');

    g.inTopic(MEMBER, 7, '/whoami');
    const who = await g.sent((m) => to(GROUP, 7)(m) && m.text.startsWith('You:'));
    expect(who.text).toContain(`Session key: ${topicKey('main', 7)}`);
    g.inTopic(MEMBER, 7, '/status');
    const status = await g.sent((m) => to(GROUP, 7)(m) && m.text.startsWith('Agent:'));
    expect(status.text).toContain('a run is active');
    expect(status.text).toContain('Model: anthropic/claude-test');
    expect(g.sentTo(GROUP, 7).some((m) => m.text.startsWith('answer to'))).toBe(false);

    gate.release();
    await g.sent((m) => to(GROUP, 7)(m) && m.text === 'answer to: busy work');
    await g.h.gw.gateway.lanes.idle();
    expect(g.model.requests).toHaveLength(1); // the commands never reached the model
  });

  it('/new starts a new transcript under the same key and keeps the old one', async () => {
    g = await startTelegramGateway();
    g.model.setDefault((req) => ({ text: `seen ${(requestText(req.body).match(/MARK-\w+/g) ?? []).join(',')}` }));
    const key = `agent:main:telegram:direct:${OWNER}`;
    g.dm(OWNER, 'MARK-one');
    await g.sent((m) => to(OWNER)(m) && m.text === 'seen MARK-one');
    await g.h.gw.gateway.lanes.idle();
    await until(async () => key in (await sessionsOf(g!.h.home, 'main')), 'the session on disk');
    const oldId = (await sessionsOf(g.h.home, 'main'))[key].sessionId;

    g.dm(OWNER, '/new');
    const fresh = await g.sent((m) => to(OWNER)(m) && m.text.startsWith('Started a new conversation'));
    expect(fresh.text).toContain(`The previous transcript (${oldId}) is kept.`);
    const newId = /conversation \(([^)]+)\)/.exec(fresh.text)![1];
    expect(newId).not.toBe(oldId);

    g.dm(OWNER, 'MARK-two');
    await g.sent((m) => to(OWNER)(m) && m.text === 'seen MARK-two'); // the old turn is not in the window
    await g.h.gw.gateway.lanes.idle();
    const dir = join(g.h.home, 'agents', 'main', 'sessions');
    const oldLines = await readFile(join(dir, `${oldId}.jsonl`), 'utf8');
    const newLines = await readFile(join(dir, `${newId}.jsonl`), 'utf8');
    expect(oldLines).toContain('MARK-one');
    expect(oldLines).not.toContain('MARK-two');
    expect(newLines).toContain('MARK-two');
    expect(newLines).not.toContain('MARK-one');
    expect((await sessionsOf(g.h.home, 'main'))[key].sessionId).toBe(newId);
  });

  it('/model switches the model of this session only, from the next message', async () => {
    g = await startTelegramGateway();
    g.model.setDefault(() => ({ text: 'ok' }));
    g.inTopic(OWNER, 7, '/model anthropic/claude-other');
    expect((await g.sent(to(GROUP, 7))).text).toContain('Model for this session: anthropic/claude-other');
    g.inTopic(MEMBER, 7, 'which model?');
    await g.sent((m) => to(GROUP, 7)(m) && m.text === 'ok');
    g.inTopic(MEMBER, 8, 'and here?');
    await g.sent((m) => to(GROUP, 8)(m) && m.text === 'ok');
    expect(g.model.requests.map((r) => r.body.model)).toEqual(['claude-other', 'claude-test']);
  });

  it('/webchat invite gives the owner a personal link in a DM, never in a group; the link logs in as that user', async () => {
    g = await startTelegramGateway();
    g.dm(OWNER, '/webchat invite Bob');
    const answer = await g.sent((m) => to(OWNER)(m) && m.text.startsWith('Web chat link for bob'));
    const token = /#token=(wc_[A-Za-z0-9_-]+)/.exec(answer.text)![1];
    expect(answer.text).toContain(`${g.h.gw.http.url}/#token=${token}`);
    expect(g.h.gw.webchatUsers.verify(token)).toBe('bob');
    g.dm(OWNER, '/webchat list');
    expect((await g.sent((m) => to(OWNER)(m) && m.text.startsWith('Web chat users'))).text).toContain(`bob (by telegram:${OWNER}`);
    g.inTopic(OWNER, 7, '/webchat invite carol');
    const refused = await g.sent((m) => m.chatId === GROUP && m.text.includes('direct chat'));
    expect(refused.text).not.toMatch(/wc_/);
    expect(g.h.gw.webchatUsers.list().map((u) => u.userId)).toEqual(['bob']);
    g.dm(MEMBER, '/webchat invite mallory');
    await until(async () => (await g!.auditLines()).some((l) => l.command === 'webchat' && l.decision === 'refused'), 'the refusal');
    expect(g.h.gw.webchatUsers.list().map((u) => u.userId)).toEqual(['bob']);
  });

  it('every command with bad arguments answers its usage line; unknown commands get the help line', async () => {
    g = await startTelegramGateway();
    const bad: Record<string, string> = {
      help: '/help a b',
      whoami: '/whoami now',
      status: '/status please',
      new: '/new chat',
      stop: '/stop it',
      agents: '/agents all',
      bind: '/bind',
      unbind: '/unbind topic chat',
      context: '/context everything',
      queue: '/queue sideways',
      model: '/model a b',
      approve: '/approve ABC123',
      approvals: '/approvals all',
      allowlist: '/allowlist purge',
      pairing: '/pairing maybe',
      audit: '/audit 999',
      skill: '/skill ../etc',
      compact: `/compact ${'x'.repeat(501)}`,
      webchat: '/webchat dance',
    };
    expect(Object.keys(bad).sort()).toEqual(builtinCommands.map((c) => c.name).sort()); // every command is covered
    for (const cmd of builtinCommands) {
      const before = g.sentTo(OWNER).length;
      g.dm(OWNER, bad[cmd.name]);
      await until(() => g!.sentTo(OWNER).length > before, `an answer to ${bad[cmd.name]}`);
      expect(g.sentTo(OWNER)[before].text, bad[cmd.name]).toContain(`Usage: ${cmd.usage}`);
    }
    g.dm(OWNER, '/frobnicate');
    const unknown = await g.sent((m) => to(OWNER)(m) && m.text.startsWith('Unknown command'));
    expect(unknown.text).toContain('/frobnicate');
    expect(unknown.text).toContain('/help');
    // The gateway is still fine, and none of it reached the model.
    g.dm(OWNER, 'still there?');
    await g.sent((m) => to(OWNER)(m) && m.text === 'ok');
    expect(g.model.requests).toHaveLength(1);
    const usage = (await g.auditLines()).filter((l: Json) => l.kind === 'admin' && l.result === 'usage');
    expect(usage).toHaveLength(builtinCommands.length);
  });
});
