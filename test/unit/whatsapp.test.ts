// The WhatsApp channel through its socket seam: Baileys' own event emitter and message encoding on a fake socket,
// the real credential files (useMultiFileAuthState) in a temp home, time on a fake clock.
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WhatsAppChannel } from '../../bots/whatsapp/index.js';
import { whatsappConfigSchema, type WhatsAppConfigInput } from '../../bots/whatsapp/config.js';
import { credentialsDir } from '../../bots/whatsapp/credentials.js';
import { createWhatsAppModule } from '../../bots/whatsapp/module.js';
import { ChannelSendError, type Channel, type Inbound } from '../../runtime/types/channel.js';
import { FakeClock, flushMicrotasks } from '../fakes/fake-clock.js';
import { BOT_PN, closeError, fakeSocketFactory, type FakeWaSocket, textFrom, writeLinkedCreds } from '../fakes/fake-whatsapp.js';
import { memoryLogger } from '../fakes/gateway-harness.js';
import { useTempHome } from '../fakes/temp-home.js';

const ANA = { jid: '15551234567@s.whatsapp.net', name: 'Ana' };
const GROUP = '120363012345678901@g.us';

const t = useTempHome('sy-wa-');
let clock: FakeClock;
let log: ReturnType<typeof memoryLogger>;
let inbound: Inbound[];
let running: Channel[];

beforeEach(() => {
  clock = new FakeClock();
  log = memoryLogger();
  inbound = [];
  running = [];
});

afterEach(async () => {
  for (const c of running) await c.stop();
});

async function setup(opts: { cfg?: WhatsAppConfigInput; open?: boolean; random?: number; link?: boolean } = {}) {
  const factory = fakeSocketFactory((s) => {
    // As a real socket does: events come after I/O, once the caller has attached its listeners.
    if (opts.open !== false) setImmediate(() => s.open());
  });
  const dir = credentialsDir(t.home, 'default');
  if (opts.link !== false) await writeLinkedCreds(dir);
  const mod = createWhatsAppModule({ makeSocket: factory, random: () => opts.random ?? 0.5 });
  const cfg = whatsappConfigSchema.parse(opts.cfg ?? {});
  const channels = await mod.create(cfg, { log, env: {}, home: t.home, clock, offsets: { get: () => undefined, set: () => {} } });
  running.push(...channels);
  const ch = channels[0] as WhatsAppChannel | undefined;
  if (ch) {
    const started = ch.start((m) => void inbound.push(m));
    if (opts.open === false) {
      while (factory.sockets.length === 0) await flushMicrotasks(1);
      await clock.advance(10_000);
    }
    await started;
  }
  return { ch: ch!, channels, factory, dir, sock: () => factory.sockets[factory.sockets.length - 1] };
}

describe('linking state decides whether WhatsApp runs', () => {
  it('no config: no channel', async () => {
    const mod = createWhatsAppModule({ makeSocket: fakeSocketFactory() });
    expect(await mod.create(undefined, { log, env: {}, home: t.home, clock, offsets: { get: () => undefined, set: () => {} } })).toEqual([]);
  });

  it('configured but not linked: no channel, one line naming the login command', async () => {
    const { channels, factory } = await setup({ link: false });
    expect(channels).toEqual([]);
    expect(factory.sockets).toHaveLength(0);
    const lines = log.lines.filter((l) => l.level !== 'debug');
    expect(lines).toHaveLength(1);
    expect(lines[0].msg).toContain('npm run login -- whatsapp');
    expect(lines[0].msg).toContain('not linked');
  });

  it('a pairing that was never confirmed (creds without the signed device identity) is not linked', async () => {
    const dir = credentialsDir(t.home, 'work');
    await writeLinkedCreds(dir);
    const creds = JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8'));
    delete creds.account;
    await (await import('node:fs/promises')).writeFile(join(dir, 'creds.json'), JSON.stringify(creds));
    const mod = createWhatsAppModule({ makeSocket: fakeSocketFactory() });
    const cfg = whatsappConfigSchema.parse({ accounts: { work: {} } });
    const channels = await mod.create(cfg, { log, env: {}, home: t.home, clock, offsets: { get: () => undefined, set: () => {} } });
    expect(channels).toEqual([]);
    expect(log.lines.map((l) => l.msg).join('\n')).toContain('npm run login -- whatsapp --account work');
  });

  it('the credentials folder is owner-only (0700) once the account runs', async () => {
    const { dir } = await setup();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });
});

describe('inbound', () => {
  it('a DM reaches the runtime with the sender as a phone number', async () => {
    const { sock } = await setup();
    sock().upsert([textFrom(ANA, 'hello')]);
    await flushMicrotasks();
    expect(inbound.map((m) => [m.chat.id, m.sender.id, m.text])).toEqual([[ANA.jid, '+15551234567', 'hello']]);
  });

  it('fromMe messages and history appends never reach the runtime', async () => {
    const { sock } = await setup();
    const mine = textFrom(ANA, 'sent by the bot');
    mine.key.fromMe = true;
    sock().upsert([mine]);
    sock().upsert([textFrom(ANA, 'old')], 'append');
    await flushMicrotasks();
    expect(inbound).toEqual([]);
  });

  it("a LID sender without alt is resolved through Baileys' LID store", async () => {
    const { sock } = await setup();
    sock().lidMap.set('201234567890123@lid', ANA.jid);
    sock().upsert([textFrom({ jid: '201234567890123@lid' }, 'hi')]);
    await flushMicrotasks();
    expect(inbound[0]?.sender.id).toBe('+15551234567');
    expect(inbound[0]?.chat.id).toBe(ANA.jid);
  });

  it('a pair learned from one message serves a later message that has no alt', async () => {
    const { sock } = await setup();
    sock().upsert([textFrom({ jid: '201234567890123@lid', alt: ANA.jid }, 'first')]);
    sock().upsert([textFrom({ jid: '201234567890123@lid' }, 'second')]);
    await flushMicrotasks();
    expect(inbound.map((m) => m.sender.id)).toEqual(['+15551234567', '+15551234567']);
  });

  it('an unexpected failure before decoding (the LID store throwing) loses that upsert only', async () => {
    const { sock } = await setup();
    (sock().signalRepository.lidMapping as { getPNForLID: unknown }).getPNForLID = () => {
      throw new Error('store corrupted');
    };
    sock().upsert([textFrom({ jid: '201234567890123@lid' }, 'lost')]);
    sock().upsert([textFrom(ANA, 'still heard')]);
    await vi.waitFor(() => expect(inbound.map((m) => m.text)).toEqual(['still heard']));
    expect(log.lines.some((l) => l.level === 'error' && l.msg.includes('could not be handed'))).toBe(true);
  });

  it('messages are handed on in order, one at a time, and a runtime error loses only that message', async () => {
    const factory = fakeSocketFactory((s) => setImmediate(() => s.open()));
    await writeLinkedCreds(credentialsDir(t.home, 'default'));
    const [ch] = await createWhatsAppModule({ makeSocket: factory }).create(whatsappConfigSchema.parse({}), {
      log,
      env: {},
      home: t.home,
      clock,
      offsets: { get: () => undefined, set: () => {} },
    });
    running.push(ch);
    const seen: string[] = [];
    let busy = false;
    await ch.start(async (m) => {
      expect(busy).toBe(false);
      busy = true;
      await flushMicrotasks(2);
      busy = false;
      if (m.text === 'b') throw new Error('journal full');
      seen.push(m.text);
    });
    factory.sockets[0].upsert([textFrom(ANA, 'a'), textFrom(ANA, 'b')]);
    factory.sockets[0].upsert([textFrom(ANA, 'c')]);
    await flushMicrotasks(40);
    expect(seen).toEqual(['a', 'c']);
    expect(log.lines.find((l) => l.level === 'error')?.msg).toContain('did not accept');
  });
});

describe('outbound', () => {
  it('an answer is rendered as WhatsApp formatting and sent to the chat', async () => {
    const { ch, sock } = await setup();
    const res = await ch.send({ to: { kind: 'direct', id: ANA.jid }, text: '**Done**: see `notes.md`' });
    expect(sock().sent).toHaveLength(1);
    expect(sock().sent[0].jid).toBe(ANA.jid);
    expect(sock().texts()).toEqual(['*Done*: see `notes.md`']);
    expect(res.messageId).toBe(sock().sent[0].message.key.id);
  });

  it('plain text goes out as is', async () => {
    const { ch, sock } = await setup();
    await ch.send({ to: { kind: 'direct', id: ANA.jid }, text: '**literally**', format: 'plain' });
    expect(sock().texts()).toEqual(['**literally**']);
  });

  it('a +E.164 chat id (an owner named in config) is sent to the phone-number JID', async () => {
    const { ch, sock } = await setup();
    await ch.send({ to: { kind: 'direct', id: '+15551234567' }, text: 'hi' });
    expect(sock().sent[0].jid).toBe(ANA.jid);
  });

  it('in a group the answer quotes the question', async () => {
    const { ch, sock } = await setup();
    const q = textFrom({ ...ANA, group: GROUP }, '@15550001111 weather?', { contextInfo: { mentionedJid: [BOT_PN] } });
    sock().upsert([q]);
    await flushMicrotasks();
    await ch.send({ to: inbound[0].chat, text: 'Sunny.', replyToId: inbound[0].messageId });
    const ctx = sock().sent[0].message.message?.extendedTextMessage?.contextInfo;
    expect(ctx?.stanzaId).toBe(q.key.id);
    expect(ctx?.participant).toBe(ANA.jid);
    expect(ctx?.quotedMessage?.extendedTextMessage?.text).toBe('@15550001111 weather?');
  });

  it('a reply to a message the adapter no longer remembers goes out unquoted', async () => {
    const { ch, sock } = await setup();
    await ch.send({ to: { kind: 'group', id: GROUP }, text: 'hello', replyToId: 'UNKNOWN' });
    expect(sock().sent[0].message.message?.extendedTextMessage?.contextInfo?.stanzaId ?? undefined).toBeUndefined();
  });

  it('in a disappearing chat the answer disappears too', async () => {
    const { ch, sock } = await setup();
    sock().upsert([textFrom(ANA, 'secret', { ephemeral: 604800 })]);
    await flushMicrotasks();
    expect(inbound[0].text).toBe('secret');
    await ch.send({ to: inbound[0].chat, text: 'noted' });
    expect(sock().sent[0].message.message?.extendedTextMessage?.contextInfo?.expiration).toBe(604800);
  });

  it('URLs get no link preview (the gateway fetches nothing the model wrote)', async () => {
    const { ch, sock } = await setup();
    await ch.send({ to: { kind: 'direct', id: ANA.jid }, text: 'see https://example.org' });
    const ext = sock().sent[0].message.message?.extendedTextMessage;
    expect(ext?.title ?? undefined).toBeUndefined();
    expect(ext?.matchedText ?? undefined).toBeUndefined();
  });

  it('typing shows "composing" and marks the chat\'s messages read', async () => {
    const { ch, sock } = await setup();
    const m = textFrom(ANA, 'hi');
    sock().upsert([m]);
    await flushMicrotasks();
    await ch.typing(inbound[0].chat);
    expect(sock().presences).toEqual([{ type: 'composing', jid: ANA.jid }]);
    expect(sock().reads).toEqual([[m.key]]);
    // Already read: not sent again.
    await ch.typing(inbound[0].chat);
    expect(sock().reads).toHaveLength(1);
  });

  it('sendReadReceipts: false sends none', async () => {
    const { ch, sock } = await setup({ cfg: { sendReadReceipts: false } });
    sock().upsert([textFrom(ANA, 'hi')]);
    await flushMicrotasks();
    await ch.typing(inbound[0].chat);
    await ch.send({ to: inbound[0].chat, text: 'ok' });
    expect(sock().reads).toEqual([]);
  });

  it("a per-account sendReadReceipts overrides the channel's", async () => {
    await writeLinkedCreds(credentialsDir(t.home, 'quiet'));
    const { ch, sock } = await setup({ cfg: { accounts: { quiet: { sendReadReceipts: false } } }, link: false });
    expect(ch.accountId).toBe('quiet');
    sock().upsert([textFrom(ANA, 'hi')]);
    await flushMicrotasks();
    await ch.send({ to: inbound[0].chat, text: 'ok' });
    expect(sock().reads).toEqual([]);
  });

  it("an empty text or a chat that is not WhatsApp's is refused, permanently", async () => {
    const { ch } = await setup();
    await expect(ch.send({ to: { kind: 'direct', id: ANA.jid }, text: '  ' })).rejects.toMatchObject({ permanent: true });
    await expect(ch.send({ to: { kind: 'direct', id: 'alice' }, text: 'x' })).rejects.toMatchObject({ permanent: true });
  });

  it('a send that fails with "connection closed" (nothing left) goes out on the next connection', async () => {
    const { ch, factory } = await setup();
    factory.sockets[0].sendFailures.push(closeError(428, 'Connection Closed'));
    const p = ch.send({ to: { kind: 'direct', id: ANA.jid }, text: 'hello' });
    await flushMicrotasks();
    factory.sockets[0].close(428);
    await clock.advance(1000);
    await p;
    expect(factory.sockets).toHaveLength(2);
    expect(factory.sockets[1].texts()).toEqual(['hello']);
  });

  it('a send whose fate is unknown (timed out) is not repeated', async () => {
    const { ch, sock } = await setup();
    sock().sendFailures.push(closeError(408, 'Timed Out'));
    const err = await ch.send({ to: { kind: 'direct', id: ANA.jid }, text: 'once' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelSendError);
    expect(sock().sent).toHaveLength(0);
  });

  it('a send while disconnected waits for the reconnect', async () => {
    const { ch, factory } = await setup();
    factory.sockets[0].close(408);
    let done = false;
    const p = ch.send({ to: { kind: 'direct', id: ANA.jid }, text: 'later' }).then(() => (done = true));
    await clock.advance(500);
    expect(done).toBe(false);
    await clock.advance(500);
    await p;
    expect(factory.sockets[1].texts()).toEqual(['later']);
  });

  it('openDirect gives the phone-number JID, also for a LID it can resolve', async () => {
    const { ch, sock } = await setup();
    expect(await ch.openDirect('+1 555 123 4567')).toEqual({ kind: 'direct', id: ANA.jid });
    sock().lidMap.set('201234567890123@lid', ANA.jid);
    expect(await ch.openDirect('201234567890123@lid')).toEqual({ kind: 'direct', id: ANA.jid });
    await expect(ch.openDirect('alice')).rejects.toBeInstanceOf(ChannelSendError);
  });
});

describe('connection loop', () => {
  it('reconnects with backoff 1 s, 2 s, 4 s … capped at 60 s', async () => {
    const { factory } = await setup();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      factory.sockets[factory.sockets.length - 1].close(408);
      const before = factory.sockets.length;
      let waited = 0;
      while (factory.sockets.length === before) {
        await clock.advance(250);
        waited += 250;
        if (waited > 120_000) throw new Error('no reconnect');
      }
      waits.push(waited);
      // The new socket opens (queued by the factory) but closes again before a healthy minute.
      await flushMicrotasks();
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('jitter spreads the wait ±25 % around the backoff, never past 60 s', async () => {
    for (const [random, first] of [
      [0, 750],
      [0.999, 1250],
    ] as const) {
      const { factory } = await setup({ random });
      factory.sockets[0].close(500);
      await clock.advance(first - 1);
      expect(factory.sockets).toHaveLength(1);
      await clock.advance(1);
      expect(factory.sockets).toHaveLength(2);
      for (const c of running.splice(0)) await c.stop();
    }
  });

  it('a connection that stays up a minute resets the backoff', async () => {
    const { factory } = await setup();
    const last = () => factory.sockets[factory.sockets.length - 1];
    for (let i = 0; i < 3; i++) {
      last().close(408);
      await clock.advance(2 ** i * 1000);
    }
    expect(factory.sockets).toHaveLength(4);
    await clock.advance(60_000);
    last().close(408);
    await clock.advance(999);
    expect(factory.sockets).toHaveLength(4);
    await clock.advance(1);
    expect(factory.sockets).toHaveLength(5);
  });

  it('515 restart required: a new socket at once', async () => {
    const { ch, factory } = await setup();
    factory.sockets[0].close(515);
    await flushMicrotasks();
    expect(factory.sockets).toHaveLength(2);
    expect(ch.state).toBe('open');
  });

  it('events of a replaced socket are ignored', async () => {
    const { factory } = await setup();
    factory.sockets[0].close(515);
    await flushMicrotasks();
    factory.sockets[0].close(408);
    await clock.advance(120_000);
    expect(factory.sockets).toHaveLength(2);
  });

  it('401 logged out: the account stops, credentials are moved aside, one clear line, no retrying', async () => {
    const { ch, factory, dir } = await setup();
    factory.sockets[0].close(401);
    // Moving the folder is real file I/O.
    await vi.waitFor(() => expect(log.lines.some((l) => l.level === 'error')).toBe(true));
    expect(ch.state).toBe('logged-out');
    const errors = log.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].msg).toMatch(/^WhatsApp logged out: run npm run login -- whatsapp again/);
    expect(existsSync(dir)).toBe(false);
    const aside = (await readdir(join(t.home, 'credentials', 'whatsapp'))).filter((n) => n.startsWith('default.logged-out-'));
    expect(aside).toHaveLength(1);
    expect(errors[0].msg).toContain(aside[0]);
    await clock.advance(10 * 60_000);
    expect(factory.sockets).toHaveLength(1);
    await expect(ch.send({ to: { kind: 'direct', id: ANA.jid }, text: 'x' })).rejects.toMatchObject({ permanent: true });
  });

  it('start() does not wait for ever when WhatsApp cannot be reached', async () => {
    const { ch, factory } = await setup({ open: false });
    expect(factory.sockets).toHaveLength(1);
    expect(ch.state).toBe('connecting');
  });

  it('credentials that cannot be opened stop only this account, with a line naming the login command', async () => {
    await writeLinkedCreds(credentialsDir(t.home, 'default'));
    const factory = fakeSocketFactory();
    const mod = createWhatsAppModule({
      makeSocket: factory,
      openAuth: async (dir) => {
        throw Object.assign(new Error(`EACCES: permission denied, open '${dir}/creds.json'`), { code: 'EACCES' });
      },
    });
    const [ch] = await mod.create(whatsappConfigSchema.parse({}), { log, env: {}, home: t.home, clock, offsets: { get: () => undefined, set: () => {} } });
    running.push(ch);
    await ch.start(() => {});
    expect((ch as WhatsAppChannel).state).toBe('stopped');
    expect(factory.sockets).toHaveLength(0);
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([expect.stringContaining('npm run login -- whatsapp')]);
    await expect(ch.send({ to: { kind: 'direct', id: ANA.jid }, text: 'x' })).rejects.toMatchObject({ permanent: true });
  });

  it('stop() ends the socket and nothing reconnects', async () => {
    const { ch, factory } = await setup();
    await ch.stop();
    expect(factory.sockets[0].ended).toBe(true);
    await clock.advance(120_000);
    expect(factory.sockets).toHaveLength(1);
    expect(ch.state).toBe('stopped');
  });

  it('creds.update is written to creds.json every time', async () => {
    const { factory, dir } = await setup();
    const s = factory.sockets[0] as FakeWaSocket;
    const creds = s.req!.auth.creds;
    for (const n of [41, 42]) {
      creds.nextPreKeyId = n;
      s.ev.emit('creds.update', { nextPreKeyId: n });
      // A real file write.
      await vi.waitFor(async () => expect(JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8')).nextPreKeyId).toBe(n));
    }
  });
});
