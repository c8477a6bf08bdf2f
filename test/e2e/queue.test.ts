// Queue modes through the whole gateway (web chat → journal → lanes → agent loop → fake Anthropic → web chat):
// steer, interrupt, followup, collect with debounce, cap + drop summarize, and the per-channel override. Each test
// also checks that the journal ends with nothing pending, so no accepted message is answered twice after a restart.
import { beforeEach, describe, expect, it } from 'vitest';
import type { FakeRequest, FakeResponse } from '../fakes/fake-anthropic.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { useGateway } from '../fakes/gateway-fixture.js';
import type { ChatClient, ChatFrame } from '../fakes/gateway-harness.js';
import { createInboundJournal } from '../../storage/journal.js';

const web = useGateway();

function baseConfig(url: string, queue: Record<string, unknown> = {}, defaults: Record<string, unknown> = {}) {
  return {
    models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: url } } },
    agents: { defaults: { model: { primary: 'anthropic/claude-test' }, ...defaults } },
    messages: { queue },
  };
}

/** The model requests' messages as text, for "did the model see X" checks. */
const seen = (r: FakeRequest) => JSON.stringify(r.body.messages);
const count = (hay: string, needle: string) => hay.split(needle).length - 1;
const messages = (c: ChatClient) => c.frames.filter((f: ChatFrame) => f.type === 'message').map((f) => f.text);

/** A responder that holds each answer until the test releases it, so "a message arrives during the run" is exact. */
function gated() {
  const waiting: Array<{ req: FakeRequest; release: (r: FakeResponse) => void }> = [];
  const arrivals: Array<() => void> = [];
  web.fake.setDefault(
    (req) =>
      new Promise<FakeResponse>((release) => {
        waiting.push({ req, release });
        for (const f of arrivals.splice(0)) f();
      }),
  );
  return {
    /** Waits until `n` requests are being held (in total since the start). */
    async held(n: number): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (waiting.length + released < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} held model requests, have ${waiting.length + released}`);
        await new Promise<void>((r) => {
          arrivals.push(r);
          setTimeout(r, 50);
        });
      }
    },
    /** Answers the oldest held request. */
    release(r: FakeResponse): FakeRequest {
      const w = waiting.shift();
      if (!w) throw new Error('no held model request to release');
      released++;
      w.release(r);
      return w.req;
    },
  };
}
let released = 0;

async function pendingIds(home: string): Promise<string[]> {
  const entries = await createInboundJournal(home).pending();
  return entries.flatMap((e) => (e.type === 'accepted' ? [e.id] : e.ids));
}

async function acked(c: ChatClient, id: string) {
  await c.next((f) => f.type === 'ack' && f.id === id);
}

beforeEach(() => {
  released = 0;
});

describe('queue modes end to end', () => {
  it('steer: a message sent during a tool round reaches the next model call; one reply answers both', async () => {
    const h = await web.start({ config: baseConfig(web.fake.url, { mode: 'steer' }), env: { ANTHROPIC_API_KEY: 'key-a' } });
    const g = gated();
    const alice = await web.connect('alice');
    alice.send('what time is it?', 'q1');
    await g.held(1);
    alice.send('and also say hi', 'q2');
    await acked(alice, 'q2');
    g.release({ toolCalls: [{ id: 'call_1', name: 'time', args: {} }] });
    await g.held(2);
    const second = g.release({ text: 'It is noon. Hi!' });
    expect(seen(second)).toContain('and also say hi');
    expect(seen(second)).toContain('call_1');
    expect((await alice.reply()).text).toBe('It is noon. Hi!');
    await h.gw.gateway.lanes.idle();
    expect(messages(alice)).toEqual(['It is noon. Hi!']);
    expect(web.fake.requests).toHaveLength(2);
    expect(await pendingIds(h.home)).toEqual([]);
  });

  it('interrupt: a newer message aborts the hanging run; only the newest is answered; both are done', async () => {
    const h = await web.start({ config: baseConfig(web.fake.url, { mode: 'interrupt' }), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.script('key-a', { text: 'never finished', hang: true }, { text: 'answer to the second' });
    const alice = await web.connect('alice');
    alice.send('first question', 'q1');
    while (web.fake.requests.length === 0) await new Promise((r) => setTimeout(r, 20));
    alice.send('actually, this instead', 'q2');
    expect((await alice.reply()).text).toBe('answer to the second');
    await h.gw.gateway.lanes.idle();
    expect(messages(alice)).toEqual(['answer to the second']);
    expect(web.fake.requests).toHaveLength(2);
    expect(web.fake.requests[0].closedEarly).toBe(true);
    expect(await pendingIds(h.home)).toEqual([]);
    // The next message still works, and the model never saw a dangling tool call or a doubled turn.
    web.fake.script('key-a', { text: 'third' });
    alice.send('one more', 'q3');
    expect((await alice.reply()).text).toBe('third');
    expect(count(seen(web.fake.requests[2]), 'actually, this instead')).toBe(1);
  });

  it('interrupt aborting a tool round: the next model call gets a valid history (no tool_use without tool_result)', async () => {
    const h = await web.start({ config: baseConfig(web.fake.url, { mode: 'interrupt' }), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.script('key-a', { toolCalls: [{ id: 'call_1', name: 'time', args: {} }] }, { text: 'never finished', hang: true }, { text: 'fresh answer' });
    const alice = await web.connect('alice');
    alice.send('what time is it?', 'q1');
    while (web.fake.requests.length < 2) await new Promise((r) => setTimeout(r, 20));
    alice.send('never mind', 'q2');
    expect((await alice.reply()).text).toBe('fresh answer');
    await h.gw.gateway.lanes.idle();
    expect(web.fake.requests.map((r) => r.closedEarly)).toEqual([false, true, false]);
    expect(await pendingIds(h.home)).toEqual([]);
  });

  it('followup: messages sent during a run are each answered, in order', async () => {
    const h = await web.start({ config: baseConfig(web.fake.url, { mode: 'followup' }), env: { ANTHROPIC_API_KEY: 'key-a' } });
    const g = gated();
    const alice = await web.connect('alice');
    alice.send('one', 'q1');
    await g.held(1);
    alice.send('two', 'q2');
    alice.send('three', 'q3');
    await acked(alice, 'q3');
    g.release({ text: 'reply 1' });
    await g.held(2);
    const r2 = g.release({ text: 'reply 2' });
    await g.held(3);
    const r3 = g.release({ text: 'reply 3' });
    await h.gw.gateway.lanes.idle();
    expect(messages(alice)).toEqual(['reply 1', 'reply 2', 'reply 3']);
    expect(seen(r2)).toContain('two');
    expect(seen(r2)).not.toContain('three');
    expect(count(seen(r3), 'two')).toBe(1);
    expect(await pendingIds(h.home)).toEqual([]);
  });

  it('collect: what arrived during a run becomes one turn after debounceMs of quiet; a new arrival restarts the quiet', async () => {
    const clock = new FakeClock();
    const h = await web.start({ clock, config: baseConfig(web.fake.url, { mode: 'collect', debounceMs: 1000 }), env: { ANTHROPIC_API_KEY: 'key-a' } });
    const g = gated();
    const alice = await web.connect('alice');
    alice.send('one', 'q1');
    await g.held(1);
    alice.send('two', 'q2');
    alice.send('three', 'q3');
    await acked(alice, 'q3');
    g.release({ text: 'reply 1' });
    expect((await alice.reply()).text).toBe('reply 1');
    await clock.advance(999);
    expect(web.fake.requests).toHaveLength(1);
    alice.send('four', 'q4');
    await acked(alice, 'q4');
    await clock.advance(999);
    expect(web.fake.requests).toHaveLength(1);
    await clock.advance(1);
    await g.held(2);
    const merged = g.release({ text: 'reply 2' });
    expect(await alice.reply().then((f) => f.text)).toBe('reply 2');
    const last = (merged.body.messages as { content: unknown }[]).at(-1);
    expect(JSON.stringify(last)).toMatch(/two.*three.*four/);
    await h.gw.gateway.lanes.idle();
    expect(messages(alice)).toEqual(['reply 1', 'reply 2']);
    expect(await pendingIds(h.home)).toEqual([]);
  });

  it('cap + drop summarize: the dropped messages are done, and the next turn carries their note', async () => {
    const h = await web.start({ config: baseConfig(web.fake.url, { mode: 'followup', cap: 2, drop: 'summarize' }), env: { ANTHROPIC_API_KEY: 'key-a' } });
    const g = gated();
    const alice = await web.connect('alice');
    alice.send('m1', 'q1');
    await g.held(1);
    for (const n of [2, 3, 4, 5]) alice.send(`message number ${n}`, `q${n}`);
    await acked(alice, 'q5');
    g.release({ text: 'reply 1' });
    await g.held(2);
    const next = g.release({ text: 'reply 4' });
    await g.held(3);
    g.release({ text: 'reply 5' });
    await h.gw.gateway.lanes.idle();
    expect(messages(alice)).toEqual(['reply 1', 'reply 4', 'reply 5']);
    const text = seen(next);
    expect(text).toContain('dropped');
    expect(text).toContain('message number 2');
    expect(text).toContain('message number 3');
    expect(text).toContain('message number 4');
    expect(text).not.toContain('message number 5');
    expect(await pendingIds(h.home)).toEqual([]);
  });

  it('byChannel overrides the mode for web chat (interrupt while the default is followup)', async () => {
    const h = await web.start({
      config: baseConfig(web.fake.url, { mode: 'followup', byChannel: { webchat: 'interrupt' } }),
      env: { ANTHROPIC_API_KEY: 'key-a' },
    });
    web.fake.script('key-a', { text: 'never finished', hang: true }, { text: 'newest only' });
    const alice = await web.connect('alice');
    alice.send('first', 'q1');
    while (web.fake.requests.length === 0) await new Promise((r) => setTimeout(r, 20));
    alice.send('second', 'q2');
    expect((await alice.reply()).text).toBe('newest only');
    await h.gw.gateway.lanes.idle();
    expect(messages(alice)).toEqual(['newest only']);
    expect(await pendingIds(h.home)).toEqual([]);
  });
});

describe('a web chat user pushing limits', () => {
  // JSON.stringify writes a lone surrogate (half an emoji) as a \\uXXXX escape; the real API refuses those.
  const loneSurrogate = /\\ud[89a-f][0-9a-f]{2}/i;

  it('many messages sent fast are all acked, all journaled as done, and each reaches the model exactly once', async () => {
    const h = await web.start({ config: baseConfig(web.fake.url, { mode: 'collect', debounceMs: 0, cap: 100 }), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.setDefault(() => ({ text: 'ok' }));
    const alice = await web.connect('alice');
    const ids = Array.from({ length: 40 }, (_, i) => alice.send(`fast message #${i}#`, `f${i}`));
    for (const id of ids) await acked(alice, id);
    await h.gw.gateway.lanes.idle();
    const all = web.fake.requests.map((r) => JSON.stringify((r.body.messages as unknown[]).at(-1))).join('\n');
    for (let i = 0; i < 40; i++) expect(count(all, `fast message #${i}#`)).toBe(1);
    expect(messages(alice).length).toBe(web.fake.requests.length);
    expect(await pendingIds(h.home)).toEqual([]);
  });

  it('with the default queue (collect, cap 20, summarize) a flood becomes two answers; the overflow is noted, not lost', async () => {
    const h = await web.start({ config: baseConfig(web.fake.url, { debounceMs: 0 }), env: { ANTHROPIC_API_KEY: 'key-a' } });
    const g = gated();
    const alice = await web.connect('alice');
    alice.send('flood #0#', 'f0');
    await g.held(1);
    const ids = Array.from({ length: 30 }, (_, i) => alice.send(`flood #${i + 1}#`, `f${i + 1}`));
    for (const id of ids) await acked(alice, id);
    g.release({ text: 'first' });
    await g.held(2);
    const merged = g.release({ text: 'the rest' });
    await h.gw.gateway.lanes.idle();
    expect(messages(alice)).toEqual(['first', 'the rest']);
    const turn = JSON.stringify((merged.body.messages as unknown[]).at(-1));
    expect(turn).toContain('dropped because the queue was full');
    for (let i = 1; i <= 30; i++) expect(count(turn, `flood #${i}#`)).toBe(1);
    expect(await pendingIds(h.home)).toEqual([]);
  });

  it('interrupt under a flood: only the newest is answered, every other message is closed', async () => {
    const h = await web.start({ config: baseConfig(web.fake.url, { mode: 'interrupt' }), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.setDefault((req) => (seen(req).includes('flood #19#') ? { text: 'answer to the last' } : { text: 'never finished', hang: true }));
    const alice = await web.connect('alice');
    const ids = Array.from({ length: 20 }, (_, i) => alice.send(`flood #${i}#`, `f${i}`));
    for (const id of ids) await acked(alice, id);
    await h.gw.gateway.lanes.idle();
    expect(messages(alice)).toEqual(['answer to the last']);
    expect(await pendingIds(h.home)).toEqual([]);
  });

  it('drop new: a message over the cap is refused with a note to the sender and closed', async () => {
    const h = await web.start({ config: baseConfig(web.fake.url, { mode: 'followup', cap: 1, drop: 'new' }), env: { ANTHROPIC_API_KEY: 'key-a' } });
    const g = gated();
    const alice = await web.connect('alice');
    alice.send('one', 'q1');
    await g.held(1);
    alice.send('two', 'q2');
    alice.send('three', 'q3');
    await acked(alice, 'q3');
    expect((await alice.reply()).text).toMatch(/too many queued messages/);
    g.release({ text: 'reply 1' });
    await g.held(2);
    const r2 = g.release({ text: 'reply 2' });
    await h.gw.gateway.lanes.idle();
    expect(seen(r2)).not.toContain('three');
    expect(messages(alice).filter((t) => !/too many/.test(t ?? ''))).toEqual(['reply 1', 'reply 2']);
    expect(await pendingIds(h.home)).toEqual([]);
  });

  it('a 16,000-character message is taken, a longer one refused; a long reply arrives in chunks within the limit', async () => {
    const h = await web.start({ config: baseConfig(web.fake.url), env: { ANTHROPIC_API_KEY: 'key-a' } });
    const long = 'word '.repeat(7000); // 35,000 characters
    web.fake.setDefault(() => ({ text: long.trim(), chunkSize: 5000 }));
    const alice = await web.connect('alice');
    alice.send('x'.repeat(16_001), 'big');
    expect((await alice.next((f) => f.type === 'error')).error).toMatch(/16001 characters; the limit is 16000/);
    alice.send('y'.repeat(16_000), 'ok');
    await acked(alice, 'ok');
    await h.gw.gateway.lanes.idle();
    expect(JSON.stringify(web.fake.requests[0].body.messages)).toContain('y'.repeat(16_000));
    const parts = messages(alice);
    expect(parts.length).toBe(3);
    for (const p of parts) expect(p!.length).toBeLessThanOrEqual(16_000);
    expect(parts.join(' ').replace(/\s+/g, ' ')).toBe(long.trim());
  });

  it('unicode and emoji survive the round trip, also in the note of dropped messages', async () => {
    const h = await web.start({ config: baseConfig(web.fake.url, { mode: 'followup', cap: 1, drop: 'summarize' }), env: { ANTHROPIC_API_KEY: 'key-a' } });
    const g = gated();
    const alice = await web.connect('alice');
    alice.send('héllo wörld — 你好 👋🏽', 'u1');
    await g.held(1);
    // The 80th and 81st UTF-16 units of this text are the two halves of one emoji.
    const dropped = 'a'.repeat(79) + '😀 tail';
    alice.send(dropped, 'u2');
    alice.send('🎉 kept', 'u3');
    await acked(alice, 'u3');
    expect(seen(g.release({ text: 'Grüße 👋🏽 — 再见' }))).toContain('héllo wörld — 你好 👋🏽');
    await g.held(2);
    const next = g.release({ text: 'ok 🎉' });
    await h.gw.gateway.lanes.idle();
    expect(messages(alice)).toEqual(['Grüße 👋🏽 — 再见', 'ok 🎉']);
    const turn = JSON.stringify((next.body.messages as unknown[]).at(-1));
    expect(turn).toContain('🎉 kept');
    expect(turn).toContain('a'.repeat(40));
    for (const r of web.fake.requests) expect(JSON.stringify(r.body)).not.toMatch(loneSurrogate);
    expect(await pendingIds(h.home)).toEqual([]);
  });

  it('a resent message (same client id) is acked but answered once', async () => {
    const h = await web.start({ config: baseConfig(web.fake.url), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.setDefault(() => ({ text: 'answered' }));
    const alice = await web.connect('alice');
    alice.send('hello', 'same');
    alice.send('hello', 'same');
    await acked(alice, 'same');
    await acked(alice, 'same');
    await h.gw.gateway.lanes.idle();
    expect(messages(alice)).toEqual(['answered']);
    expect(web.fake.requests).toHaveLength(1);
  });
});
