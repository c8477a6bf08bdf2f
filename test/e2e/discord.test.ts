// End to end through the WHOLE gateway on Discord: the real discord.js client logs in to the fake Discord (REST and
// WebSocket gateway on 127.0.0.1), messages go through access, routing, journal, lanes and the agent loop to the
// real Anthropic SDK against the fake model server, and the replies come back to the fake Discord's REST API.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeRequest } from '../fakes/fake-anthropic.js';
import {
  CODING,
  GENERAL,
  GUILD,
  MEMBER,
  MODEL_KEY,
  MODS_ROLE,
  OWNER,
  SECRET,
  STRANGER,
  THREAD,
  startDiscordGateway,
  type DiscordGateway,
} from '../fakes/discord-gateway.js';
import type { Json } from '../fakes/telegram-gateway.js';

let g: DiscordGateway | undefined;
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
  return (last.content as { type: string; text?: string }[])
    .filter((b) => b.type === 'text')
    .map((b) => b.text ?? '')
    .join('\n');
}

const bodyText = (req: FakeRequest) => JSON.stringify(req.body.messages);

async function start(config: Json = {}, home?: string): Promise<DiscordGateway> {
  g = await startDiscordGateway({ config, home });
  // The model answers every turn with the text of that turn, so replies can be matched to their messages.
  g.model.setDefault((req) => ({ text: `reply to: ${lastUserText(req)}` }));
  return g;
}

async function eventually<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function sessions(agentId = 'main'): Promise<Record<string, { sessionId: string }>> {
  try {
    return JSON.parse(await readFile(join(g!.h.home, 'agents', agentId, 'sessions', 'sessions.json'), 'utf8')) as Record<string, { sessionId: string }>;
  } catch {
    return {}; // not written yet (the store coalesces writes); callers poll
  }
}

const sessionsWith = (keys: string[], agentId = 'main') =>
  eventually(
    async () => {
      const s = await sessions(agentId);
      return keys.every((k) => s[k]) && s;
    },
    `sessions.json of ${agentId} to hold ${keys.join(', ')}`,
  );

describe('Discord through the whole gateway', () => {
  it('answers a mention in an allowed channel, as a reply, in the channel’s session', async () => {
    await start();
    const id = g!.say(GENERAL, MEMBER, 'what is on the list?');
    const r = await g!.sent((m) => m.channelId === GENERAL);
    expect(r.content).toContain('what is on the list?');
    expect(r.content).not.toContain('<@'); // the mention was taken out of what the model saw
    expect(r.replyTo).toBe(id);
    expect(g!.model.requests[0].key).toBe(MODEL_KEY);
    await sessionsWith([`agent:main:discord:channel:${GENERAL}`]);
    // Typing was shown in the channel while the agent worked.
    expect(g!.dc.typing).toContain(GENERAL);
  });

  it('no mention → no answer; an unlisted channel is ignored; the model never sees either', async () => {
    await start();
    g!.say(GENERAL, MEMBER, 'just chatting among humans', { mention: false });
    g!.say(SECRET, MEMBER, 'psst, bot?');
    g!.say(GENERAL, MEMBER, 'now you');
    const r = await g!.sent((m) => m.channelId === GENERAL);
    expect(r.content).toContain('now you');
    await g!.h.gw.gateway.lanes.idle();
    expect(g!.dc.sent).toHaveLength(1);
    expect(g!.model.requests).toHaveLength(1);
    expect(bodyText(g!.model.requests[0])).not.toContain('among humans');
    expect(bodyText(g!.model.requests[0])).not.toContain('psst');
  });

  it('a thread is its own session and its reply goes to the thread', async () => {
    await start();
    g!.say(GENERAL, MEMBER, 'remember the word MANGO');
    await g!.sent((m) => m.channelId === GENERAL);
    const id = g!.say(THREAD, MEMBER, 'which word?');
    const r = await g!.sent((m) => m.channelId === THREAD);
    expect(r.content).toContain('which word?');
    expect(r.replyTo).toBe(id);
    const threadReq = g!.model.requests.find((q) => bodyText(q).includes('which word?'))!;
    expect(bodyText(threadReq)).not.toContain('MANGO');
    const s = await sessionsWith([`agent:main:discord:channel:${GENERAL}`, `agent:main:discord:channel:${GENERAL}:thread:${THREAD}`]);
    expect(s[`agent:main:discord:channel:${GENERAL}`].sessionId).not.toBe(s[`agent:main:discord:channel:${GENERAL}:thread:${THREAD}`].sessionId);
  });

  it('answers a DM in the DM channel; a stranger is told how to get access', async () => {
    await start();
    g!.dm(MEMBER, 'hello in private');
    const r = await g!.sent((m) => m.channelId === g!.dmChannel(MEMBER));
    expect(r.content).toBe('reply to: hello in private');
    expect(r.replyTo).toBeUndefined();
    await sessionsWith([`agent:main:discord:direct:${MEMBER.id}`]);

    g!.dm(STRANGER, 'let me in');
    const refusal = await g!.sent((m) => m.channelId === g!.dmChannel(STRANGER));
    expect(refusal.content).toContain(STRANGER.id);
    expect(g!.model.requests).toHaveLength(1);
  });

  it('routes a channel binding, a server + roles binding and a server binding each to their agent', async () => {
    const agent = (id: string) => ({ id, model: { primary: `anthropic/claude-${id}` } });
    await start({
      agents: { list: [{ id: 'main', default: true }, agent('support'), agent('coding'), agent('mods')] },
      bindings: [
        { agentId: 'support', match: { channel: 'discord', guildId: GUILD } },
        { agentId: 'coding', match: { channel: 'discord', peer: { kind: 'channel', id: CODING } } },
        { agentId: 'mods', match: { channel: 'discord', guildId: GUILD, roles: [MODS_ROLE] } },
      ],
    });
    const modelFor = async (channelId: string, text: string, roles: string[] = []) => {
      g!.say(channelId, MEMBER, text, { roles });
      await g!.sent((m) => m.content.includes(text));
      return g!.model.requests.find((q) => bodyText(q).includes(text))!.body.model;
    };
    expect(await modelFor(GENERAL, 'server question')).toBe('claude-support');
    expect(await modelFor(CODING, 'code question')).toBe('claude-coding');
    expect(await modelFor(GENERAL, 'mod question', [MODS_ROLE])).toBe('claude-mods');
    // The channel binding is more specific than the role one.
    expect(await modelFor(CODING, 'mod code question', [MODS_ROLE])).toBe('claude-coding');
    // A thread falls back to its parent channel's routing (here: the server's).
    expect(await modelFor(THREAD, 'thread question')).toBe('claude-support');
    await sessionsWith([`agent:support:discord:channel:${GENERAL}`, `agent:support:discord:channel:${GENERAL}:thread:${THREAD}`], 'support');
    await sessionsWith([`agent:coding:discord:channel:${CODING}`], 'coding');
    // Sessions are per channel: the mods' turn in #general is the mods agent's session of #general.
    await sessionsWith([`agent:mods:discord:channel:${GENERAL}`], 'mods');
  });

  it('/bind by the owner binds the channel (also as @bot /bind); a stranger is refused and nothing changes', async () => {
    await start({
      agents: {
        list: [
          { id: 'main', default: true },
          { id: 'coding', model: { primary: 'anthropic/claude-coding' } },
        ],
      },
      channels: { discord: { guilds: { [GUILD]: { channels: { [GENERAL]: {}, [CODING]: {} } } } } },
    });
    g!.say(CODING, STRANGER, '/bind coding', { mention: false });
    g!.say(CODING, MEMBER, 'before binding');
    await g!.sent((m) => m.content.includes('before binding'));
    expect(g!.model.requests.at(-1)!.body.model).toBe('claude-test');
    expect(g!.dc.sent.filter((m) => m.channelId === CODING)).toHaveLength(1); // the stranger got no answer

    g!.say(CODING, OWNER, '/bind coding', { mention: false });
    const bound = await g!.sent((m) => m.channelId === CODING && /coding/.test(m.content) && !m.content.includes('before binding'));
    expect(bound.content).toMatch(/bound|binds|routes/i);
    g!.say(CODING, MEMBER, 'after binding');
    await g!.sent((m) => m.content.includes('after binding'));
    expect(g!.model.requests.at(-1)!.body.model).toBe('claude-coding');

    // `@bot /bind …` works the same: the leading mention is not part of the command.
    g!.say(GENERAL, OWNER, '/bind coding guild');
    await g!.sent((m) => m.channelId === GENERAL && /coding/.test(m.content));
    g!.say(THREAD, MEMBER, 'in the thread now');
    await g!.sent((m) => m.content.includes('in the thread now'));
    expect(g!.model.requests.at(-1)!.body.model).toBe('claude-coding');

    const audit = await readFile(join(g!.h.home, 'audit', `${new Date().toISOString().slice(0, 10)}.jsonl`), 'utf8');
    const refused = audit
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json)
      .filter((a) => a.kind === 'admin' && a.decision === 'refused');
    expect(refused).toEqual([expect.objectContaining({ command: 'bind', sender: `discord:${STRANGER.id}` })]);
  });

  it('sends a 5,000-character answer with a code block in chunks of at most 2,000, fences intact, in order', async () => {
    await start();
    const code = Array.from({ length: 40 }, (_, i) => `const line${i} = compute(${i}); // a line of generated code, number ${i}`).join('\n');
    const prose = (n: number) => Array.from({ length: n }, (_, i) => `Sentence ${i} of the explanation goes on for a little while.`).join(' ');
    const text = [prose(20), '```ts\n' + code + '\n```', prose(20)].join('\n\n');
    expect(text.length).toBeGreaterThanOrEqual(5000);
    g!.model.script(MODEL_KEY, { text, chunkSize: 400 });
    const id = g!.say(GENERAL, MEMBER, 'write something long');
    await g!.sent((m) => m.channelId === GENERAL);
    await g!.h.gw.gateway.lanes.idle();
    const chunks = g!.sentTo(GENERAL);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) {
      expect(c.content.length).toBeLessThanOrEqual(2000);
      expect((c.content.match(/^```/gm) ?? []).length % 2).toBe(0); // every chunk closes the fences it opens
    }
    expect(chunks[0].replyTo).toBe(id);
    expect(chunks.slice(1).every((c) => c.replyTo === undefined)).toBe(true);
    const unfenced = (s: string) =>
      s
        .replace(/^```.*$/gm, '')
        .replace(/\s+/g, ' ')
        .trim();
    expect(unfenced(chunks.map((c) => c.content).join('\n'))).toBe(unfenced(text));
    const codeLines = chunks.flatMap((c) => c.content.split('\n')).filter((l) => l.startsWith('const line'));
    expect(codeLines.join('\n')).toBe(code);
  });

  it('asks the owner for an approval in a Discord DM; a reply "yes" and then a plain "yes" approve; results land in the thread', async () => {
    await start({ agents: { defaults: { sandbox: { mode: 'off' } } }, tools: { exec: { ask: 'always' } } });
    const ownerDm = g!.dmChannel(OWNER);
    const isPrompt = (m: { channelId: string; content: string }) => m.channelId === ownerDm && m.content.includes('Approval needed');

    g!.model.script(MODEL_KEY, { toolCalls: [{ id: 'call_1', name: 'exec', args: { command: 'echo first-run' } }] }, { text: 'first done' });
    const asked = g!.say(THREAD, MEMBER, 'please run the first one');
    const prompt = await g!.sent(isPrompt);
    // The DM was opened the Discord way, for the owner.
    expect(g!.dc.calls).toContainEqual(expect.objectContaining({ method: 'POST', path: '/users/@me/channels', body: { recipient_id: OWNER.id } }));
    expect(prompt.content).toContain('\nCommand:\necho first-run\n');
    expect(prompt.content).toContain(`From: discord channel "general › backup failures" (${GENERAL}), thread ${THREAD}`);
    // The thread is told what is waiting, in the thread.
    await g!.sent((m) => m.channelId === THREAD && m.content.includes('Waiting for the owner'));

    g!.dm(OWNER, 'yes', prompt.id);
    const first = await g!.sent((m) => m.channelId === THREAD && m.content === 'first done');
    expect(first.replyTo).toBe(asked);
    expect(JSON.stringify(g!.model.requests[1].body.messages)).toContain('first-run');

    g!.model.script(MODEL_KEY, { toolCalls: [{ id: 'call_2', name: 'exec', args: { command: 'echo second-run' } }] }, { text: 'second done' });
    g!.say(THREAD, MEMBER, 'and the second one');
    await g!.sent((m) => isPrompt(m) && m.content.includes('second'));
    // Only one request pending: a plain "yes" in the DM, replying to nothing, answers it.
    g!.dm(OWNER, 'yes');
    await g!.sent((m) => m.channelId === THREAD && m.content === 'second done');
    await g!.h.gw.gateway.lanes.idle();
    // The owner's "yes" messages were answers, never turns of their own; nothing leaked into #general.
    expect(g!.model.requests.map((r) => JSON.stringify(r.body.messages))).not.toContainEqual(expect.stringContaining('"yes"'));
    expect(g!.sentTo(GENERAL)).toEqual([]);
    // One DM channel, opened once and remembered.
    expect(g!.dc.calls.filter((c) => c.path === '/users/@me/channels')).toHaveLength(1);
  });

  it('waits out a 429 on send and posts exactly one reply', async () => {
    await start();
    g!.dc.failSend({ status: 429, retryAfter: 0.2 });
    g!.say(GENERAL, MEMBER, 'are you rate limited?');
    const r = await g!.sent((m) => m.channelId === GENERAL);
    expect(r.content).toContain('are you rate limited?');
    await g!.h.gw.gateway.lanes.idle();
    expect(g!.dc.calls.filter((c) => c.method === 'POST' && c.path === `/channels/${GENERAL}/messages`)).toHaveLength(2);
    expect(g!.sentTo(GENERAL)).toHaveLength(1);
    expect(g!.model.requests).toHaveLength(1);
  });

  it('after a restart answers nothing twice, even when Discord delivers a message again', async () => {
    await start();
    const id = g!.say(GENERAL, MEMBER, 'answer me once');
    await g!.sent((m) => m.channelId === GENERAL);
    await g!.h.gw.gateway.lanes.idle();
    const { dc, model } = g!;
    const home = g!.h.home;
    await g!.h.stop({ keepHome: true });

    g = await startDiscordGateway({ home, dc, model });
    const second = g;
    second.stop = async (o) => {
      await second.h.stop(o);
      await dc.close();
      await model.close();
    };
    await dc.waitForSession();
    // The same message again (a replay after a reconnect), then a new one.
    dc.pushMessage({ id, channelId: GENERAL, author: MEMBER, content: `<@${dc.bot.id}> answer me once`, mentions: [dc.bot] });
    g.say(GENERAL, MEMBER, 'a new question');
    await g.sent((m) => m.content.includes('a new question'));
    await g.h.gw.gateway.lanes.idle();
    expect(g.sentTo(GENERAL).map((m) => m.content.includes('answer me once') || m.content.includes('a new question'))).toEqual([true, true]);
    expect(model.requests).toHaveLength(2);
    expect(dc.identifies).toBe(2);
  });
});
