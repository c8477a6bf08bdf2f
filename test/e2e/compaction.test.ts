// Automatic compaction through the whole gateway, against the fake Anthropic API (which refuses a tool result
// without its tool call, so a split pair fails the next request): after a turn past the threshold, on a
// context-overflow error (retried once), on /compact, with the memory flush before it, and the fallback when the
// summary cannot be made.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeRequest, FakeResponse } from '../fakes/fake-anthropic.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { useGateway } from '../fakes/gateway-fixture.js';
import type { ChatClient } from '../fakes/gateway-harness.js';
import { createTranscriptStore } from '../../storage/transcripts.js';
import { openSessionStore } from '../../storage/session-store.js';
import type { TranscriptEntry } from '../../runtime/types/index.js';

const web = useGateway();
const env = { ANTHROPIC_API_KEY: 'key-a' };

function config(compaction: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url, models: { 'claude-test': { contextWindow: 100_000 } } } } },
    agents: { defaults: { model: { primary: 'anthropic/claude-test' }, compaction: { keepRecentTokens: 500, memoryFlush: false, ...compaction } } },
    commands: { ownerAllowFrom: ['webchat:alice'] },
    messages: { queue: { debounceMs: 0 } },
    ...extra,
  };
}

const body = (r: FakeRequest) => JSON.stringify(r.body.messages);
const isSummary = (r: FakeRequest) => String(r.body.system ?? '').startsWith('You summarise');
const isFlush = (r: FakeRequest) => body(r).includes('Pre-compaction memory flush');
const turns = () => web.fake.requests.filter((r) => !isSummary(r) && !isFlush(r));
const texts = (c: ChatClient) => c.frames.filter((f) => f.type === 'message').map((f) => f.text ?? '');
const big = { usage: { input: 90_000, output: 10 } };
/** A message larger than what a compaction keeps (500 tokens), so there is something to summarise. */
const pad = (s: string) => `${s} ${'p'.repeat(2400)}`;

async function transcript(home: string): Promise<TranscriptEntry[]> {
  const sessions = await openSessionStore(home, () => {}, ['main']);
  const entry = sessions.list('main')[0]!;
  return createTranscriptStore(home).read('main', entry.sessionId);
}

/** The session entry on disk once it has `key` (sessions.json writes are coalesced, so it may lag a little). */
async function sessionEntry(home: string, key: string) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const sessions = await openSessionStore(home, () => {}, ['main']);
    const e = sessions.list('main')[0]!;
    if (key in e || Date.now() > deadline) return e;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Replies by request kind: summaries, memory flushes and turns each from their own queue. */
function respond(kinds: { summary?: FakeResponse[]; flush?: FakeResponse[]; turn: FakeResponse[] }) {
  web.fake.setDefault((r) => {
    const q = isSummary(r) ? kinds.summary : isFlush(r) ? kinds.flush : kinds.turn;
    const next = q?.shift();
    if (!next) throw new Error(`no scripted reply left for ${isSummary(r) ? 'a summary' : isFlush(r) ? 'a flush' : 'a turn'}`);
    return next;
  });
}

describe('compaction', () => {
  it('after a turn past the threshold: a compaction entry; the next request has the summary, not the old text, and no split tool pair', async () => {
    const h = await web.start({ config: config(), env });
    respond({
      turn: [
        { text: 'noted', usage: { input: 1000, output: 5 } },
        {
          toolCalls: [
            { id: 'call_w', name: 'write', args: { path: 'big.txt', content: 'z'.repeat(1600) } },
            { id: 'call_r', name: 'read', args: { path: 'big.txt' } },
          ],
        },
        { text: 'done two', ...big },
        { text: 'three' },
      ],
      summary: [{ text: 'SUMMARY-XYZ: the user shared a fact; big.txt was written' }],
    });
    const alice = await web.connect('alice');
    alice.send('remember OLD-FACT-ALPHA please');
    expect((await alice.reply()).text).toBe('noted');
    alice.send('write and read big.txt');
    expect((await alice.reply()).text).toBe('done two');
    await h.gw.gateway.lanes.idle();
    const summaryReq = web.fake.requests.find(isSummary)!;
    expect(body(summaryReq)).toContain('OLD-FACT-ALPHA');
    expect(body(summaryReq)).toContain('[assistant calls write');

    alice.send('third');
    expect((await alice.reply()).text).toBe('three');
    const next = body(turns().at(-1)!);
    expect(next).toContain('SUMMARY-XYZ');
    expect(next).not.toContain('OLD-FACT-ALPHA');
    expect(next).not.toContain('zzzz'); // the big write and its read went into the summary together

    const entries = await transcript(h.home);
    const c = entries.filter((e) => e.type === 'compaction');
    expect(c).toHaveLength(1);
    expect(Object.keys(c[0]!).sort()).toEqual(['firstKeptEntryId', 'id', 'reason', 'summary', 'tokensAfter', 'tokensBefore', 'ts', 'type']);
    expect(c[0]).toMatchObject({ summary: expect.stringContaining('SUMMARY-XYZ'), tokensBefore: 90_010, reason: 'threshold' });
    expect((c[0] as { tokensAfter: number }).tokensAfter).toBeLessThan(10_000);
    const kept = entries.find((e) => e.id === (c[0] as { firstKeptEntryId: string }).firstKeptEntryId);
    expect(kept).toMatchObject({ type: 'message', message: { role: 'assistant', text: 'done two' } });
    expect(JSON.stringify(entries)).toContain('OLD-FACT-ALPHA'); // the transcript itself is never rewritten

    const s = await sessionEntry(h.home, 'lastCompaction');
    expect(s).toMatchObject({ compactionCount: 1, lastCompaction: { id: c[0]!.id, tokensBefore: 90_010, summarised: true, reason: 'threshold' } });
    alice.send('/context list');
    expect((await alice.reply()).text).toMatch(/Compactions: 1 \(last 20\d\d-\d\d-\d\d \d\d:\d\dZ, threshold: ~90,010 → ~[\d,]+ tokens\)/);
  });

  it('a context-overflow error compacts and retries the call once; no /new message', async () => {
    await web.start({ config: config(), env });
    const overflow: FakeResponse = {
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' } },
    };
    respond({
      turn: [{ text: 'one' }, { text: 'two' }, overflow, { text: 'answered after compaction' }],
      summary: [{ text: 'SUMMARY-OVF' }],
    });
    const alice = await web.connect('alice');
    alice.send('OLD-FACT-BETA is important');
    await alice.reply();
    alice.send('second');
    await alice.reply();
    alice.send('third question');
    expect((await alice.reply()).text).toBe('answered after compaction');
    expect(texts(alice).join('\n')).not.toMatch(/\/new|too long/);
    const retry = body(turns().at(-1)!);
    expect(retry).toContain('SUMMARY-OVF');
    expect(retry).not.toContain('OLD-FACT-BETA');
    expect(retry.split('third question').length - 1).toBe(1);
    expect(web.fake.requests.filter(isSummary)).toHaveLength(1);
  });

  it('an overflow that compaction cannot help (no history yet) still says /new', async () => {
    await web.start({ config: config(), env });
    web.fake.script('key-a', { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long' } } });
    const alice = await web.connect('alice');
    alice.send('x'.repeat(100));
    expect((await alice.reply()).text).toMatch(/send \/new/);
    expect(web.fake.requests.filter(isSummary)).toHaveLength(0);
  });

  it('when the summary cannot be made, older messages are dropped from view with a marker; the user is told once', async () => {
    const h = await web.start({ config: config(), env });
    const refused: FakeResponse = { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'summaries are broken today' } } };
    respond({
      turn: [{ text: 'one' }, { text: 'two', ...big }, { text: 'three', ...big }, { text: 'four' }],
      summary: [refused, refused],
    });
    const alice = await web.connect('alice');
    alice.send(pad('OLD-GAMMA detail'));
    await alice.reply();
    alice.send(pad('second'));
    await alice.reply();
    alice.send(pad('third'));
    await alice.next((f) => f.type === 'message' && f.text === 'three');
    await h.gw.gateway.lanes.idle();
    alice.send('fourth');
    await alice.next((f) => f.type === 'message' && f.text === 'four');
    const notices = texts(alice).filter((t) => t.includes('could not be summarised'));
    expect(notices).toHaveLength(1);
    const last = body(turns().at(-1)!);
    expect(last).toMatch(/earlier messages? (were|was) dropped from this view/);
    expect(last).not.toContain('OLD-GAMMA');
    const entries = await transcript(h.home);
    expect(entries.filter((e) => e.type === 'compaction').map((e) => (e as { dropped?: boolean }).dropped)).toEqual([true, true]);
    expect(JSON.stringify(entries)).toContain('OLD-GAMMA'); // nothing lost from disk
    expect(h.log.lines.some((l) => l.level === 'warn' && /dropping older messages/.test(l.msg))).toBe(true);
  });

  it('/compact [focus] compacts on demand and answers with the size before → after', async () => {
    await web.start({ config: config({ keepRecentTokens: 20_000 }), env });
    respond({ turn: [{ text: 'one' }, { text: 'two' }, { text: 'three' }], summary: [{ text: 'SUMMARY-MANUAL' }] });
    const alice = await web.connect('alice');
    alice.send('OLD-DELTA ' + 'd'.repeat(4000));
    await alice.reply();
    alice.send('second');
    await alice.reply();
    alice.send('/compact the budget numbers');
    expect((await alice.reply()).text).toBe('Compacting this conversation (focus: the budget numbers)…');
    const done = (await alice.reply()).text!;
    const [, before, after] = /^Compacted: context ~([\d,]+) → ~([\d,]+) tokens\.$/.exec(done)!.map((x) => Number(x.replace(/,/g, '')));
    expect(after).toBeLessThan(before!);
    expect(body(web.fake.requests.find(isSummary)!)).toContain('Pay particular attention to: the budget numbers');
    alice.send('third');
    await alice.reply();
    expect(body(turns().at(-1)!)).toContain('SUMMARY-MANUAL');
    expect(body(turns().at(-1)!)).not.toContain('OLD-DELTA');
    alice.send('/context list');
    expect((await alice.reply()).text).toMatch(/Compactions: 1 \(last .*, manual: /);
  });

  it('before compacting, one silent turn writes durable notes to memory/YYYY-MM-DD.md', async () => {
    const clock = new FakeClock(Date.UTC(2026, 2, 14, 9));
    const h = await web.start({ clock, config: config({ memoryFlush: true }), env });
    respond({
      turn: [{ text: 'one' }, { text: 'two', ...big }, { text: 'three' }],
      flush: [{ toolCalls: [{ id: 'call_m', name: 'write', args: { path: 'memory/2026-03-14.md', content: 'DURABLE-NOTE: likes tea' } }] }, { text: 'NO_REPLY' }],
      summary: [{ text: 'SUMMARY-FLUSHED' }],
    });
    const alice = await web.connect('alice');
    alice.send(pad('I like tea'));
    await alice.reply();
    alice.send('second');
    await alice.reply();
    await h.gw.gateway.lanes.idle();
    expect(await readFile(join(h.home, 'workspace', 'memory', '2026-03-14.md'), 'utf8')).toBe('DURABLE-NOTE: likes tea');
    // The flush is a run of its own, committed as such.
    const subjects = execFileSync('git', ['log', '--format=%s'], { cwd: join(h.home, 'workspace'), encoding: 'utf8' });
    expect(subjects).toMatch(/^main: [0-9a-f-]{36} — memory\/2026-03-14\.md$/m);
    const order = web.fake.requests.map((r) => (isSummary(r) ? 'summary' : isFlush(r) ? 'flush' : 'turn'));
    expect(order).toEqual(['turn', 'turn', 'flush', 'flush', 'summary']);
    alice.send('third');
    await alice.reply();
    expect(texts(alice)).toEqual(['one', 'two', 'three']);
    expect(body(turns().at(-1)!)).not.toContain('Pre-compaction');
    const entries = await transcript(h.home);
    expect(entries.some((e) => e.type === 'event' && e.name === 'memory-flush')).toBe(true);
    expect(JSON.stringify(entries.filter((e) => e.type === 'message'))).not.toContain('Pre-compaction');
  });

  it('the memory flush is skipped when policy denies workspace writes', async () => {
    const h = await web.start({ config: config({ memoryFlush: true }, { tools: { deny: ['write', 'edit'] } }), env });
    respond({ turn: [{ text: 'one' }, { text: 'two', ...big }], summary: [{ text: 'S' }] });
    const alice = await web.connect('alice');
    alice.send(pad('first'));
    await alice.reply();
    alice.send('second');
    await alice.reply();
    await h.gw.gateway.lanes.idle();
    expect(web.fake.requests.map((r) => (isSummary(r) ? 'summary' : isFlush(r) ? 'flush' : 'turn'))).toEqual(['turn', 'turn', 'summary']);
    expect(h.log.lines.some((l) => /memory flush skipped: workspace writes are denied/.test(l.msg))).toBe(true);
  });
});
