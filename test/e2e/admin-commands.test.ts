// The chat command layer over the real gateway: parsing, authorisation, usage lines, and every built-in command
// acting on the gateway's real control code (routing, sessions, lanes, approvals, pairing, audit).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinCommands, createCommandInterceptor, formatContext, parseCommand, type AdminDeps, type Command, type ContextReport } from '../../admin/index.js';
import { parseDuration, parseQueueArgs } from '../../admin/commands/queue.js';
import { UsageError } from '../../admin/types.js';
import { describeChat } from '../../admin/format.js';
import { requestPairing } from '../../runtime/pairing.js';
import type { Inbound } from '../../runtime/types/index.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { startFakeAnthropic } from '../fakes/fake-anthropic.js';
import type { FakeModelServer } from '../fakes/fake-model-server.js';
import { FakeTelegram } from '../fakes/fake-telegram.js';
import { startHarness } from '../fakes/gateway-harness.js';
import { merge } from '../fakes/telegram-gateway.js';

const OWNER = '1';
/** Allowed to DM the bot (channels.telegram.allowFrom) but no owner. */
const MEMBER = '50';
const BOT = 'switchyard_bot';
const TOKEN = '123456:ADMIN-TEST';
const KEY = 'key-a';
/** A group that lets everyone talk to the bot when they mention it. */
const GROUP = '-500';

type Json = Record<string, unknown>;

/** What every harness starts from; a test's `config` merges into it key by key (lists replace). */
function baseConfig(tg: FakeTelegram, model: FakeModelServer): Json {
  return {
    models: {
      providers: {
        anthropic: { api: 'anthropic-messages', baseUrl: model.url },
        ollama: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:9/v1' },
      },
    },
    agents: {
      defaults: { model: { primary: 'anthropic/claude-default' } },
      list: [
        { id: 'main', default: true },
        { id: 'work', name: 'Work' },
      ],
    },
    commands: { ownerAllowFrom: [`telegram:${OWNER}`] },
    channels: {
      webchat: { enabled: false },
      telegram: {
        botToken: TOKEN,
        apiRoot: tg.apiRoot,
        pollTimeoutSeconds: 1,
        dmPolicy: 'allowlist',
        allowFrom: [MEMBER],
        groups: { [GROUP]: { requireMention: true } },
      },
    },
  };
}

/** A report with fixed sizes, for the formatting of /context (the real report depends on the machine). */
const fakeReport: ContextReport = {
  model: 'anthropic/claude-test',
  contextWindow: 200_000,
  systemPrompt: [
    { name: 'base instructions', chars: 2_000 },
    { name: 'workspace files', chars: 21_234 },
    { name: 'skills list', chars: 300 },
  ],
  workspaceFiles: [
    { name: 'AGENTS.md', rawChars: 1_234, injectedChars: 1_234, truncated: false, missing: false },
    { name: 'TOOLS.md', rawChars: 25_000, injectedChars: 20_000, truncated: true, missing: false },
    { name: 'SOUL.md', rawChars: 0, injectedChars: 0, truncated: false, missing: true },
  ],
  tools: [
    { name: 'read', schemaChars: 410 },
    { name: 'exec', schemaChars: 980 },
  ],
  history: { messages: 12, chars: 8_000, largest: [{ label: 'tool result exec (turn 3)', chars: 5_500 }] },
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/**
 * A whole gateway (the real composition root, its real control code, stores on a temp home) with Telegram and the
 * model API faked on 127.0.0.1. Commands go through the real dispatcher over the gateway's AdminDeps; the replies
 * come back to the test directly.
 */
async function harness(opts: { config?: Json } = {}) {
  const tg = await new FakeTelegram({ [TOKEN]: { username: BOT } }).start();
  cleanups.push(() => tg.close());
  const model = await startFakeAnthropic();
  cleanups.push(() => model.close());
  const clock = new FakeClock();
  const gw = await startHarness({ config: merge(baseConfig(tg, model), opts.config ?? {}), env: { ANTHROPIC_API_KEY: KEY }, clock });
  cleanups.push(() => gw.stop());
  await until(() => gw.gw.control.botUsername(msgOf(clock, 0, 'x')) === BOT, 'the bot identity from Telegram');
  // A copy of the gateway's control, so a test can break one of its parts without touching the running gateway.
  const deps: AdminDeps = { ...gw.gw.control };

  let commands: readonly Command[] = builtinCommands;
  const replies: string[] = [];
  let seq = 0;
  const send = async (m: Inbound) => {
    const before = replies.length;
    const consumed = await createCommandInterceptor(deps, commands)(m, async (t) => void replies.push(t));
    return { consumed, replies: replies.slice(before), reply: replies.slice(before).join('\n') };
  };
  const msg = (text: string, over: Parameters<typeof msgOf>[3] = {}): Inbound => msgOf(clock, ++seq, text, over);
  const topic = (threadId: string) => ({ kind: 'group' as const, id: '-1001', threadId, isForum: true, threadWord: 'topic' as const, title: 'Forum' });
  return {
    clock,
    deps,
    tg,
    model,
    home: gw.home,
    state: deps.state,
    logs: gw.log.lines,
    /** The audit lines written so far, oldest first. */
    audit: () => deps.audit.tail(1000),
    send,
    msg,
    topic,
    setCommands: (c: readonly Command[]) => void (commands = c),
  };
}

function msgOf(clock: FakeClock, n: number, text: string, over: { from?: string; chat?: Partial<Inbound['chat']>; mentionsBot?: boolean } = {}): Inbound {
  return {
    channel: 'telegram',
    accountId: 'default',
    chat: { kind: 'direct', id: over.from ?? OWNER, ...over.chat } as Inbound['chat'],
    sender: { id: over.from ?? OWNER, name: 'Someone' },
    messageId: `c${n}`,
    text,
    mentionsBot: over.mentionsBot ?? false,
    receivedAt: clock.now(),
  };
}

async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('parseCommand', () => {
  it.each([
    ['/help', { name: 'help', args: [] }],
    ['  /Status  ', { name: 'status', args: [] }],
    ['/bind work topic', { name: 'bind', args: ['work', 'topic'] }],
    ['/bind@switchyard_bot work', { name: 'bind', args: ['work'], mention: 'switchyard_bot' }],
    ['/BIND@Switchyard_Bot work', { name: 'bind', args: ['work'], mention: 'Switchyard_Bot' }],
    ['/allowlist add "git status*"', { name: 'allowlist', args: ['add', 'git status*'] }],
    ["/allowlist add 'ls -la'", { name: 'allowlist', args: ['add', 'ls -la'] }],
    ['/allowlist add “git log*”', { name: 'allowlist', args: ['add', 'git log*'] }],
    ['/x "say \\"hi\\"" b', { name: 'x', args: ['say "hi"', 'b'] }],
    ['/x a""b ""', { name: 'x', args: ['ab', ''] }],
    ['/x "unclosed quote', { name: 'x', args: ['unclosed quote'] }],
    ['/queue collect\n debounce:2s', { name: 'queue', args: ['collect', 'debounce:2s'] }],
  ])('%j', (text, expected) => {
    expect(parseCommand(text, BOT)).toMatchObject(expected);
  });

  it.each(['hello /help', '/etc/hosts is a file', 'https://example.com', '/', '/ help', '', '/help@other_bot', '/bind@otherbot work'])('not ours: %j', (text) => {
    expect(parseCommand(text, BOT)).toBeNull();
  });

  it('keeps the mention when the bot username is unknown', () => {
    expect(parseCommand('/help@other_bot')).toMatchObject({ name: 'help', mention: 'other_bot' });
  });

  it('returns the raw rest', () => {
    expect(parseCommand('/allowlist add  git  status*', BOT)?.rest).toBe('add  git  status*');
  });
});

describe('authorisation', () => {
  it('refuses a non-owner /bind in a DM, audited', async () => {
    const h = await harness();
    const res = await h.send(h.msg('/bind work', { from: '99' }));
    expect(res.consumed).toBe(true);
    expect(res.reply).toBe("/bind is for the bot's owner only.");
    expect(h.state.data.bindings).toEqual([]);
    expect(await h.audit()).toEqual([expect.objectContaining({ kind: 'admin', command: 'bind', decision: 'refused', sender: 'telegram:99', chatId: '99' })]);
  });

  it('stays silent on a non-owner /bind in a group, audited', async () => {
    const h = await harness();
    const res = await h.send(h.msg('/bind work', { from: '99', chat: { kind: 'group', id: GROUP } }));
    expect(res).toMatchObject({ consumed: true, replies: [] });
    expect(await h.audit()).toEqual([expect.objectContaining({ kind: 'admin', command: 'bind', decision: 'refused', chatId: GROUP })]);
  });

  it('lets allowed non-owners use the everyday commands, and leaves the rest to the access check', async () => {
    const h = await harness(); // MEMBER is in channels.telegram.allowFrom; 77 is a stranger
    const ok = await h.send(h.msg('/status', { from: MEMBER }));
    expect(ok.consumed).toBe(true);
    expect(ok.reply).toContain('Agent: main');
    // A stranger's /start or /help falls through, so the access check can answer (e.g. with a pairing code).
    expect(await h.send(h.msg('/help', { from: '77' }))).toMatchObject({ consumed: false, replies: [] });
    expect(await h.send(h.msg('/start', { from: '77' }))).toMatchObject({ consumed: false, replies: [] });
    // /help for a non-owner lists only their commands.
    const help = await h.send(h.msg('/help', { from: MEMBER }));
    expect(help.reply).toContain('/whoami');
    expect(help.reply).not.toContain('/bind');
  });

  it('answers unknown commands with the help line, but not group chatter meant for other bots', async () => {
    const h = await harness();
    const owner = await h.send(h.msg('/frobnicate'));
    expect(owner.reply).toMatch(/^Unknown command \/frobnicate\. Commands: \/help .*\/bind/);
    const group = { kind: 'group' as const, id: GROUP };
    expect(await h.send(h.msg('/frobnicate', { from: MEMBER, chat: group }))).toMatchObject({ consumed: false, replies: [] });
    const addressed = await h.send(h.msg('/frobnicate@switchyard_bot', { from: MEMBER, chat: group, mentionsBot: true }));
    expect(addressed.reply).toMatch(/^Unknown command/);
    expect(addressed.reply).not.toContain('/bind');
    // Addressed to another bot: not ours at all, even from the owner.
    expect(await h.send(h.msg('/status@other_bot', { chat: group }))).toMatchObject({ consumed: false, replies: [] });
  });

  it('audits every executed owner command with its result', async () => {
    const h = await harness();
    await h.send(h.msg('/model anthropic/claude-x'));
    await h.send(h.msg('/audit 0'));
    expect(await h.audit()).toEqual([
      expect.objectContaining({ kind: 'admin', command: 'model', args: ['anthropic/claude-x'], sender: 'telegram:1', result: 'ok' }),
      expect.objectContaining({ kind: 'admin', command: 'audit', result: 'usage' }),
    ]);
  });

  it('ignores messages that are not commands', async () => {
    const h = await harness();
    expect(await h.send(h.msg('hello there'))).toMatchObject({ consumed: false, replies: [] });
  });
});

describe('bad arguments', () => {
  const bad: Record<string, string> = {
    help: '/help a b',
    whoami: '/whoami me',
    status: '/status now',
    new: '/new please',
    stop: '/stop now',
    agents: '/agents all',
    bind: '/bind',
    unbind: '/unbind here there',
    context: '/context everything',
    queue: '/queue fast',
    model: '/model not-a-model',
    approve: '/approve 42',
    approvals: '/approvals all',
    allowlist: '/allowlist clear',
    pairing: '/pairing approve',
    audit: '/audit 500',
    skill: '/skill ../etc',
    compact: `/compact ${'x'.repeat(501)}`,
    webchat: '/webchat dance',
  };

  it('covers every built-in command', () => {
    expect(Object.keys(bad).sort()).toEqual(builtinCommands.map((c) => c.name).sort());
  });

  it.each(builtinCommands.map((c) => [c.name, c] as const))('/%s answers its usage line', async (name, cmd) => {
    const h = await harness();
    const res = await h.send(h.msg(bad[name]));
    expect(res.consumed).toBe(true);
    expect(res.replies).toHaveLength(1);
    expect(res.reply).toContain(`Usage: ${cmd.usage}`);
  });
});

describe('/bind and /unbind', () => {
  it('binds just this forum topic by default, from the next message', async () => {
    const h = await harness();
    const res = await h.send(h.msg('/bind work', { chat: h.topic('7') }));
    expect(res.reply).toMatch(/^Bound telegram group -1001:topic:7 \[topic\] to agent work: chat binding b-[0-9a-f]{6}\./);
    expect(res.reply).toContain('This chat → agent work via peer');
    expect(h.state.data.bindings).toEqual([
      expect.objectContaining({ agentId: 'work', createdBy: 'telegram:1', match: { channel: 'telegram', peer: { kind: 'group', id: '-1001:topic:7' } } }),
    ]);
    // On disk at once: a restart right after the answer keeps it.
    expect(JSON.parse(await readFile(join(h.home, 'state.json'), 'utf8')).bindings).toEqual(h.state.data.bindings);
    expect(h.deps.locate(h.msg('hi', { from: '50', chat: h.topic('7') }))).toMatchObject({ agentId: 'work', matchedBy: 'peer' });
    expect(h.deps.locate(h.msg('hi', { from: '50', chat: h.topic('8') }))).toMatchObject({ agentId: 'main', matchedBy: 'default' });

    const agents = await h.send(h.msg('/agents', { chat: h.topic('7') }));
    expect(agents.reply).toContain('• work "Work"');
    expect(agents.reply).toMatch(/This chat → agent work via peer: chat binding b-\w+ \(by telegram:1\)/);

    const un = await h.send(h.msg('/unbind', { chat: h.topic('7') }));
    expect(un.reply).toMatch(/^Removed chat binding b-\w+ \(telegram group -1001:topic:7 → work\)/);
    expect(h.state.data.bindings).toEqual([]);
    expect(h.deps.locate(h.msg('hi', { chat: h.topic('7') }))).toMatchObject({ agentId: 'main' });
    expect((await h.send(h.msg('/unbind', { chat: h.topic('7') }))).reply).toMatch(/^No chat-made binding for this chat\. This chat → agent main \(the default agent/);
  });

  it('binds the whole chat, account or platform on request, replacing an equal binding', async () => {
    const h = await harness();
    await h.send(h.msg('/bind work chat', { chat: h.topic('7') }));
    expect(h.state.data.bindings[0].match).toEqual({ channel: 'telegram', peer: { kind: 'group', id: '-1001' } });
    expect(h.deps.locate(h.msg('hi', { chat: h.topic('8') }))).toMatchObject({ agentId: 'work', matchedBy: 'parent-peer' });
    const again = await h.send(h.msg('/bind main chat', { chat: h.topic('9') }));
    expect(again.reply).toContain('(replaces b-');
    expect(h.state.data.bindings.map((b) => b.agentId)).toEqual(['main']);

    await h.send(h.msg('/bind work account'));
    await h.send(h.msg('/bind work channel'));
    expect(h.state.data.bindings.slice(1).map((b) => b.match)).toEqual([{ channel: 'telegram', accountId: 'default' }, { channel: 'telegram' }]);
    // In a DM "chat" is this person's DMs.
    await h.send(h.msg('/bind work'));
    expect(h.state.data.bindings[3].match).toEqual({ channel: 'telegram', peer: { kind: 'direct', id: OWNER } });

    // /unbind with a scope removes only that one.
    await h.send(h.msg('/unbind account'));
    expect(h.state.data.bindings.map((b) => b.match.accountId ?? '-')).toEqual(['-', '-', '-']);
  });

  it('refuses unknown agents and scopes that do not exist here', async () => {
    const h = await harness();
    const unknown = await h.send(h.msg('/bind nobody'));
    expect(unknown.reply).toMatch(/^Unknown agent "nobody": the agents are main, work\.\nUsage: \/bind/);
    const noTopic = await h.send(h.msg('/bind work topic', { chat: { kind: 'group', id: '-5' } }));
    expect(noTopic.reply).toContain('No topic scope here: this chat has no topic or thread. Scopes here: chat, account, channel.');
    expect((await h.send(h.msg('/bind work galaxy'))).reply).toContain('Unknown scope "galaxy"');
    expect(h.state.data.bindings).toEqual([]);
  });

  it.each([
    ['discord', { kind: 'channel', id: 't9', parentId: 'c5', threadId: 't9', guildId: 'g1' }, 'c5:thread:t9', { guildId: 'g1' }],
    ['slack', { kind: 'channel', id: 'C1', threadId: '1700.1', teamId: 'T1' }, 'C1:thread:1700.1', { teamId: 'T1' }],
  ] as const)('binds a %s thread and its server/workspace the way the router matches them', async (channel, chat, peerId, guildMatch) => {
    const h = await harness({ config: { commands: { ownerAllowFrom: [`${channel}:1`] } } });
    const inThread = (text: string, threadId: string = chat.threadId): Inbound => ({
      ...h.msg(text),
      channel,
      chat: { ...chat, threadId, ...(channel === 'discord' ? { id: threadId } : {}) },
    });
    await h.send(inThread('/bind work'));
    expect(h.state.data.bindings[0].match).toEqual({ channel, peer: { kind: 'channel', id: peerId } });
    expect(h.deps.locate(inThread('hi'))).toMatchObject({ agentId: 'work', matchedBy: 'peer' });
    expect(h.deps.locate(inThread('hi', 'other'))).toMatchObject({ agentId: 'main' });
    await h.send(inThread('/unbind'));
    await h.send(inThread('/bind work guild'));
    expect(h.state.data.bindings.map((b) => b.match)).toEqual([{ channel, ...guildMatch }]);
    expect(h.deps.locate(inThread('hi', 'other'))).toMatchObject({ agentId: 'work', matchedBy: channel === 'discord' ? 'guild' : 'team' });
  });

  it("a thread is bound and described with its adapter's word for it, whatever the platform", async () => {
    const h = await harness({ config: { commands: { ownerAllowFrom: ['slack:1'] } } });
    const chat = { kind: 'channel' as const, id: 'C1', threadId: '1700.1', teamId: 'T1', threadWord: 'topic' as const };
    const inTopic: Inbound = { ...h.msg('/bind work'), channel: 'slack', chat };
    await h.send(inTopic);
    expect(h.state.data.bindings[0].match).toEqual({ channel: 'slack', peer: { kind: 'channel', id: 'C1:topic:1700.1' } });
    expect(describeChat('slack', chat)).toBe('slack channel C1 topic 1700.1');
    expect(describeChat('telegram', { kind: 'group', id: '-1', threadId: '5', threadWord: 'thread' })).toBe('telegram group -1 thread 5');
  });

  it('warns when a more specific config rule still wins', async () => {
    const h = await harness({ config: { bindings: [{ agentId: 'main', match: { channel: 'telegram', peer: { kind: 'group', id: '-1001:topic:7' } } }] } });
    const res = await h.send(h.msg('/bind work chat', { chat: h.topic('7') }));
    expect(res.reply).toContain('This chat → agent main via peer: bindings[0]. A more specific rule still routes this chat');
  });
});

describe('/queue', () => {
  it.each([
    ['2s', 2000],
    ['1.5s', 1500],
    ['500ms', 500],
    ['750', 750],
    ['0', 0],
    ['2S', 2000],
  ])('parseDuration(%j) = %d', (s, ms) => expect(parseDuration(s)).toBe(ms));

  it.each(['', 'soon', '-1s', '2m', '11m', '601s'])('parseDuration(%j) = null', (s) => expect(parseDuration(s)).toBeNull());

  it('parses mode and options', () => {
    expect(parseQueueArgs(['followup', 'debounce:2s', 'cap:5', 'drop:old'])).toEqual({ mode: 'followup', debounceMs: 2000, cap: 5, drop: 'old' });
    expect(parseQueueArgs(['DEBOUNCE:250ms'])).toEqual({ debounceMs: 250 });
    for (const bad of [['fast'], ['cap:0'], ['cap:2.5'], ['drop:all'], ['collect', 'steer'], ['speed:1']]) {
      expect(() => parseQueueArgs(bad)).toThrow(UsageError);
    }
  });

  it('sets, shows and resets the session override', async () => {
    const h = await harness();
    expect((await h.send(h.msg('/queue'))).reply).toBe('Queue: collect · debounce 1,000 ms · cap 20 · drop summarize (from config)');
    const set = await h.send(h.msg('/queue followup debounce:2s'));
    expect(set.reply).toBe('Updated. Queue: followup · debounce 2,000 ms · cap 20 · drop summarize (session override: mode, debounceMs)');
    await h.send(h.msg('/queue cap:3'));
    const key = h.deps.locate(h.msg('x')).sessionKey;
    expect(h.deps.session('main', key)?.queueOverride).toEqual({ mode: 'followup', debounceMs: 2000, cap: 3 });
    const reset = await h.send(h.msg('/queue reset'));
    expect(reset.reply).toContain('reset. Queue: collect');
    expect(h.deps.session('main', key)?.queueOverride).toBeUndefined();
  });
});

describe('/model', () => {
  it('shows, sets and resets the session model', async () => {
    const h = await harness();
    expect((await h.send(h.msg('/model'))).reply).toBe('Model: anthropic/claude-default (agent main default).');
    expect((await h.send(h.msg('/model ollama/qwen2.5:7b'))).reply).toContain('Model for this session: ollama/qwen2.5:7b');
    const key = h.deps.locate(h.msg('x')).sessionKey;
    expect(h.deps.session('main', key)?.modelOverride).toBe('ollama/qwen2.5:7b');
    expect((await h.send(h.msg('/model'))).reply).toContain('Model: ollama/qwen2.5:7b (set for this session');
    expect((await h.send(h.msg('/status'))).reply).toContain('Model: ollama/qwen2.5:7b (set for this session; default anthropic/claude-default)');
    const unknown = await h.send(h.msg('/model mystery/model'));
    expect(unknown.reply).toContain('Unknown provider "mystery": configured providers are anthropic, openai, ollama.');
    await h.send(h.msg('/model reset'));
    expect(h.deps.session('main', key)?.modelOverride).toBeUndefined();
  });
});

describe('/context', () => {
  it('formats sizes: files, tools, history and the share of the window', () => {
    const reply = formatContext(fakeReport, false, 'Context:');
    expect(reply).toContain('Model: anthropic/claude-test (window 200,000 tokens)');
    expect(reply).toContain('System prompt: 23,534 chars (~5,884 tokens)');
    expect(reply).toContain('  AGENTS.md: 1,234 chars');
    expect(reply).toContain('  TOOLS.md: 25,000 raw → 20,000 injected (truncated)');
    expect(reply).toContain('  SOUL.md: missing');
    expect(reply).toContain('Tools (2): 1,390 chars (~348 tokens) of schema');
    expect(reply).toContain('read 410 · exec 980');
    expect(reply).toContain('History: 12 messages, 8,000 chars (~2,000 tokens)');
    expect(reply).toContain('Total: ~8,231 tokens of 200,000 (4%)');
    expect(reply).toContain('Used: 8,231 / 200,000 tokens (4%, estimate: chars ÷ 4)');
    expect(reply).not.toContain('Largest items');
    const largest = formatContext(fakeReport, true, 'Context:').split('Largest items:\n')[1].split('\n');
    expect(largest.slice(0, 3)).toEqual([
      '  system: workspace files: 21,234 chars (~5,309 tokens)',
      '  history: tool result exec (turn 3): 5,500 chars (~1,375 tokens)',
      '  system: base instructions: 2,000 chars (~500 tokens)',
    ]);
  });

  it("list reports this session's real window: the workspace files and tools with sizes, never their text", async () => {
    const h = await harness();
    const secret = 'PRIVATE NOTE: the owner keeps the spare key under the mat.';
    await mkdir(join(h.home, 'workspace'), { recursive: true });
    await writeFile(join(h.home, 'workspace', 'AGENTS.md'), secret);
    const { reply } = await h.send(h.msg('/context list'));
    expect(reply).toContain('Context of agent:main:telegram:direct:1 (agent main):');
    expect(reply).toContain('Model: anthropic/claude-default');
    expect(reply).toContain(`  AGENTS.md: ${secret.length} chars`);
    expect(reply).toMatch(/Tools \(9\): [\d,]+ chars/);
    expect(reply).toContain('History: 0 messages');
    expect(reply).toMatch(/^Used: [\d,]+ \/ 200,000 tokens \(\d+%, estimate: chars ÷ 4\)$/m);
    expect(reply).not.toContain('spare key');
    expect((await h.send(h.msg('/context'))).reply).toBe(reply);
    expect((await h.send(h.msg('/context detail'))).reply).toContain('Largest items:');
  });
});

/** Holds every model answer until release(): a run stays active, so what queues behind it can be seen. */
function heldModel(model: FakeModelServer) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  model.setDefault(async () => {
    await gate;
    return { text: 'done' };
  });
  return { release: () => release() };
}

/** Three DMs from the owner through Telegram: the first runs (held), two wait in the lane. */
async function busyLane(h: Awaited<ReturnType<typeof harness>>) {
  const held = heldModel(h.model);
  cleanups.push(async () => held.release());
  const key = h.deps.locate(h.msg('x')).sessionKey;
  for (const text of ['one', 'two', 'three']) h.tg.pushMessage({ chatId: Number(OWNER), chatType: 'private', fromId: Number(OWNER), text });
  await until(() => {
    const lane = h.deps.laneStatus(key);
    return lane.active && lane.backlog === 2;
  }, 'a run with two messages behind it');
  return { key, held };
}

describe('everyday commands', () => {
  it('/whoami names the channel, ids, chat, session and agent', async () => {
    const h = await harness();
    const { reply } = await h.send(h.msg('/whoami', { chat: h.topic('7') }));
    expect(reply).toContain('You: telegram id 1 (Someone) — owner');
    expect(reply).toContain('Chat: telegram group "Forum" -1001 topic 7');
    expect(reply).toContain('Agent: main');
    expect(reply).toContain('Session key: agent:main:telegram:group:-1001:topic:7');
  });

  it('/status reports agent, model, queue, backlog, context and tokens', async () => {
    const h = await harness();
    const { key } = await busyLane(h);
    h.deps.updateSession('main', key, (e) => Object.assign(e, { inputTokens: 1234, outputTokens: 56 }));
    const { reply } = await h.send(h.msg('/status'));
    expect(reply.split('\n')).toEqual([
      'Agent: main',
      expect.stringMatching(/^Session: agent:main:telegram:direct:1 \(transcript /),
      'Model: anthropic/claude-default',
      'Queue: collect · a run is active · 2 messages waiting',
      'Tokens used: 1,234 in / 56 out',
      expect.stringMatching(/^Context: [\d,]+ \/ 200,000 tokens \(\d+%, estimate: chars ÷ 4\)$/),
      'Auth profiles: anthropic:env ok',
    ]);
  });

  it('/new keeps the old transcript; /stop aborts and drops', async () => {
    const h = await harness();
    const { key } = await busyLane(h);
    const old = h.deps.session('main', key)?.sessionId;
    const res = await h.send(h.msg('/reset'));
    expect(res.reply).toMatch(new RegExp(`^Started a new conversation \\(.+\\)\\. The previous transcript \\(${old}\\) is kept\\.$`));
    expect(h.deps.session('main', key)?.previousSessionIds).toEqual([old]);
    expect((await h.send(h.msg('/stop'))).reply).toBe('Stopped the current run; dropped 2 queued messages.');
    await until(() => !h.deps.laneStatus(key).active, 'the stopped run to end');
    expect(h.deps.laneStatus(key)).toMatchObject({ active: false, backlog: 0 });
    expect(h.tg.sent.filter((m) => m.chatId === Number(OWNER) && m.text === 'done')).toEqual([]); // nothing delivered for it
  });
});

describe('owner tools', () => {
  it('/approvals lists what waits; /approve decides it in the name of who sent it', async () => {
    const h = await harness({ config: { agents: { defaults: { sandbox: { mode: 'off' } } } } });
    expect((await h.send(h.msg('/approvals'))).reply).toBe('No approvals are waiting.');
    expect((await h.send(h.msg('/approve AP1234 always'))).reply).toBe('no approval with id AP1234');
    h.model.script(KEY, { toolCalls: [{ id: 'call_exec', name: 'exec', args: { command: 'echo approved' } }] }, { text: 'ran it' });
    h.tg.pushMessage({ chatId: Number(MEMBER), chatType: 'private', fromId: Number(MEMBER), text: 'run it' });
    await until(() => h.deps.approvals.listPending().length === 1, 'the approval request');
    const [pending] = h.deps.approvals.listPending();
    expect((await h.send(h.msg('/approvals'))).reply).toContain(`• ${pending.id} · agent main · telegram direct ${MEMBER}`);
    const decided = await h.send(h.msg(`/approve ${pending.id.toLowerCase()} always`));
    expect(decided.reply).toBe(`Approval ${pending.id} ✅ approved always by telegram:${OWNER} (added to the allowlist):\necho approved`);
    await h.tg.waitForSent((m) => m.chatId === Number(MEMBER) && m.text === 'ran it', 10_000);
    expect(h.state.data.execAllowlist.main).toEqual(['echo approved']);
  });

  it('/allowlist adds, lists and removes patterns for the agent of this chat', async () => {
    const h = await harness();
    await h.send(h.msg('/bind work', { chat: h.topic('7') }));
    expect((await h.send(h.msg('/allowlist add git status*', { chat: h.topic('7') }))).reply).toBe('Allowed for agent work without asking: git status*');
    await h.send(h.msg('/allowlist add "ls -la"', { chat: h.topic('7') }));
    expect(h.state.data.execAllowlist).toEqual({ work: ['git status*', 'ls -la'] });
    expect((await h.send(h.msg('/allowlist', { chat: h.topic('7') }))).reply).toBe('Exec allowlist of agent work (2):\n• git status*\n• ls -la');
    expect((await h.send(h.msg('/allowlist remove git status*', { chat: h.topic('7') }))).reply).toContain('Removed');
    expect((await h.send(h.msg('/allowlist remove nope', { chat: h.topic('7') }))).reply).toContain('Not in the allowlist');
    expect(h.state.data.execAllowlist).toEqual({ work: ['ls -la'] });
  });

  it('/pairing lists and approves a code (case-insensitive); approval is for DMs only', async () => {
    const h = await harness();
    const req = requestPairing(h.state, { channel: 'telegram', accountId: 'default', senderId: '555', senderName: 'Bob' }, h.clock.now());
    if (!('code' in req)) throw new Error('expected a code');
    expect((await h.send(h.msg('/pairing'))).reply).toContain(`• ${req.code} · telegram id 555 (Bob) · expires in 60 min`);
    const res = await h.send(h.msg(`/pairing approve ${req.code.toLowerCase()}`));
    expect(res.reply).toBe('Approved telegram id 555 (Bob): they can DM the bot now. This does not let them into groups.');
    expect(h.state.data.pairedSenders).toEqual(['telegram:555']);
    expect((await h.send(h.msg(`/pairing approve ${req.code}`))).reply).toContain('No pending pairing request');
    const expired = requestPairing(h.state, { channel: 'telegram', accountId: 'default', senderId: '556' }, h.clock.now());
    await h.clock.advance(60 * 60_000);
    expect((await h.send(h.msg(`/pairing deny ${'code' in expired ? expired.code : ''}`))).reply).toContain('has expired');
  });

  it('/audit shows the latest lines with secrets redacted', async () => {
    const h = await harness();
    await h.deps.audit.append({ ts: 1, kind: 'tool', tool: 'exec', command: 'curl -H "Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345" x' });
    await h.deps.audit.append({ ts: 2, kind: 'failover', apiKey: 'plain-but-secret-by-name', note: 'key sk-ant-REALLYSECRET0123456789abcdef' });
    await h.deps.audit.append({ ts: 3, kind: 'tool', tool: 'exec', command: 'echo 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq' });
    const { reply } = await h.send(h.msg('/audit'));
    expect(reply).toContain('Latest 3 audit lines');
    expect(reply).toContain('1970-01-01 00:00:00Z tool tool=exec');
    for (const secret of ['abcdefghijklmnopqrstuvwxyz012345', 'plain-but-secret-by-name', 'REALLYSECRET', 'AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq']) {
      expect(reply).not.toContain(secret);
    }
    expect(reply).toContain('[redacted]');
    const two = await h.send(h.msg('/audit 2'));
    expect(two.reply.split('\n')).toHaveLength(3);
    expect(two.reply).not.toContain('00:00:00Z tool tool=exec command=curl');
  });
});

describe('robustness', () => {
  it('a failing command answers "Command failed" and does not throw out', async () => {
    // The agent's workspace is a file: the context report cannot be made.
    const h = await harness({ config: { agents: { list: [{ id: 'main', default: true, workspace: 'not-a-dir' }, { id: 'work' }] } } });
    await writeFile(join(h.home, 'not-a-dir'), 'a file where a directory should be');
    const res = await h.send(h.msg('/context list'));
    expect(res.consumed).toBe(true);
    expect(res.replies).toEqual([expect.stringMatching(/^Command failed: .*not-a-dir/)]);
    expect(h.logs).toContainEqual(expect.objectContaining({ level: 'error', msg: 'admin command failed' }));
    expect((await h.audit()).at(-1)).toMatchObject({ command: 'context', result: 'error', error: expect.stringContaining('not-a-dir') });
    // /status survives a failing context report.
    expect((await h.send(h.msg('/status'))).reply).toContain('Context: unknown');
  });

  it('survives throwing non-errors, failing locate, audit and answer', async () => {
    const h = await harness();
    const weird: Command = {
      name: 'weird',
      usage: '/weird',
      summary: 'throws a string',
      ownerOnly: false,
      run: () => Promise.reject('just a string'),
    };
    h.setCommands([...builtinCommands, weird]);
    expect((await h.send(h.msg('/weird'))).reply).toBe('Command failed: just a string');

    h.deps.locate = () => {
      throw new Error('no route');
    };
    expect((await h.send(h.msg('/whoami'))).reply).toBe('Command failed: no route');

    h.deps.audit = {
      ...h.deps.audit,
      append: async () => {
        throw new Error('disk full');
      },
    };
    h.deps.isAllowed = () => {
      throw new Error('access check broke');
    };
    const intercept = createCommandInterceptor(h.deps, builtinCommands);
    await expect(intercept(h.msg('/help'), async () => Promise.reject(new Error('send failed')))).resolves.toBe(true);
    await expect(intercept(h.msg('/bind work', { from: '99' }), async () => {})).resolves.toBe(true);
    await expect(intercept(h.msg('/status', { from: '99' }), async () => {})).resolves.toBe(false);
    expect(h.logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['could not send a command reply', 'could not write the admin audit record', expect.stringContaining('access check failed')]),
    );
  });

  it('rejects two commands with the same name', async () => {
    const h = await harness();
    expect(() => createCommandInterceptor(h.deps, [...builtinCommands, { ...builtinCommands[0], aliases: [] }])).toThrow('two admin commands are named /help');
  });
});
