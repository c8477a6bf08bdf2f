// End to end: a web chat message through the whole gateway (access, routing, journal, lane, agent loop, the real
// Anthropic SDK against a fake server) and back, with transcript and sessions.json checked on disk.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../fakes/gateway-fixture.js';
import { ChatClient } from '../fakes/gateway-harness.js';

const web = useGateway();

const config = () => ({
  models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url } } },
  agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
});

function bodyText(body: Record<string, unknown>): string {
  return JSON.stringify(body.messages);
}

describe('web chat end to end', () => {
  it('answers a message through the fake provider and persists transcript and session', async () => {
    const h = await web.start({ config: config(), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.script('key-a', { text: 'Hello **alice**, nice to meet you.' });
    const alice = await web.connect('alice');
    alice.send('hi there');
    const reply = await alice.reply();
    expect(reply.text).toBe('Hello **alice**, nice to meet you.');

    const req = web.fake.requests[0];
    expect(req.key).toBe('key-a');
    expect(req.body.model).toBe('claude-test');
    expect(String(req.body.system ?? JSON.stringify(req.body))).toContain('AGENTS.md');
    expect(bodyText(req.body)).toContain('hi there');

    await h.gw.gateway.lanes.idle();
    const sessionsDir = join(h.home, 'agents', 'main', 'sessions');
    const sessions = JSON.parse(await readFile(join(sessionsDir, 'sessions.json'), 'utf8')) as Record<string, { sessionKey: string; sessionId: string }>;
    const entry = sessions['agent:main:webchat:direct:alice'] ?? Object.values(sessions).find((e) => e.sessionKey === 'agent:main:webchat:direct:alice');
    expect(entry).toBeTruthy();
    const lines = (await readFile(join(sessionsDir, `${entry.sessionId}.jsonl`), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'header', version: 1, sessionKey: 'agent:main:webchat:direct:alice', agentId: 'main' });
    const messages = lines.filter((l) => l.type === 'message').map((l) => [l.message.role, l.message.text]);
    expect(messages).toEqual([
      ['user', 'hi there'],
      ['assistant', 'Hello **alice**, nice to meet you.'],
    ]);
    expect(lines.some((l) => l.type === 'event' && l.name === 'run-end' && l.data.status === 'ok')).toBe(true);
    // The run is traceable in the log by its runId, the same one the transcript records.
    const runId = lines.find((l) => l.type === 'event' && l.name === 'run-end').runId;
    expect(h.log.lines.filter((l) => l.data?.runId === runId).map((l) => l.msg)).toEqual(['run start', 'run end']);
  });

  it('keeps two users apart: neither sees the other context', async () => {
    await web.start({ config: config(), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.setDefault((req) => ({ text: `echo ${bodyText(req.body).length}` }));
    const alice = await web.connect('alice');
    const bob = await web.connect('bob');
    alice.send('my secret word is PINEAPPLE');
    await alice.reply();
    bob.send('what is the secret word?');
    await bob.reply();
    alice.send('and again?');
    await alice.reply();

    const bobReqs = web.fake.requests.filter((r) => bodyText(r.body).includes('secret word?'));
    expect(bobReqs).toHaveLength(1);
    expect(bodyText(bobReqs[0].body)).not.toContain('PINEAPPLE');
    const aliceSecond = web.fake.requests.find((r) => bodyText(r.body).includes('and again?'))!;
    expect(bodyText(aliceSecond.body)).toContain('PINEAPPLE');
    expect(bodyText(aliceSecond.body)).not.toContain('secret word?');
    // Replies went only to their own user.
    expect(bob.frames.filter((f) => f.type === 'message')).toHaveLength(1);
    expect(alice.frames.filter((f) => f.type === 'message')).toHaveLength(2);
  });

  it('runs a tool round: the model calls `time`, sees the result, answers', async () => {
    await web.start({ config: config(), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.script('key-a', { toolCalls: [{ id: 'call_1', name: 'time', args: {} }] }, { text: 'It is later than you think.' });
    const alice = await web.connect('alice');
    alice.send('what time is it?');
    expect((await alice.reply()).text).toBe('It is later than you think.');
    expect(web.fake.requests).toHaveLength(2);
    const second = bodyText(web.fake.requests[1].body);
    expect(second).toContain('tool_result');
    expect(second).toContain('call_1');
    expect((web.fake.requests[0].body.tools as { name: string }[]).map((t) => t.name)).toContain('time');
  });

  it('without any model says exactly what to set, and keeps running', async () => {
    const h = await web.start({ env: {} });
    const alice = await web.connect('alice');
    alice.send('hello?');
    const reply = await alice.reply();
    expect(reply.text).toMatch(/ANTHROPIC_API_KEY/);
    expect(reply.text).toMatch(/OPENAI_BASE_URL/);
    expect(h.log.lines.some((l) => l.level === 'warn' && /ANTHROPIC_API_KEY/.test(l.msg))).toBe(true);
    const health = await fetch(`${h.gw.http.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('answers bad frames with a clear error and loses nothing after them', async () => {
    await web.start({ config: config(), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.script('key-a', { text: 'still here' });
    const alice = await web.connect('alice');
    alice.sendRaw('not json');
    expect((await alice.next((f) => f.type === 'error')).error).toMatch(/not JSON/);
    alice.sendRaw(JSON.stringify({ type: 'dance' }));
    expect((await alice.next((f) => f.type === 'error')).error).toMatch(/not a request frame/);
    alice.request('chat.send', { message: '', idempotencyKey: 'k-empty' }, 'k-empty');
    expect((await alice.next((f) => f.type === 'error' && f.id === 'k-empty')).error).toMatch(/message: must not be empty/);
    alice.send('real message');
    expect((await alice.reply()).text).toBe('still here');
  });

  it('guards the WebSocket with the token; /healthz is open and holds no secrets', async () => {
    const h = await web.start({ env: {} });
    await expect(ChatClient.connect(h.gw.http.url, 'wrong-token-wrong-token')).rejects.toThrow(/unauthorized/);
    await expect(ChatClient.connect(h.gw.http.url, 'wc_not-a-real-personal-token-at-all-000000')).rejects.toThrow(/unauthorized/);
    const res = await fetch(`${h.gw.http.url}/healthz`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text).ready).toBe(true);
    expect(text).not.toContain(h.gw.token);
    const page = await (await fetch(`${h.gw.http.url}/`)).text();
    expect(page).toContain('<title>Switchyard</title>');
    expect(page).not.toContain(h.gw.token);
    expect(await readdir(h.home)).toContain('gateway-token');
  });
});

describe('graceful restart', () => {
  it('a run cut short by a stop is run again after the restart, answered once, and not doubled in history', async () => {
    const h = await web.start({ config: config(), env: { ANTHROPIC_API_KEY: 'key-a' } });
    const home = h.home;
    web.fake.script('key-a', { text: 'never finished', hang: true });
    const alice = await web.connect('alice');
    alice.send('long question');
    while (web.fake.requests.length === 0) await new Promise((r) => setTimeout(r, 20));
    await web.stop({ keepHome: true });

    web.fake.script('key-a', { text: 'the answer, after the restart' }, { text: 'second turn' });
    await web.start({ home, config: config(), env: { ANTHROPIC_API_KEY: 'key-a' } });
    const again = await web.connect('alice');
    expect((await again.reply()).text).toBe('the answer, after the restart');
    again.send('follow-up', 'after-restart-1');
    expect((await again.reply()).text).toBe('second turn');
    const last = JSON.stringify(web.fake.requests[web.fake.requests.length - 1].body.messages);
    expect(last.split('long question').length - 1).toBe(1);
    expect(again.frames.filter((f) => f.type === 'message')).toHaveLength(2);
  });
});
