import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TextFile } from 'lowdb/node';
import { describe, expect, it } from 'vitest';
import type { Inbound } from '../../runtime/types/channel.js';
import { TRANSCRIPT_VERSION, type JournalEntry, type SessionEntry, type TranscriptEntry } from '../../runtime/types/storage.js';
import { createAuditLog } from '../../storage/audit-log.js';
import { openJsonDoc, UnsupportedVersionError } from '../../storage/json-doc.js';
import type { Clock } from '../../runtime/types/clock.js';
import { createInboundJournal } from '../../storage/journal.js';
import { resolveHome, statePaths } from '../../storage/paths.js';
import { redactSecrets } from '../../storage/redact.js';
import { openSessionStore } from '../../storage/session-store.js';
import { openStateStore } from '../../storage/state-store.js';
import { createTranscriptStore } from '../../storage/transcripts.js';
import { newSessionId } from '../../runtime/ids.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { acceptedEntry } from '../fakes/journal-entries.js';
import { useTempHome } from '../fakes/temp-home.js';

const tmp = useTempHome('switchyard-storage-');
const { logs, log } = tmp;

/** The real lowdb TextFile, counting writes; `gate` (when set) holds the next write until released. */
function countingAdapter(file: string) {
  const inner = new TextFile(file);
  const a = {
    writes: 0,
    gate: null as Promise<void> | null,
    read: () => inner.read(),
    async write(s: string) {
      a.writes++;
      if (a.gate) await a.gate;
      await inner.write(s);
    },
  };
  return a;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const readJson = async (file: string): Promise<unknown> => JSON.parse(await readFile(file, 'utf8'));

describe('paths', () => {
  it('lays out the state directory', () => {
    const p = statePaths('/srv/sy');
    expect(p.config).toBe('/srv/sy/switchyard.json');
    expect(p.state).toBe('/srv/sy/state.json');
    expect(p.sessionsJson('main')).toBe('/srv/sy/agents/main/sessions/sessions.json');
    expect(p.transcript('main', 'abc-1')).toBe('/srv/sy/agents/main/sessions/abc-1.jsonl');
    expect(p.auditFile('2026-01-02')).toBe('/srv/sy/audit/2026-01-02.jsonl');
    expect(p.journal).toBe('/srv/sy/journal/inbound.jsonl');
  });

  it('refuses ids that could escape the directory', () => {
    const p = statePaths('/srv/sy');
    expect(() => p.agentDir('../etc')).toThrow(/invalid agent id/);
    expect(() => p.transcript('main', '../../x')).toThrow(/invalid session id/);
    expect(() => p.auditFile('2026/01/02')).toThrow(/YYYY-MM-DD/);
  });

  it('resolves the home from SWITCHYARD_HOME or ~/.switchyard', () => {
    expect(resolveHome({}, '/home/u')).toBe('/home/u/.switchyard');
    expect(resolveHome({ SWITCHYARD_HOME: '/data/sy' }, '/home/u')).toBe('/data/sy');
    expect(resolveHome({ SWITCHYARD_HOME: '~/sy' }, '/home/u')).toBe('/home/u/sy');
  });
});

describe('json doc', () => {
  it('writes atomically: valid content, no temp file left', async () => {
    const file = join(tmp.home, 'sub', 'doc.json');
    const doc = await openJsonDoc(file, () => ({ n: 0, items: [] as string[] }), { log });
    doc.update((d) => {
      d.n = 1;
      d.items.push('a');
    });
    await doc.flush();
    expect(await readJson(file)).toEqual({ n: 1, items: ['a'] });
    expect(await readdir(join(tmp.home, 'sub'))).toEqual(['doc.json']);
  });

  it('coalesces many updates within coalesceMs into one write', async () => {
    const file = join(tmp.home, 'doc.json');
    const clock = new FakeClock();
    const adapter = countingAdapter(file);
    const doc = await openJsonDoc(file, () => ({ n: 0 }), { log, clock, adapter, coalesceMs: 50 });
    for (let i = 0; i < 25; i++) doc.update((d) => void d.n++);
    await clock.advance(49);
    expect(adapter.writes).toBe(0);
    await clock.advance(1);
    await doc.flush(); // waits for the write the timer started
    expect(adapter.writes).toBe(1);
    expect(await readJson(file)).toEqual({ n: 25 });
  });

  it('flush writes now and cancels the pending timer', async () => {
    const file = join(tmp.home, 'doc.json');
    const clock = new FakeClock();
    const adapter = countingAdapter(file);
    const doc = await openJsonDoc(file, () => ({ n: 0 }), { log, clock, adapter });
    doc.update((d) => void (d.n = 7));
    await doc.flush();
    expect(adapter.writes).toBe(1);
    expect(await readJson(file)).toEqual({ n: 7 });
    await clock.advance(1000);
    expect(adapter.writes).toBe(1);
    await doc.flush(); // nothing dirty: no write
    expect(adapter.writes).toBe(1);
  });

  it('updates during a write in progress cause exactly one more write', async () => {
    const file = join(tmp.home, 'doc.json');
    const clock = new FakeClock();
    const adapter = countingAdapter(file);
    const doc = await openJsonDoc(file, () => ({ n: 0 }), { log, clock, adapter });
    const gate = deferred();
    adapter.gate = gate.promise;
    doc.update((d) => void (d.n = 1));
    await clock.advance(50);
    expect(adapter.writes).toBe(1); // started, held at the gate
    for (let i = 0; i < 5; i++) doc.update((d) => void d.n++);
    adapter.gate = null;
    gate.resolve();
    await doc.flush();
    await clock.advance(1000);
    expect(adapter.writes).toBe(2);
    expect(await readJson(file)).toEqual({ n: 6 });
  });

  it('does not keep the process alive with its coalesce timer', async () => {
    const handles: NodeJS.Timeout[] = [];
    const clock: Clock = {
      now: () => Date.now(),
      setTimeout: (fn, ms) => {
        const h = setTimeout(fn, ms);
        handles.push(h);
        return h;
      },
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
    const doc = await openJsonDoc(join(tmp.home, 'doc.json'), () => ({ n: 0 }), { log, clock, coalesceMs: 60_000 });
    doc.update((d) => void d.n++);
    expect(handles).toHaveLength(1);
    expect(handles[0].hasRef()).toBe(false);
    await doc.flush();
    expect(await readJson(join(tmp.home, 'doc.json'))).toEqual({ n: 1 });
  });

  it('moves a corrupt file aside, logs both paths, and starts from defaults', async () => {
    const file = join(tmp.home, 'doc.json');
    await writeFile(file, '{"n": 3, oops');
    const clock = new FakeClock(Date.UTC(2026, 2, 4, 5, 6, 7, 8));
    const doc = await openJsonDoc(file, () => ({ n: 0 }), { log, clock });
    const aside = `${file}.corrupt-2026-03-04T05-06-07-008Z`;
    expect(doc.data).toEqual({ n: 0 });
    expect(await readFile(aside, 'utf8')).toBe('{"n": 3, oops');
    expect(await readJson(file)).toEqual({ n: 0 });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(file);
    expect(logs[0]).toContain(aside);
    expect(logs[0]).toMatch(/not valid JSON/);
  });

  it('moves aside a file its decoder rejects, but refuses a newer version without touching it', async () => {
    const file = join(tmp.home, 'doc.json');
    await writeFile(file, '[1,2]');
    const migrate = (raw: unknown): { n: number } => {
      if (Array.isArray(raw)) throw new Error('expected an object');
      if ((raw as { v: number }).v > 1) throw new UnsupportedVersionError(file, (raw as { v: number }).v, 1);
      return raw as { n: number };
    };
    const doc = await openJsonDoc(file, () => ({ n: 0 }), { log, migrate });
    expect(doc.data).toEqual({ n: 0 });
    expect(logs[0]).toMatch(/unusable shape \(expected an object\)/);
    expect((await readdir(tmp.home)).filter((f) => f.includes('.corrupt-'))).toHaveLength(1);

    await writeFile(file, '{"v": 9}');
    await expect(openJsonDoc(file, () => ({ n: 0 }), { log, migrate })).rejects.toThrow(/version 9/);
    expect(await readFile(file, 'utf8')).toBe('{"v": 9}');
  });

  it('reports a failed write: flush rejects, a timer write logs, a later flush retries', async () => {
    const file = join(tmp.home, 'doc.json');
    const clock = new FakeClock();
    let fail = true;
    const inner = new TextFile(file);
    const adapter = {
      read: () => inner.read(),
      write: (s: string) => (fail ? Promise.reject(new Error('disk full')) : inner.write(s)),
    };
    const doc = await openJsonDoc(file, () => ({ n: 0 }), { log, clock, adapter });
    doc.update((d) => void (d.n = 1));
    await clock.advance(50);
    expect(logs.some((l) => l.includes(file) && l.includes('failed'))).toBe(true);
    expect(tmp.errors).toContainEqual(new Error('disk full')); // the error itself, so the log has its stack
    await expect(doc.flush()).rejects.toThrow('disk full');
    fail = false;
    await doc.flush();
    expect(await readJson(file)).toEqual({ n: 1 });
  });
});

describe('state store', () => {
  it('starts from defaults and fills keys missing from an older file', async () => {
    const fresh = await openStateStore(tmp.home, log);
    expect(fresh.data).toEqual({
      version: 1,
      bindings: [],
      pairedSenders: [],
      pairingRequests: [],
      approvals: [],
      execAllowlist: {},
      profiles: {},
      channelOffsets: {},
      webchatUsers: [],
    });

    const older = { pairedSenders: ['telegram:42'], channelOffsets: { 'telegram:default': 9 } };
    await writeFile(statePaths(tmp.home).state, JSON.stringify(older));
    const old = await openStateStore(tmp.home, log);
    expect(old.data.pairedSenders).toEqual(['telegram:42']);
    expect(old.data.channelOffsets).toEqual({ 'telegram:default': 9 });
    expect(old.data.approvals).toEqual([]);
    expect(old.data.version).toBe(1);
    old.update((s) => void (s.execAllowlist.main = ['ls']));
    await old.flush();
    const again = await openStateStore(tmp.home, log);
    expect(again.data.execAllowlist).toEqual({ main: ['ls'] });
    expect(again.data.pairedSenders).toEqual(['telegram:42']);
    expect(logs).toEqual([]);
  });

  it('moves aside a file with a key of the wrong type; refuses a newer version', async () => {
    await writeFile(statePaths(tmp.home).state, JSON.stringify({ version: 1, bindings: 'nope' }));
    const s = await openStateStore(tmp.home, log);
    expect(s.data.bindings).toEqual([]);
    expect(logs[0]).toMatch(/"bindings" should be an array/);

    await writeFile(statePaths(tmp.home).state, JSON.stringify({ version: 2 }));
    await expect(openStateStore(tmp.home, log)).rejects.toThrow(/version 2 but this Switchyard understands up to 1/);
  });
});

describe('session store', () => {
  const entry = (agentId: string, sessionKey: string, sessionId: string): SessionEntry => ({
    sessionId,
    sessionKey,
    agentId,
    createdAt: 1,
    updatedAt: 2,
    channel: 'telegram',
    lastChat: { kind: 'direct', id: '42' },
  });

  it('round-trips across a reopen, finding agents on disk', async () => {
    const s = await openSessionStore(tmp.home, log, ['main', 'ops']);
    s.put(entry('main', 'agent:main:telegram:direct:42', 's1'));
    s.put(entry('ops', 'agent:ops:main', 's2'));
    expect(s.get('main', 'agent:main:telegram:direct:42')?.sessionId).toBe('s1');
    expect(s.get('main', 'agent:main:other')).toBeUndefined();
    await s.flush();

    const again = await openSessionStore(tmp.home, log); // agents found under agents/
    expect(again.loadedAgents().sort()).toEqual(['main', 'ops']);
    const key = 'agent:main:telegram:direct:42';
    expect(again.get('main', key)).toEqual(entry('main', key, 's1'));
    expect(again.list('ops').map((e) => e.sessionId)).toEqual(['s2']);
  });

  it('hands out copies, and refuses agents that are not loaded', async () => {
    const s = await openSessionStore(tmp.home, log, ['main']);
    const e = entry('main', 'k', 's1');
    s.put(e);
    e.sessionId = 'changed';
    s.get('main', 'k')!.sessionId = 'changed too';
    expect(s.get('main', 'k')?.sessionId).toBe('s1');

    expect(() => s.get('late', 'k')).toThrow(/not loaded.*store\.load\("late"\)/);
    expect(() => s.put(entry('late', 'k', 's9'))).toThrow(/not loaded/);
    await s.load('late');
    s.put(entry('late', 'k', 's9'));
    expect(s.list('late')).toHaveLength(1);
    await s.flush(); // leave no timer to fire after the temp dir is gone
  });

  it('drops malformed entries with a log line, keeping the rest', async () => {
    const file = statePaths(tmp.home).sessionsJson('main');
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, JSON.stringify({ good: entry('main', 'good', 's1'), bad: 'x' }));
    const s = await openSessionStore(tmp.home, log, ['main']);
    expect(s.list('main').map((e) => e.sessionKey)).toEqual(['good']);
    expect(logs[0]).toMatch(/dropped the entry for "bad"/);
  });
});

describe('transcripts', () => {
  const header = { sessionId: 's1', sessionKey: 'agent:main:main', agentId: 'main', createdAt: 5 };
  const msg = (text: string): TranscriptEntry => ({ type: 'message', ts: 1, message: { role: 'user', text } });
  const textOf = (e: TranscriptEntry): string => (e as { message: { text: string } }).message.text;

  it('writes a versioned header, appends, and reads entries back (unknown types kept)', async () => {
    const t = createTranscriptStore(tmp.home, log);
    expect(await t.read('main', 's1')).toEqual([]);
    await t.create(header);
    await t.append('main', 's1', msg('hi'));
    await t.append('main', 's1', { type: 'future-thing', ts: 2, payload: { a: 1 } });
    await t.create(header); // exists: no truncation
    const file = statePaths(tmp.home).transcript('main', 's1');
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ type: 'header', version: TRANSCRIPT_VERSION, ...header });
    expect(await t.read('main', 's1')).toEqual([msg('hi'), { type: 'future-thing', ts: 2, payload: { a: 1 } }]);
    expect(logs).toEqual([]);
  });

  it('ignores a torn last line with a log, and later appends start on a fresh line', async () => {
    const t = createTranscriptStore(tmp.home, log);
    await t.create(header);
    await t.append('main', 's1', msg('one'));
    const file = statePaths(tmp.home).transcript('main', 's1');
    await appendFile(file, '{"type":"message","ts":2,"mes');
    expect(await t.read('main', 's1')).toEqual([msg('one')]);
    expect(logs.some((l) => l.includes(`${file}:3`) && l.includes('torn last line'))).toBe(true);

    await t.append('main', 's1', msg('two'));
    expect(await t.read('main', 's1')).toEqual([msg('one'), msg('two')]);
  });

  it('serialises concurrent appends so lines never interleave', async () => {
    const t = createTranscriptStore(tmp.home, log);
    await t.create(header);
    const big = 'x'.repeat(100_000);
    await Promise.all(Array.from({ length: 30 }, (_, i) => t.append('main', 's1', msg(`${i}:${big}`))));
    const entries = await t.read('main', 's1');
    expect(entries).toHaveLength(30);
    expect(entries.map((e) => textOf(e).split(':')[0])).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
    expect(logs).toEqual([]);
  });

  it('refuses to append to a transcript that was never created', async () => {
    const t = createTranscriptStore(tmp.home, log);
    await expect(t.append('main', 'nope', msg('x'))).rejects.toThrow(/call create\(\)/);
  });

  it('newSessionId sorts by time and is a valid file name', () => {
    const a = newSessionId(Date.UTC(2026, 0, 1));
    const b = newSessionId(Date.UTC(2026, 0, 1, 0, 0, 0, 1));
    expect(a).toMatch(/^20260101T000000000-[0-9a-f]{12}$/);
    expect([b, a].sort()).toEqual([a, b]);
    expect(newSessionId()).not.toBe(newSessionId());
    expect(() => statePaths(tmp.home).transcript('main', a)).not.toThrow();
  });
});

describe('audit log', () => {
  it('redacts secret-looking values and secret-named keys', () => {
    const out = redactSecrets({
      kind: 'tool',
      sessionKey: 'agent:main:telegram:direct:42',
      inputTokens: 1200,
      apiKey: 'anything',
      nested: { botToken: 'x', password: 'hunter2', list: ['sk-ant-api03-abcdefghijklmnopqrstuv'] },
      command: 'curl -H "Authorization: Bearer abcdefghijklmnop1234" https://x',
      tg: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw',
      hex: 'deadbeefdeadbeefdeadbeefdeadbeef',
      b64: 'aGVsbG8gd29ybGQgdGhpcyBpcyBhIHNlY3JldCBrZXk',
      path: 'agents/main/sessions/20260101T000000000-9f2c4e1a7b3d.jsonl',
      slug: 'a-very-long-but-harmless-kebab-case-skill-name',
    });
    expect(out).toEqual({
      kind: 'tool',
      sessionKey: 'agent:main:telegram:direct:42',
      inputTokens: 1200,
      apiKey: '[redacted]',
      nested: { botToken: '[redacted]', password: '[redacted]', list: ['[redacted]'] },
      command: 'curl -H "Authorization: Bearer [redacted]" https://x',
      tg: '[redacted]',
      hex: '[redacted]',
      b64: '[redacted]',
      path: 'agents/main/sessions/20260101T000000000-9f2c4e1a7b3d.jsonl',
      slug: 'a-very-long-but-harmless-kebab-case-skill-name',
    });
  });

  it('writes one file per UTC day and tails across days, newest last', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 23, 59));
    const audit = createAuditLog(tmp.home, clock, log);
    await audit.append({ kind: 'admin', n: 1, token: 'sk-secretsecretsecretsecret' });
    await audit.append({ kind: 'admin', n: 2 });
    await clock.advance(2 * 60_000); // past midnight UTC
    await audit.append({ kind: 'tool', n: 3 });
    await audit.append({ kind: 'tool', n: 4, ts: Date.UTC(2026, 0, 2, 1) });

    expect((await readdir(statePaths(tmp.home).auditDir)).sort()).toEqual(['2026-01-01.jsonl', '2026-01-02.jsonl']);
    const day1 = await readFile(statePaths(tmp.home).auditFile('2026-01-01'), 'utf8');
    expect(day1).not.toContain('sk-secret');
    expect(day1).toContain('"token":"[redacted]"');

    expect((await audit.tail(3)).map((r) => r.n)).toEqual([2, 3, 4]);
    expect((await audit.tail(2)).map((r) => r.n)).toEqual([3, 4]);
    expect((await audit.tail(10)).map((r) => r.n)).toEqual([1, 2, 3, 4]);
    expect((await audit.tail(1))[0]).toMatchObject({ kind: 'tool', ts: Date.UTC(2026, 0, 2, 1) });
    expect(await createAuditLog(join(tmp.home, 'empty')).tail(5)).toEqual([]);
  });
});

describe('inbound journal', () => {
  const inbound = (messageId: string): Inbound => ({
    channel: 'telegram',
    accountId: 'default',
    chat: { kind: 'direct', id: '42' },
    sender: { id: '42' },
    messageId,
    text: 'hello',
    mentionsBot: true,
    receivedAt: 1,
    raw: { secretPayload: true },
  });
  const accepted = (id: string): JournalEntry => acceptedEntry(id, inbound(id));

  it('never writes Inbound.raw', async () => {
    const j = createInboundJournal(tmp.home, log);
    await j.append(accepted('a'));
    const text = await readFile(statePaths(tmp.home).journal, 'utf8');
    expect(text).not.toContain('secretPayload');
    const [e] = await j.pending();
    expect(e.type === 'accepted' && e.inbound.raw).toBeUndefined();
  });

  it('reports pending work in file order, and compacts to it', async () => {
    const j = createInboundJournal(tmp.home, log);
    expect(await j.pending()).toEqual([]);
    expect(await j.compact()).toEqual({ finished: [] }); // no journal yet: nothing to do
    const reply: JournalEntry = { type: 'reply', ids: ['b'], ts: 3, runId: 'r1', chunks: ['hi'] };
    const sent: JournalEntry = { type: 'sent', ids: ['b'], ts: 4, chunk: 0, messageId: 'm1' };
    await j.append(accepted('a'));
    await j.append(accepted('b'));
    await j.append({ type: 'reply', ids: ['a'], ts: 2, runId: 'r0', chunks: ['x'] });
    await j.append(reply);
    await j.append(sent);
    await j.append({ type: 'done', ids: ['a'], ts: 5 });

    const strip = (e: JournalEntry) => (e.type === 'accepted' ? { ...e, inbound: { ...e.inbound, raw: undefined } } : e);
    const expected = [accepted('b'), reply, sent].map(strip);
    expect((await j.pending()).map(strip)).toEqual(expected);

    expect(await j.compact()).toEqual({ finished: ['a'] });
    const lines = (await readFile(statePaths(tmp.home).journal, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(3);
    expect((await j.pending()).map(strip)).toEqual(expected);
    expect(await readdir(join(tmp.home, 'journal'))).toEqual(['inbound.jsonl']);

    await j.append({ type: 'done', ids: ['b'], ts: 6 });
    expect(await j.compact()).toEqual({ finished: ['b'] });
    expect(await readFile(statePaths(tmp.home).journal, 'utf8')).toBe('');
    expect(logs).toEqual([]);
  });

  it('tolerates a torn last line', async () => {
    const j = createInboundJournal(tmp.home, log);
    await j.append(accepted('a'));
    await appendFile(statePaths(tmp.home).journal, '{"type":"accepted","id":"b","ts":');
    expect((await j.pending()).map((e) => (e.type === 'accepted' ? e.id : e.type))).toEqual(['a']);
    expect(logs.some((l) => l.includes('torn last line'))).toBe(true);
    await j.append({ type: 'done', ids: ['a'], ts: 2 });
    expect(await j.pending()).toEqual([]);
  });
});
