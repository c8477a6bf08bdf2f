// `login whatsapp`: the link flow on a socket the test drives (QR, pairing code, 515, linked), and one smoke test
// of a real makeWASocket against a 127.0.0.1 server that speaks the handshake, where Baileys itself makes the QR code
// and the pairing-code request.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { credentialsDir, readLinkState } from '../../bots/whatsapp/credentials.js';
import { linkWhatsApp, terminalQr } from '../../bots/whatsapp/login.js';
import { makeBaileysSocket } from '../../bots/whatsapp/real-socket.js';
import { createLoginCommand } from '../../runtime/cli/login.js';
import type { ChannelLogin } from '../../runtime/types/login.js';
import { fakeSocketFactory, memoryAuth, writeLinkedCreds, type FakeWaSocket } from '../fakes/fake-whatsapp.js';
import { startFakeWaServer, trustTestCa, type FakeWaServer } from '../fakes/fake-whatsapp-server.js';
import { useTempHome } from '../fakes/temp-home.js';

const t = useTempHome('sy-wa-login-');

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, isTTY: false, env: {} },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

/** Waits on real I/O (sockets, files): polls the condition, up to 10 s. */
const until = (cond: () => boolean, what: string) =>
  vi.waitFor(
    () => {
      if (!cond()) throw new Error(`not yet: ${what}`);
    },
    { timeout: 10_000, interval: 5 },
  );

describe('login flow (socket seam)', () => {
  it('QR, pairing code, 515 restart, then "linked as", credentials saved, exit 0', async () => {
    const c = captureIo();
    const auth = memoryAuth();
    const factory = fakeSocketFactory();
    const done = linkWhatsApp({ accountId: 'default', phone: '+1 555 123 4567', home: t.home }, c.io, {
      makeSocket: factory,
      openAuth: async () => auth,
      renderQr: async (qr) => `[QR ${qr}]`,
    });
    await until(() => factory.sockets.length === 1, 'first socket');
    const first = factory.sockets[0];
    first.ev.emit('connection.update', { qr: 'https://wa.me/settings/linked_devices#ref1,abc' });
    await until(() => c.out().includes('-2345'), 'pairing code');
    expect(first.pairingRequests).toEqual(['15551234567']);
    expect(c.out()).toContain('[QR https://wa.me/settings/linked_devices#ref1,abc]');
    expect(c.out()).toContain('ABCD-2345');
    // A refreshed QR is not printed again under a pairing code, and no second code is asked for.
    first.ev.emit('connection.update', { qr: 'https://wa.me/settings/linked_devices#ref2,abc' });
    await new Promise((r) => setImmediate(r));
    expect(c.out()).not.toContain('ref2');
    expect(first.pairingRequests).toHaveLength(1);

    first.ev.emit('creds.update', {});
    first.close(515);
    await until(() => factory.sockets.length === 2, 'socket after 515');
    const second = factory.sockets[1] as FakeWaSocket;
    second.user = { id: '15551234567:21@s.whatsapp.net' };
    second.open();
    expect(await done).toBe(0);
    expect(c.out()).toContain('linked as +15551234567');
    expect(second.ended).toBe(true);
    expect(auth.saves).toBeGreaterThanOrEqual(2);
  });

  it('without --phone every new QR is printed and no pairing code is asked for', async () => {
    const c = captureIo();
    const factory = fakeSocketFactory();
    const done = linkWhatsApp({ accountId: 'default', home: t.home }, c.io, {
      makeSocket: factory,
      openAuth: async () => memoryAuth(),
      renderQr: async (qr) => `[QR ${qr}]`,
    });
    await until(() => factory.sockets.length === 1, 'socket');
    factory.sockets[0].ev.emit('connection.update', { qr: 'Q1' });
    factory.sockets[0].ev.emit('connection.update', { qr: 'Q2' });
    await until(() => c.out().includes('[QR Q2]'), 'second QR');
    expect(factory.sockets[0].pairingRequests).toEqual([]);
    factory.sockets[0].ev.emit('connection.update', {
      connection: 'close',
      lastDisconnect: { error: Object.assign(new Error('QR refs attempts ended'), { output: { statusCode: 408 } }), date: new Date() },
    });
    expect(await done).toBe(1);
    expect(c.err()).toContain('the QR code expired without being scanned');
  });

  it('a logged-out close ends with a clear message and exit 1', async () => {
    const c = captureIo();
    const factory = fakeSocketFactory((s) => setImmediate(() => s.close(401)));
    expect(await linkWhatsApp({ accountId: 'default', home: t.home }, c.io, { makeSocket: factory, openAuth: async () => memoryAuth() })).toBe(1);
    expect(c.err()).toContain('refused the link (401)');
  });

  it('an account that is already linked is left alone', async () => {
    await writeLinkedCreds(credentialsDir(t.home, 'default'), '15550001111:7@s.whatsapp.net');
    const c = captureIo();
    const factory = fakeSocketFactory();
    expect(await linkWhatsApp({ accountId: 'default', home: t.home }, c.io, { makeSocket: factory, openAuth: async () => memoryAuth() })).toBe(0);
    expect(c.out()).toContain('already linked as +15550001111');
    expect(factory.sockets).toHaveLength(0);
  });

  it('a phone number without a country code is refused before anything connects', async () => {
    const c = captureIo();
    const factory = fakeSocketFactory();
    expect(await linkWhatsApp({ accountId: 'default', phone: '5551234567', home: t.home }, c.io, { makeSocket: factory })).toBe(1);
    expect(c.err()).toContain('E.164');
    expect(factory.sockets).toHaveLength(0);
  });

  it('draws a real QR code for the terminal', async () => {
    const art = await terminalQr('https://wa.me/settings/linked_devices#ref,key,id,adv,1');
    expect(art.split('\n').length).toBeGreaterThan(15);
    expect(art).toMatch(/[▀▄█]/);
  });
});

describe('login command', () => {
  const runs: unknown[] = [];
  const fake: ChannelLogin = {
    channel: 'whatsapp',
    run: async (req) => {
      runs.push(req);
      return 0;
    },
  };
  const cmd = createLoginCommand({ logins: [fake], home: (env) => env.SWITCHYARD_HOME ?? '/nowhere' });

  afterEach(() => void (runs.length = 0));

  it('passes channel, account, phone and home on', async () => {
    const c = captureIo();
    expect(await cmd.run(['whatsapp', '--account', 'work', '--phone', '+15551234567'], { ...c.io, env: { SWITCHYARD_HOME: '/srv/sy' } })).toBe(0);
    expect(runs).toEqual([{ accountId: 'work', phone: '+15551234567', home: '/srv/sy' }]);
    expect(await cmd.run(['WhatsApp'], { ...c.io, env: { SWITCHYARD_HOME: '/srv/sy' } })).toBe(0);
    expect(runs[1]).toEqual({ accountId: 'default', phone: undefined, home: '/srv/sy' });
  });

  it('refuses what it cannot do, with usage', async () => {
    for (const argv of [[], ['telegram'], ['whatsapp', '--account'], ['whatsapp', '--account', '../x'], ['whatsapp', '--bogus'], ['whatsapp', 'extra']]) {
      const c = captureIo();
      expect(await cmd.run(argv, c.io), JSON.stringify(argv)).toBe(2);
      expect(c.err()).toMatch(/login/);
    }
    expect(runs).toEqual([]);
  });
});

describe('smoke: a real Baileys socket against a local WhatsApp Web handshake', () => {
  let server: FakeWaServer | undefined;
  let untrust: (() => void) | undefined;
  afterEach(async () => {
    untrust?.();
    await server?.close();
  });

  it('produces the QR code and the pairing code', async () => {
    untrust = trustTestCa();
    server = await startFakeWaServer();
    const c = captureIo();
    const qrs: string[] = [];
    const done = linkWhatsApp({ accountId: 'default', phone: '+15551234567', home: t.home }, c.io, {
      makeSocket: (req) => makeBaileysSocket(req, { waWebSocketUrl: server!.url }),
      renderQr: async (qr) => {
        qrs.push(qr);
        return terminalQr(qr);
      },
    });
    const s = server;
    await until(() => s.received.some((n) => n.tag === 'iq' && Array.isArray(n.content) && n.content[0]?.tag === 'link_code_companion_reg'), 'pairing-code request');

    // The QR Baileys made: the server's ref, then the keys it will pair with (from the credentials on disk).
    const creds = JSON.parse(await readFile(join(credentialsDir(t.home, 'default'), 'creds.json'), 'utf8'));
    const noiseKey = Buffer.from(creds.noiseKey.public.data, 'base64').toString('base64');
    expect(qrs[0]).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@test-ref-1,/);
    expect(qrs[0].split('#')[1].split(',')[1]).toBe(noiseKey);
    expect(c.out()).toMatch(/[▀▄█]/);

    // The pairing code printed is the one Baileys sent for this number.
    const code = /\n {4}([0-9A-Z]{4})-([0-9A-Z]{4})\n/.exec(c.out());
    expect(code).not.toBeNull();
    const reg = s.received.find((n) => Array.isArray(n.content) && n.content[0]?.tag === 'link_code_companion_reg')!;
    expect((reg.content as { attrs: Record<string, string> }[])[0].attrs.jid).toBe('15551234567@s.whatsapp.net');
    // …and the one saved in the credentials (creds.update is written every time).
    await vi.waitFor(async () => {
      const saved = JSON.parse(await readFile(join(credentialsDir(t.home, 'default'), 'creds.json'), 'utf8'));
      expect(saved.pairingCode).toBe(`${code![1]}${code![2]}`);
    });

    // The server hangs up without a link: login says so and fails, nothing counts as linked.
    s.closeClients();
    expect(await done).toBe(1);
    expect(c.err()).toContain('Linking stopped');
    expect((await readLinkState(credentialsDir(t.home, 'default'))).linked).toBe(false);
  });
});
