// The control protocol over a real socket against a whole gateway: every bad first frame and its close code, the
// hello-ok, scopes, idempotent retries across a reconnect and a restart, replay from a seq, large and binary frames.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeResponse } from '../fakes/fake-model-server.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { useGateway } from '../fakes/gateway-fixture.js';
import { connectParams, ProtoClient } from '../fakes/protocol-client.js';

const web = useGateway();

const config = () => ({
  models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url } } },
  agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
});
const start = (extra: Record<string, unknown> = {}) => web.start({ config: config(), env: { ANTHROPIC_API_KEY: 'key-a' }, ...extra });

async function personal(name: string): Promise<string> {
  return (await web.h.gw.webchatUsers.invite(name, 'test:owner')).token;
}

/** Opens a raw socket, sends `first` as the first frame, and returns the answer (if any) and the close code. */
async function firstFrame(first: string | Buffer, binary = false): Promise<{ code: number; res?: ProtoClient['frames'][number] }> {
  const c = await ProtoClient.open(web.h.gw.http.url);
  await c.next((f) => f.event === 'connect.challenge');
  c.ws.send(first, { binary });
  const { code } = await c.closed;
  return { code, res: c.frames.find((f) => f.type === 'res') };
}

const req = (params: unknown, method = 'connect') => JSON.stringify({ type: 'req', id: 'c1', method, params });

describe('handshake', () => {
  it('starts with connect.challenge and answers a good connect with hello-ok (protocol 1, methods, events, seq)', async () => {
    await start();
    const c = await ProtoClient.connect(web.h.gw.http.url, web.h.gw.token, 'operator');
    const challenge = c.frames[0];
    expect(challenge).toMatchObject({ type: 'event', event: 'connect.challenge', payload: { nonce: expect.any(String), ts: expect.any(Number) } });
    const hello = c.hello;
    expect(hello).toMatchObject({ type: 'hello-ok', protocol: 1, server: { version: expect.any(String) }, seq: expect.any(Number) });
    const features = hello.features as { methods: string[]; events: string[] };
    for (const m of [
      'health',
      'status',
      'sessions.list',
      'sessions.history',
      'sessions.reset',
      'sessions.abort',
      'chat.send',
      'chat.abort',
      'agents.list',
      'bindings.list',
      'bindings.set',
      'bindings.remove',
      'approvals.list',
      'approvals.resolve',
      'config.get',
      'models.list',
      'channels.status',
      'audit.tail',
      'logs.tail',
    ]) {
      expect(features.methods).toContain(m);
    }
    for (const e of ['agent', 'chat', 'approval.requested', 'approval.resolved', 'session.changed', 'channel.status', 'shutdown', 'tick']) {
      expect(features.events).toContain(e);
    }
    expect(await c.call('health')).toMatchObject({ ok: true, ready: true });
    c.close();
  });

  it('closes every bad first frame with 1008 (after an error where it can), a version mismatch with 1002, a big one with 1009', async () => {
    await start();
    const token = web.h.gw.token;
    const wc = await personal('carol');
    const cases: [string, string | Buffer, number, RegExp | null, boolean?][] = [
      ['not JSON', 'hello?', 1008, /not JSON/],
      ['JSON but not a req', JSON.stringify({ type: 'event', event: 'x' }), 1008, /not a request frame/],
      ['an array', '[1,2]', 1008, /not a request frame/],
      ['another method first', req({}, 'health'), 1008, /first request must be "connect"/],
      ['connect without params', JSON.stringify({ type: 'req', id: 'c1', method: 'connect' }), 1008, /connect: params/],
      ['connect without a client', req({ ...connectParams(token, 'operator'), client: undefined }), 1008, /params\.client/],
      ['an unknown role', req({ ...connectParams(token, 'operator'), role: 'admin' }), 1008, /params\.role/],
      ['a wrong token', req(connectParams('wrong-token-wrong-token', 'operator')), 1008, /token was not accepted/],
      ['the gateway token as webchat', req(connectParams(token, 'webchat')), 1008, /gateway token is the operator's/],
      ['a personal token as operator', req(connectParams(wc, 'operator')), 1008, /personal web chat token/],
      ['a made-up personal token', req(connectParams(`wc_${'A1b2'.repeat(11)}`, 'webchat')), 1008, /not valid/],
      ['binary', Buffer.from(req(connectParams(token, 'operator'))), 1008, /binary frames are not supported/, true],
      ['protocol 2–3 only', req({ ...connectParams(token, 'operator'), minProtocol: 2, maxProtocol: 3 }), 1002, /speaks protocol 1/],
      ['protocol 0 only', req({ ...connectParams(token, 'operator'), minProtocol: 0, maxProtocol: 0 }), 1002, /speaks protocol 1/],
      ['a 70 KiB first frame', req({ ...connectParams(token, 'operator'), pad: 'x'.repeat(70 * 1024) }), 1009, /limited to 65536 bytes/],
    ];
    for (const [name, frame, code, message, binary] of cases) {
      const got = await firstFrame(frame, binary);
      expect(got.code, name).toBe(code);
      if (message) {
        expect(got.res?.ok, name).toBe(false);
        expect(got.res?.error?.message, name).toMatch(message);
      }
    }
    // Invalid UTF-8 is closed by the WebSocket layer itself (1007); the gateway keeps serving.
    expect((await firstFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).code).toBe(1007);
    const ok = await ProtoClient.connect(web.h.gw.http.url, token, 'operator');
    expect((await ok.call('health')).ok).toBe(true);
    ok.close();
  });

  it('closes a connection that does not complete the handshake within 10 s of the injected clock', async () => {
    const clock = new FakeClock(Date.now());
    await start({ clock });
    const slow = await ProtoClient.open(web.h.gw.http.url);
    await slow.next((f) => f.event === 'connect.challenge');
    await clock.advance(9_999);
    const fast = await ProtoClient.open(web.h.gw.http.url);
    await fast.next((f) => f.event === 'connect.challenge');
    await clock.advance(1);
    const { code } = await slow.closed;
    expect(code).toBe(1008);
    expect(slow.frames.find((f) => f.type === 'res')?.error?.message).toMatch(/no connect request within 10 s/);
    // The one opened later still has its own 10 s.
    fast.send(req(connectParams(web.h.gw.token, 'operator')));
    await fast.next((f) => f.type === 'res');
    expect(fast.hello.protocol).toBe(1);
    fast.close();
  });
});

describe('requests', () => {
  it('scopes: a web chat client may chat and read its own history, nothing of the operator', async () => {
    await start();
    web.fake.setDefault(() => ({ text: 'hi carol' }));
    const c = await ProtoClient.connect(web.h.gw.http.url, await personal('carol'), 'webchat');
    expect((c.hello.features as { methods: string[] }).methods.sort()).toEqual(['chat.abort', 'chat.send', 'health', 'sessions.history']);
    for (const [method, params] of [
      ['status', {}],
      ['sessions.list', {}],
      ['config.get', {}],
      ['logs.tail', {}],
      ['audit.tail', {}],
      ['approvals.list', {}],
      ['approvals.resolve', { id: 'ABCDEF', decision: 'allow-once', idempotencyKey: 'k1' }],
      ['bindings.set', { agentId: 'main', match: { channel: 'webchat' }, idempotencyKey: 'k2' }],
      ['sessions.reset', { sessionKey: 'agent:main:webchat:direct:carol', idempotencyKey: 'k3' }],
    ] as const) {
      const res = await c.request(method, params);
      expect(res.error?.code, method).toBe('forbidden');
    }
    const other = await c.request('sessions.history', { sessionKey: 'agent:main:webchat:direct:dave' });
    expect(other.error?.code).toBe('forbidden');
    const into = await c.request('chat.send', { message: 'hi', sessionKey: 'agent:main:webchat:direct:dave', idempotencyKey: 'k4' });
    expect(into.error?.code).toBe('forbidden');
    const to = await c.request('chat.send', { message: 'hi', to: 'telegram:1', idempotencyKey: 'k5' });
    expect(to.error?.code).toBe('forbidden');

    const sent = await c.call('chat.send', { message: 'hello', idempotencyKey: 'k6' });
    expect(sent).toEqual({ status: 'accepted', sessionKey: 'agent:main:webchat:direct:carol', messageId: 'k6' });
    await c.next((f) => f.event === 'chat.message' && f.payload?.role === 'assistant');
    await web.h.gw.gateway.lanes.idle();
    const history = await c.call('sessions.history', {});
    expect(history.messages).toEqual([
      { role: 'user', text: 'hello', ts: expect.any(Number), runId: expect.any(String) },
      { role: 'assistant', text: 'hi carol', ts: expect.any(Number), runId: expect.any(String) },
    ]);
    c.close();
  });

  it('answers unknown methods, bad params, missing and reused idempotency keys without closing', async () => {
    await start();
    const c = await ProtoClient.connect(web.h.gw.http.url, web.h.gw.token, 'operator');
    expect((await c.request('dance')).error?.code).toBe('unknown_method');
    expect((await c.request('sessions.list', { limit: 'many' })).error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/params\.limit/) });
    expect((await c.request('chat.send', { message: 'hi' })).error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/idempotencyKey/) });
    expect((await c.request('connect', connectParams(web.h.gw.token, 'operator'))).error?.message).toMatch(/already connected/);
    await c.call('bindings.set', { agentId: 'main', match: { channel: 'telegram', peer: { kind: 'group', id: '-100' } }, idempotencyKey: 'same' });
    expect((await c.request('chat.send', { message: 'hi', idempotencyKey: 'same' })).error?.code).toBe('conflict');
    expect((await c.request('sessions.reset', { sessionKey: 'agent:main:nope', idempotencyKey: 'r1' })).error?.code).toBe('not_found');
    expect((await c.call('health')).ok).toBe(true);
    c.close();
  });

  it('binary and over-long frames after connect: an error for the first, 1009 for a frame over 256 KiB; a long but valid one is fine', async () => {
    await start();
    const c = await ProtoClient.connect(web.h.gw.http.url, await personal('carol'), 'webchat');
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await c.next((f) => f.type === 'res' && f.id === null)).error).toMatchObject({ code: 'bad_frame', message: expect.stringMatching(/binary/) });
    const tooLong = await c.request('chat.send', { message: 'y'.repeat(100_000), idempotencyKey: 'long' });
    expect(tooLong.error?.message).toMatch(/100000 characters; the limit is 16000/);
    expect((await c.call('health')).ok).toBe(true);
    c.send({ type: 'req', id: 'big', method: 'health', params: { pad: 'x'.repeat(300 * 1024) } });
    expect((await c.closed).code).toBe(1009);
  });
});

/** A model that holds each request until the test releases it. */
function gatedModel() {
  const held: ((r: FakeResponse) => void)[] = [];
  let arrived = 0;
  web.fake.setDefault(
    () =>
      new Promise<FakeResponse>((release) => {
        arrived++;
        held.push(release);
      }),
  );
  return {
    arrived: () => arrived,
    release: (r: FakeResponse) => held.shift()!(r),
  };
}

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('idempotency', () => {
  it('a chat.send retried on a new connection (the first dropped before its answer) is answered once', async () => {
    await start();
    const model = gatedModel();
    const token = await personal('carol');
    const first = await ProtoClient.connect(web.h.gw.http.url, token, 'webchat');
    first.send({ type: 'req', id: 'a', method: 'chat.send', params: { message: 'only once please', idempotencyKey: 'msg-1' } });
    first.ws.terminate(); // gone before the answer
    const again = await ProtoClient.connect(web.h.gw.http.url, token, 'webchat');
    const res = await again.call('chat.send', { message: 'only once please', idempotencyKey: 'msg-1' });
    expect(res).toMatchObject({ status: 'accepted', messageId: 'msg-1' });
    const third = await again.call('chat.send', { message: 'only once please', idempotencyKey: 'msg-1' });
    expect(third).toEqual(res);
    await until(() => model.arrived() === 1, 'the model call');
    model.release({ text: 'answered' });
    await again.next((f) => f.event === 'chat.message' && f.payload?.role === 'assistant');
    await web.h.gw.gateway.lanes.idle();
    expect(model.arrived()).toBe(1);
    expect(again.events('chat.message').filter((f) => f.payload?.role === 'assistant')).toHaveLength(1);
    again.close();
  });

  it('a side effect retried after a gateway restart returns the first answer and does not act again', async () => {
    await start();
    web.fake.setDefault(() => ({ text: 'the answer' }));
    const token = await personal('carol');
    const c = await ProtoClient.connect(web.h.gw.http.url, token, 'webchat');
    const first = await c.call('chat.send', { message: 'question', idempotencyKey: 'restart-1' });
    await c.next((f) => f.event === 'chat.message' && f.payload?.role === 'assistant');
    const op = await ProtoClient.connect(web.h.gw.http.url, web.h.gw.token, 'operator');
    const bound = await op.call('bindings.set', { agentId: 'main', match: { channel: 'telegram', peer: { kind: 'group', id: '-42' } }, idempotencyKey: 'bind-1' });
    await web.h.gw.gateway.lanes.idle();
    const seqBefore = web.h.gw.plane.seq();
    const home = await web.stop({ keepHome: true });

    await start({ home });
    const c2 = await ProtoClient.connect(web.h.gw.http.url, token, 'webchat');
    expect(c2.hello.seq).toBeGreaterThanOrEqual(seqBefore);
    expect(await c2.call('chat.send', { message: 'question', idempotencyKey: 'restart-1' })).toEqual(first);
    const op2 = await ProtoClient.connect(web.h.gw.http.url, web.h.gw.token, 'operator');
    expect(await op2.call('bindings.set', { agentId: 'main', match: { channel: 'telegram', peer: { kind: 'group', id: '-42' } }, idempotencyKey: 'bind-1' })).toEqual(
      bound,
    );
    expect(((await op2.call('bindings.list')).bindings as unknown[]).length).toBe(1);
    await web.h.gw.gateway.lanes.idle();
    expect(web.fake.requests).toHaveLength(1);
    const stored = await readFile(join(home, 'control', 'idempotency.jsonl'), 'utf8');
    expect(stored).toContain('restart-1');
    c2.close();
    op2.close();
  });
});

describe('replay', () => {
  it('a client that reconnects with resumeFrom gets every event it missed, in order, then live ones', async () => {
    await start();
    web.fake.setDefault(() => ({ text: 'streamed answer', chunkSize: 4 }));
    const op = await ProtoClient.connect(web.h.gw.http.url, web.h.gw.token, 'operator');
    const from = op.hello.seq as number;
    op.ws.terminate();

    const carol = await ProtoClient.connect(web.h.gw.http.url, await personal('carol'), 'webchat');
    await carol.call('chat.send', { message: 'while the operator was away', idempotencyKey: 'away-1' });
    await carol.next((f) => f.event === 'chat.message' && f.payload?.role === 'assistant');
    await web.h.gw.gateway.lanes.idle();

    const back = await ProtoClient.connect(web.h.gw.http.url, web.h.gw.token, 'operator', { resumeFrom: from });
    expect(back.hello.resume).toMatchObject({ from, complete: true });
    expect(back.events().filter((f) => f.seq !== undefined).length).toBeGreaterThanOrEqual((back.hello.resume as { replayed: number }).replayed);
    // Replayed, then live (events still being written when it reconnected): no gap, no repeat, in order.
    await back.next((f) => f.event === 'chat' && f.payload?.state === 'final');
    await back.next((f) => f.event === 'session.changed' && f.payload?.reason === 'run-end');
    const replayed = back.events().filter((f) => f.seq !== undefined);
    const seqs = replayed.map((f) => f.seq!);
    expect(seqs[0], JSON.stringify(replayed.slice(0, 3))).toBe(from + 1);
    expect(seqs).toEqual(seqs.map((_, i) => from + 1 + i));
    const names = replayed.map((f) => f.event);
    for (const e of ['chat.message', 'session.changed', 'agent', 'chat']) expect(names).toContain(e);
    const chat = replayed.filter((f) => f.event === 'chat');
    expect(
      chat
        .filter((f) => f.payload?.state === 'delta')
        .map((f) => f.payload?.text)
        .join(''),
    ).toBe('streamed answer');
    expect(chat.at(-1)?.payload).toMatchObject({ state: 'final', text: 'streamed answer', sessionKey: 'agent:main:webchat:direct:carol' });
    const upTo = seqs[seqs.length - 1];

    // Then live: the next run's events arrive with higher seqs.
    await carol.call('chat.send', { message: 'and now live', idempotencyKey: 'live-1' });
    const live = await back.next((f) => f.event === 'chat' && f.payload?.state === 'final' && f.seq! > upTo);
    expect(live.payload?.text).toBe('streamed answer');
    back.close();
    carol.close();
  });

  it('a web chat client resuming gets only its own messages, and its other tabs see what it sent', async () => {
    await start();
    web.fake.setDefault(() => ({ text: 'ok' }));
    const carolToken = await personal('carol');
    const tab1 = await ProtoClient.connect(web.h.gw.http.url, carolToken, 'webchat');
    const tab2 = await ProtoClient.connect(web.h.gw.http.url, carolToken, 'webchat');
    const from = tab1.hello.seq as number;
    const dave = await ProtoClient.connect(web.h.gw.http.url, await personal('dave'), 'webchat');
    await dave.call('chat.send', { message: 'dave secret', idempotencyKey: 'd1' });
    await tab1.call('chat.send', { message: 'carol here', idempotencyKey: 'c1' });
    const echo = await tab2.next((f) => f.event === 'chat.message' && f.payload?.role === 'user');
    expect(echo.payload).toMatchObject({ userId: 'carol', text: 'carol here', messageId: 'c1' });
    await tab2.next((f) => f.event === 'chat.message' && f.payload?.role === 'assistant');
    await web.h.gw.gateway.lanes.idle();
    await web.h.gw.plane.flush();
    const tab3 = await ProtoClient.connect(web.h.gw.http.url, carolToken, 'webchat', { resumeFrom: from });
    const seen = JSON.stringify(tab3.events());
    expect(seen).toContain('carol here');
    expect(seen).not.toContain('dave secret');
    expect(
      tab3
        .events()
        .filter((f) => f.seq !== undefined)
        .every((f) => ['chat', 'chat.message'].includes(f.event!)),
    ).toBe(true);
    expect(tab3.events('chat').every((f) => f.payload?.sessionKey === 'agent:main:webchat:direct:carol')).toBe(true);
    for (const c of [tab1, tab2, tab3, dave]) c.close();
  });
});

describe('web chat identity (personal credentials)', () => {
  it('a second socket cannot become "victim": the id is the credential\'s, and the victim\'s replies reach only the victim', async () => {
    await start({ config: { ...config(), commands: { ownerAllowFrom: ['webchat:boss'] } } });
    web.fake.setDefault(() => ({ text: 'for the victim only' }));
    const victim = await ProtoClient.connect(web.h.gw.http.url, await personal('victim'), 'webchat');
    const mallory = await personal('mallory');
    // Claiming the id anywhere in the connect request changes nothing: the token decides.
    const impostor = await ProtoClient.connect(web.h.gw.http.url, mallory, 'webchat', { user: 'victim', client: { id: 'victim', version: '1' } });
    expect(impostor.hello.auth).toEqual({ role: 'webchat', userId: 'mallory' });
    // The gateway token is the operator's and cannot open a web chat connection as anyone.
    await expect(ProtoClient.connect(web.h.gw.http.url, web.h.gw.token, 'webchat', { user: 'victim' })).rejects.toThrow(/operator's/);
    await victim.call('chat.send', { message: 'my secret', idempotencyKey: 'v1' });
    await victim.next((f) => f.event === 'chat.message' && f.payload?.role === 'assistant');
    await web.h.gw.gateway.lanes.idle();
    expect(JSON.stringify(impostor.frames)).not.toContain('for the victim only');
    expect(JSON.stringify(impostor.frames)).not.toContain('my secret');
    expect((await impostor.request('sessions.history', { sessionKey: 'agent:main:webchat:direct:victim' })).error?.code).toBe('forbidden');
    // An invited user is not an owner: only the named webchat:boss is.
    await impostor.call('chat.send', { message: '/approvals', idempotencyKey: 'm1' });
    expect((await impostor.next((f) => f.event === 'chat.message' && f.payload?.role === 'assistant')).payload?.text).toMatch(/owner only/);
    for (const c of [victim, impostor]) c.close();
  });

  it('/webchat invite answers with the personal link; the token is stored only as a hash; re-inviting revokes the old link', async () => {
    await start({ config: { ...config(), commands: { ownerAllowFrom: ['webchat:owner'] } } });
    const owner = await ProtoClient.connect(web.h.gw.http.url, web.h.gw.token, 'operator');
    await owner.call('chat.send', { message: '/webchat invite Victim', idempotencyKey: 'inv-1' });
    const answer = (await owner.next((f) => f.event === 'chat.message' && f.payload?.role === 'assistant')).payload!.text as string;
    const link = /http:\/\/127\.0\.0\.1:\d+\/#token=(wc_[A-Za-z0-9_-]+)/.exec(answer);
    expect(link, answer).not.toBeNull();
    const token = link![1];
    await web.h.gw.gateway.lanes.idle();
    const state = await readFile(join(web.h.home, 'state.json'), 'utf8');
    expect(state).not.toContain(token);
    expect(state).toContain('"userId": "victim"');
    const events = await readFile(join(web.h.home, 'control', 'events.jsonl'), 'utf8');
    expect(events).not.toContain(token);
    const victim = await ProtoClient.connect(web.h.gw.http.url, token, 'webchat');
    expect(victim.hello.auth).toEqual({ role: 'webchat', userId: 'victim' });
    // A new invitation replaces the credential: the open tab is closed and the old link refused.
    await owner.call('chat.send', { message: '/webchat invite victim', idempotencyKey: 'inv-2' });
    expect((await victim.closed).code).toBe(1008);
    await expect(ProtoClient.connect(web.h.gw.http.url, token, 'webchat')).rejects.toThrow(/not valid/);
    owner.close();
  });
});
