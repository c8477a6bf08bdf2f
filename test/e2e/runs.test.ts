// How runs end, through the whole gateway: NO_REPLY, max rounds, timeout, model errors, all-unavailable retries, and
// graceful restarts with work pending. The model must always get a valid history (the fake answers 400 to a
// tool_use without its tool_result), every accepted message is answered once, and the journal ends empty.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeRequest } from '../fakes/fake-anthropic.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { useGateway } from '../fakes/gateway-fixture.js';
import type { ChatClient, ChatFrame } from '../fakes/gateway-harness.js';
import { createInboundJournal } from '../../storage/journal.js';
import { createTranscriptStore } from '../../storage/transcripts.js';

const web = useGateway();

function config(queue: Record<string, unknown> = {}, defaults: Record<string, unknown> = {}) {
  return {
    models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url } } },
    agents: { defaults: { model: { primary: 'anthropic/claude-test' }, ...defaults } },
    messages: { queue },
  };
}
const env = { ANTHROPIC_API_KEY: 'key-a' };

const seen = (r: FakeRequest) => JSON.stringify(r.body.messages);
const count = (hay: string, needle: string) => hay.split(needle).length - 1;
const messages = (c: ChatClient) => c.frames.filter((f: ChatFrame) => f.type === 'message').map((f) => f.text);
// Warnings and errors that speak of a refused request (info lines carry random run ids, which may contain "400").
const badRequests = () => web.h.log.lines.filter((l) => (l.level === 'warn' || l.level === 'error') && /\b400\b|bad_request|tool_use/.test(JSON.stringify(l)));

async function pendingIds(home: string): Promise<string[]> {
  const entries = await createInboundJournal(home).pending();
  return entries.flatMap((e) => (e.type === 'accepted' ? [e.id] : e.ids));
}

async function until(cond: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('how runs end', () => {
  it('NO_REPLY delivers nothing, leaves nothing pending, and the next message is answered', async () => {
    const h = await web.start({ config: config(), env });
    web.fake.script('key-a', { text: 'NO_REPLY' }, { text: 'here I am' });
    const alice = await web.connect('alice');
    alice.send('psst', 'q1');
    await until(() => web.fake.requests.length === 1, 'the first model request');
    await h.gw.gateway.lanes.idle();
    expect(messages(alice)).toEqual([]);
    expect(await pendingIds(h.home)).toEqual([]);
    alice.send('hello?', 'q2');
    expect((await alice.reply()).text).toBe('here I am');
    expect(badRequests()).toEqual([]);
  });

  it('max rounds: says it stopped, the journal is empty, and the next turn has a valid history', async () => {
    const h = await web.start({ config: config({}, { maxToolRounds: 2 }), env });
    let n = 0;
    web.fake.setDefault(() => ({ toolCalls: [{ id: `call_${++n}`, name: 'time', args: {} }] }));
    const alice = await web.connect('alice');
    alice.send('loop forever', 'q1');
    expect((await alice.reply()).text).toMatch(/maximum number of tool rounds/);
    expect(web.fake.requests).toHaveLength(2);
    await h.gw.gateway.lanes.idle();
    expect(await pendingIds(h.home)).toEqual([]);
    web.fake.setDefault(() => ({ text: 'done looping' }));
    alice.send('stop now', 'q2');
    expect((await alice.reply()).text).toBe('done looping');
    expect(badRequests()).toEqual([]);
    expect(count(seen(web.fake.requests[2]), 'loop forever')).toBe(1);
  });

  it('a run timeout tells the user, leaves nothing pending, and the next message still works', async () => {
    const clock = new FakeClock();
    const h = await web.start({ clock, config: config({}, { timeoutSeconds: 30 }), env });
    web.fake.script('key-a', { text: 'never finished', hang: true }, { text: 'back again' });
    const alice = await web.connect('alice');
    alice.send('slow question', 'q1');
    await until(() => web.fake.requests.length === 1, 'the first model request');
    await clock.advance(30_000);
    expect((await alice.reply()).text).toMatch(/timed out after 30 s/);
    await h.gw.gateway.lanes.idle();
    expect(await pendingIds(h.home)).toEqual([]);
    alice.send('are you there?', 'q2');
    expect((await alice.reply()).text).toBe('back again');
    // A timeout is not the key's fault: no cooldown was recorded and no notice of unavailability was sent.
    expect(messages(alice).some((t) => /unavailable/.test(t ?? ''))).toBe(false);
    expect(count(seen(web.fake.requests[1]), 'slow question')).toBe(1);
  });

  it('a model error after a tool round is reported; the next turn gets a valid history', async () => {
    const h = await web.start({ config: config(), env });
    web.fake.script(
      'key-a',
      { toolCalls: [{ id: 'call_1', name: 'time', args: {} }] },
      { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'scripted refusal' } } },
      { text: 'recovered' },
    );
    const alice = await web.connect('alice');
    alice.send('what time?', 'q1');
    expect((await alice.reply()).text).toMatch(/scripted refusal/);
    alice.send('try again', 'q2');
    expect((await alice.reply()).text).toBe('recovered');
    await h.gw.gateway.lanes.idle();
    expect(await pendingIds(h.home)).toEqual([]);
    expect(web.fake.requests).toHaveLength(3);
  });

  it('all models unavailable: the retried turn does not show the user message twice', async () => {
    const clock = new FakeClock();
    const h = await web.start({ clock, config: config(), env });
    web.fake.script('key-a', { status: 429, headers: { 'retry-after': '30' } });
    const alice = await web.connect('alice');
    alice.send('please answer eventually', 'q1');
    expect((await alice.reply()).text).toMatch(/unavailable/);
    web.fake.script('key-a', { text: 'finally' });
    await clock.advance(61_000);
    expect((await alice.reply()).text).toBe('finally');
    await h.gw.gateway.lanes.idle();
    expect(count(seen(web.fake.requests[1]), 'please answer eventually')).toBe(1);
    expect(await pendingIds(h.home)).toEqual([]);
  });

  it('all models unavailable after a tool round, with a steered message: both are answered, once, after the cooldown', async () => {
    const clock = new FakeClock();
    const h = await web.start({ clock, config: config({ mode: 'steer' }), env });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    web.fake.setDefault(async () => {
      calls++;
      if (calls === 1) {
        await gate;
        return { toolCalls: [{ id: 'call_1', name: 'time', args: {} }] };
      }
      return { status: 429, headers: { 'retry-after': '30' } };
    });
    const alice = await web.connect('alice');
    alice.send('first part', 'q1');
    await until(() => web.fake.requests.length === 1, 'the first model request');
    alice.send('second part', 'q2');
    await alice.next((f) => f.type === 'ack' && f.id === 'q2');
    release();
    expect((await alice.reply()).text).toMatch(/unavailable/);
    expect(seen(web.fake.requests[1])).toContain('second part'); // it was steered into the run
    web.fake.setDefault(() => ({ text: 'answer to both' }));
    await clock.advance(61_000);
    await until(() => messages(alice).length >= 2, 'the answer after the cooldown');
    // Give any wrong extra run its chance before looking.
    await clock.advance(61_000);
    await h.gw.gateway.lanes.idle();
    expect(messages(alice).filter((t) => !/unavailable/.test(t ?? ''))).toEqual(['answer to both']);
    const last = seen(web.fake.requests[web.fake.requests.length - 1]);
    expect(count(last, 'first part')).toBe(1);
    expect(count(last, 'second part')).toBe(1);
    expect(await pendingIds(h.home)).toEqual([]);
  });
  it('a conversation too long for the model: the sender learns that /new starts afresh, and it works', async () => {
    await web.start({ config: config(), env });
    web.fake.script('key-a', {
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' } },
    });
    web.fake.setDefault(() => ({ text: 'fresh start' }));
    const alice = await web.connect('alice');
    alice.send('one more thing', 'q1');
    const warn = (await alice.reply()).text!;
    expect(warn).toMatch(/context_overflow/);
    expect(warn).toMatch(/\/new/);
    alice.send('/new', 'q2');
    expect((await alice.reply()).text).toMatch(/Started a new conversation/);
    alice.send('hello again', 'q3');
    expect((await alice.reply()).text).toBe('fresh start');
    expect(seen(web.fake.requests.at(-1)!)).not.toContain('one more thing');
  });
});

describe('graceful stop with work pending', () => {
  async function restart(opts: { clock?: FakeClock; queue?: Record<string, unknown> } = {}) {
    web.closeClients();
    const home = await web.stop({ keepHome: true });
    return web.start({ home, clock: opts.clock, config: config(opts.queue), env });
  }

  it('a followup backlog and an interrupted run are each answered once after the restart, in order', async () => {
    let h = await web.start({ config: config({ mode: 'followup' }), env });
    let hold = true;
    let n = 0;
    web.fake.setDefault(async (req) => {
      if (hold) return { text: 'never finished', hang: true };
      return {
        text: `answer ${++n} to ${JSON.stringify(req.body.messages)
          .match(/q-(\w+)/g)
          ?.at(-1)
          ?.slice(2)}`,
      };
    });
    const alice = await web.connect('alice');
    alice.send('q-one', 'q1');
    await until(() => web.fake.requests.length === 1, 'the first model request');
    alice.send('q-two', 'q2');
    alice.send('q-three', 'q3');
    await alice.next((f) => f.type === 'ack' && f.id === 'q3');
    hold = false;
    h = await restart({ queue: { mode: 'followup' } });
    const again = await web.connect('alice');
    await until(() => messages(again).length === 3, 'three answers');
    await h.gw.gateway.lanes.idle();
    expect(messages(again)).toEqual(['answer 1 to one', 'answer 2 to two', 'answer 3 to three']);
    expect(await pendingIds(h.home)).toEqual([]);
    for (const r of web.fake.requests.slice(1)) {
      for (const q of ['q-one', 'q-two', 'q-three']) expect(count(seen(r), q)).toBeLessThanOrEqual(1);
    }
  });

  it('a collect debounce pending at the stop is answered once after the restart', async () => {
    const clock = new FakeClock();
    let h = await web.start({ clock, config: config({ mode: 'collect', debounceMs: 5000 }), env });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    web.fake.setDefault(async () => {
      if (first) {
        first = false;
        await gate;
        return { text: 'reply 1' };
      }
      return { text: 'merged reply' };
    });
    const alice = await web.connect('alice');
    alice.send('one', 'q1');
    await until(() => web.fake.requests.length === 1, 'the first model request');
    alice.send('two', 'q2');
    await alice.next((f) => f.type === 'ack' && f.id === 'q2');
    release();
    await until(() => messages(alice).length === 1, 'the first answer');
    await until(() => h.gw.gateway.lanes.status('agent:main:webchat:direct:alice').pending, 'the collect debounce');
    expect(h.gw.gateway.lanes.status('agent:main:webchat:direct:alice')).toMatchObject({ active: false, backlog: 1 });
    h = await restart({ clock, queue: { mode: 'collect', debounceMs: 5000 } });
    const again = await web.connect('alice');
    await until(() => messages(again).length === 1, 'the collected answer');
    await clock.advance(10_000);
    await h.gw.gateway.lanes.idle();
    expect(messages(alice).concat(messages(again))).toEqual(['reply 1', 'merged reply']);
    expect(await pendingIds(h.home)).toEqual([]);
  });

  it('a retry pending at the stop (all models cooling down) is answered once after the restart and the cooldown', async () => {
    const clock = new FakeClock();
    let h = await web.start({ clock, config: config(), env });
    web.fake.script('key-a', { status: 429, headers: { 'retry-after': '30' } });
    const alice = await web.connect('alice');
    alice.send('please answer eventually', 'q1');
    expect((await alice.reply()).text).toMatch(/unavailable/);
    h = await restart({ clock });
    const again = await web.connect('alice');
    web.fake.setDefault(() => ({ text: 'finally' }));
    await clock.advance(61_000);
    await until(() => messages(again).includes('finally'), 'the answer after the cooldown');
    await clock.advance(61_000);
    await h.gw.gateway.lanes.idle();
    expect(messages(again).filter((t) => t === 'finally')).toHaveLength(1);
    expect(count(seen(web.fake.requests.at(-1)!), 'please answer eventually')).toBe(1);
    expect(await pendingIds(h.home)).toEqual([]);
  });

  it('a steered message taken by a run cut short by the stop is answered after the restart', async () => {
    let h = await web.start({ config: config({ mode: 'steer' }), env });
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    web.fake.setDefault(async () => {
      calls++;
      if (calls === 1) {
        await gate;
        return { toolCalls: [{ id: 'call_1', name: 'time', args: {} }] };
      }
      if (calls === 2) return { text: 'never finished', hang: true };
      return { text: 'answered after restart' };
    });
    const alice = await web.connect('alice');
    alice.send('part one', 'q1');
    await until(() => web.fake.requests.length === 1, 'the first model request');
    alice.send('part two', 'q2');
    await alice.next((f) => f.type === 'ack' && f.id === 'q2');
    release();
    await until(() => web.fake.requests.length === 2, 'the steered model request');
    expect(seen(web.fake.requests[1])).toContain('part two');
    h = await restart({ queue: { mode: 'steer' } });
    const again = await web.connect('alice');
    await until(() => messages(again).length >= 1, 'an answer after the restart');
    await h.gw.gateway.lanes.idle();
    const all = web.fake.requests.slice(2).map(seen).join('\n');
    expect(all).toContain('part one');
    expect(all).toContain('part two');
    for (const r of web.fake.requests.slice(2)) {
      expect(badRequests()).toEqual([]);
      expect(count(seen(r), 'part one')).toBeLessThanOrEqual(1);
    }
    expect(await pendingIds(h.home)).toEqual([]);
  });
});

describe('failures outside the model call', () => {
  it('a workspace file that cannot be read: the sender is told, nothing stays pending, and the next message works', async () => {
    const h = await web.start({ config: config(), env });
    web.fake.setDefault(() => ({ text: 'fine again' }));
    const alice = await web.connect('alice');
    alice.send('hello', 'q0');
    expect((await alice.reply()).text).toBe('fine again');
    const soul = join(h.home, 'workspace', 'SOUL.md');
    await rm(soul, { force: true });
    await mkdir(soul); // reading it fails with EISDIR, as an unreadable file would with EACCES
    alice.send('hello again', 'q1');
    const warn = await alice.reply();
    expect(warn.text).toMatch(/could not be processed/);
    expect(warn.text).toMatch(/EISDIR/);
    await h.gw.gateway.lanes.idle();
    expect(await pendingIds(h.home)).toEqual([]);
    await rm(soul, { recursive: true });
    alice.send('and now?', 'q2');
    expect((await alice.reply()).text).toBe('fine again');
  });

  it('a transcript file removed by hand while the gateway was stopped is started again, not failing every run', async () => {
    let h = await web.start({ config: config(), env });
    web.fake.setDefault(() => ({ text: 'ok' }));
    let alice = await web.connect('alice');
    alice.send('first', 'q1');
    await alice.reply();
    const home = h.home;
    await web.stop({ keepHome: true });
    const dir = join(home, 'agents', 'main', 'sessions');
    for (const f of await readdir(dir)) if (f.endsWith('.jsonl')) await rm(join(dir, f));
    h = await web.start({ home, config: config(), env });
    alice = await web.connect('alice');
    alice.send('second', 'q2');
    expect((await alice.reply()).text).toBe('ok');
    await h.gw.gateway.lanes.idle();
    expect(await pendingIds(h.home)).toEqual([]);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl'));
    expect(files).toHaveLength(1);
    const lines = (await readFile(join(dir, files[0]), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'header' });
  });
});

describe('a crash between a run-end and the journal record of its reply', () => {
  it('the repeated run does not show the model the question twice nor the answer that was never sent', async () => {
    let h = await web.start({ config: config(), env });
    web.fake.setDefault(() => ({ text: 'warm answer' }));
    const alice = await web.connect('alice');
    alice.send('warm up', 'w1');
    await alice.reply();
    const home = h.home;
    await web.stop({ keepHome: true });

    // What the crash leaves: the transcript holds the whole run (run-end ok), the journal only its 'accepted'.
    const sessions = JSON.parse(await readFile(join(home, 'agents', 'main', 'sessions', 'sessions.json'), 'utf8'));
    const entry = Object.values(sessions as Record<string, { sessionKey?: string; sessionId: string }>).find((e) => e?.sessionKey === 'agent:main:webchat:direct:alice')!;
    const id = 'webchat:default:alice:q-lost';
    const inbound = {
      channel: 'webchat',
      accountId: 'default',
      chat: { kind: 'direct', id: 'alice' },
      sender: { id: 'alice', name: 'alice' },
      messageId: 'q-lost',
      text: 'the lost question',
      mentionsBot: true,
      receivedAt: Date.now(),
    } as const;
    await createInboundJournal(home).append({ type: 'accepted', id, ts: Date.now(), agentId: 'main', sessionKey: 'agent:main:webchat:direct:alice', inbound });
    const store = createTranscriptStore(home);
    const runId = 'run-before-crash';
    await store.append('main', entry.sessionId, { type: 'message', ts: 1, runId, message: { role: 'user', text: 'the lost question' }, inboundIds: [id] });
    await store.append('main', entry.sessionId, { type: 'message', ts: 1, runId, message: { role: 'assistant', text: 'the answer nobody saw' } });
    await store.append('main', entry.sessionId, { type: 'event', ts: 1, runId, name: 'run-end', data: { status: 'ok' } });

    web.fake.setDefault(() => ({ text: 'answered after the crash' }));
    h = await web.start({ home, config: config(), env });
    const again = await web.connect('alice');
    expect((await again.reply()).text).toBe('answered after the crash');
    await h.gw.gateway.lanes.idle();
    const repeat = seen(web.fake.requests.at(-1)!);
    expect(count(repeat, 'the lost question')).toBe(1);
    expect(repeat).not.toContain('the answer nobody saw');
    expect(repeat).toContain('warm up');

    // And in later turns too: only the run whose answer was delivered counts.
    again.send('next', 'q-next');
    expect((await again.reply()).text).toBe('answered after the crash');
    const later = seen(web.fake.requests.at(-1)!);
    expect(count(later, 'the lost question')).toBe(1);
    expect(later).not.toContain('the answer nobody saw');
    expect(later).toContain('answered after the crash');
  });
});
