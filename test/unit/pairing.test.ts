import { describe, expect, it } from 'vitest';
import {
  MAX_PENDING_PER_CHANNEL,
  PAIRING_ALPHABET,
  PAIRING_TTL_MS,
  approvePairing,
  denyPairing,
  generatePairingCode,
  isPaired,
  listPairing,
  pairingResponse,
  prunePairing,
  requestPairing,
  type PairingSender,
} from '../../runtime/pairing.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { memoryState } from '../fakes/memory-doc.js';

const freshState = memoryState;

const alice: PairingSender = { channel: 'telegram', accountId: 'default', senderId: '1001', senderName: 'Alice' };
const sender = (id: string, channel: PairingSender['channel'] = 'telegram'): PairingSender => ({ channel, accountId: 'default', senderId: id });

function codeOf(r: ReturnType<typeof requestPairing>): string {
  if (!('code' in r)) throw new Error(`expected a code, got ${JSON.stringify(r)}`);
  return r.code;
}

describe('pairing codes', () => {
  it('are 8 characters from an alphabet without 0, O, 1 and I', () => {
    expect(PAIRING_ALPHABET).toHaveLength(32);
    expect(PAIRING_ALPHABET).not.toMatch(/[0O1I]/);
    for (let i = 0; i < 300; i++) {
      const code = generatePairingCode();
      expect(code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    }
  });

  it('map every byte value onto the alphabet evenly (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (let b = 0; b < 256; b += 8) {
      const bytes = Uint8Array.from({ length: 8 }, (_, i) => b + i);
      for (const ch of generatePairingCode(() => bytes)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect(counts.size).toBe(32);
    expect(new Set(counts.values())).toEqual(new Set([8])); // 256 bytes / 32 symbols
  });

  it('are regenerated when the random source repeats a pending code', () => {
    const state = freshState();
    const seq = [new Uint8Array(8).fill(0), new Uint8Array(8).fill(0), new Uint8Array(8).fill(1)];
    let i = 0;
    const random = () => seq[Math.min(i++, seq.length - 1)];
    const a = codeOf(requestPairing(state, sender('1'), 0, random));
    const b = codeOf(requestPairing(state, sender('2'), 0, random));
    expect(a).toBe('AAAAAAAA');
    expect(b).toBe('BBBBBBBB');
  });
});

describe('requestPairing', () => {
  it('gives the same code again while the request is pending', () => {
    const state = freshState();
    const clock = new FakeClock();
    const first = requestPairing(state, alice, clock.now());
    expect(first).toMatchObject({ isNew: true, expiresAt: clock.now() + PAIRING_TTL_MS });
    const again = requestPairing(state, { ...alice, senderName: 'Alice B' }, clock.now() + 10 * 60_000);
    expect(again).toMatchObject({ code: codeOf(first), isNew: false });
    expect(state.data.pairingRequests).toHaveLength(1);
    expect(state.data.pairingRequests[0]).toMatchObject({ channel: 'telegram', senderId: '1001', senderName: 'Alice' });
  });

  it('expires a code after one hour', async () => {
    const state = freshState();
    const clock = new FakeClock();
    const code = codeOf(requestPairing(state, alice, clock.now()));
    await clock.advance(PAIRING_TTL_MS - 1);
    expect(codeOf(requestPairing(state, alice, clock.now()))).toBe(code);
    expect(listPairing(state, clock.now()).map((r) => r.code)).toEqual([code]);
    await clock.advance(1);
    expect(listPairing(state, clock.now())).toEqual([]);
    expect(approvePairing(state, code, clock.now())).toEqual({ ok: false, reason: 'expired', code });
    expect(isPaired(state, 'telegram', '1001')).toBe(false);
    const next = requestPairing(state, alice, clock.now());
    expect(next).toMatchObject({ isNew: true });
    expect(codeOf(next)).not.toBe(code);
  });

  it('prunes expired requests', async () => {
    const state = freshState();
    const clock = new FakeClock();
    requestPairing(state, sender('1'), clock.now());
    await clock.advance(30 * 60_000);
    requestPairing(state, sender('2'), clock.now());
    await clock.advance(30 * 60_000);
    expect(prunePairing(state, clock.now())).toBe(1);
    expect(state.data.pairingRequests.map((r) => r.senderId)).toEqual(['2']);
    expect(prunePairing(state, clock.now())).toBe(0);
  });

  it('keeps at most 3 pending per channel and ignores more', async () => {
    const state = freshState();
    const clock = new FakeClock();
    expect(MAX_PENDING_PER_CHANNEL).toBe(3);
    for (const id of ['1', '2', '3']) expect(requestPairing(state, sender(id), clock.now())).toMatchObject({ isNew: true });
    expect(requestPairing(state, sender('4'), clock.now())).toEqual({ limited: true });
    expect(state.data.pairingRequests).toHaveLength(3);
    // A pending sender still gets their code; another channel has its own limit.
    expect(requestPairing(state, sender('2'), clock.now())).toMatchObject({ isNew: false });
    expect(requestPairing(state, sender('4', 'webchat'), clock.now())).toMatchObject({ isNew: true });
    // Room again once one expires.
    await clock.advance(PAIRING_TTL_MS);
    expect(requestPairing(state, sender('4'), clock.now())).toMatchObject({ isNew: true });
  });

  it('says so for an already paired sender', () => {
    const state = freshState();
    state.data.pairedSenders.push('telegram:1001');
    expect(requestPairing(state, alice, 0)).toEqual({ paired: true });
  });
});

describe('approve and deny', () => {
  it('approve adds <channel>:<senderId> to pairedSenders and removes the request', () => {
    const state = freshState();
    const code = codeOf(requestPairing(state, alice, 1000));
    const res = approvePairing(state, code.toLowerCase().replace(/^(....)/, '$1-'), 2000);
    expect(res).toMatchObject({ ok: true, senderKey: 'telegram:1001', request: { code, senderId: '1001' } });
    expect(state.data.pairedSenders).toEqual(['telegram:1001']);
    expect(state.data.pairingRequests).toEqual([]);
    expect(isPaired(state, 'telegram', '1001')).toBe(true);
    // Pairing touches nothing else: no bindings, no group access records.
    expect(state.data.bindings).toEqual([]);
    expect(approvePairing(state, code, 3000)).toEqual({ ok: false, reason: 'unknown', code });
    expect(state.data.pairedSenders).toEqual(['telegram:1001']);
  });

  it('deny removes the request without pairing', () => {
    const state = freshState();
    const code = codeOf(requestPairing(state, alice, 0));
    expect(denyPairing(state, code, 1)).toMatchObject({ ok: true });
    expect(state.data.pairingRequests).toEqual([]);
    expect(state.data.pairedSenders).toEqual([]);
    expect(denyPairing(state, 'ZZZZZZZZ', 1)).toEqual({ ok: false, reason: 'unknown', code: 'ZZZZZZZZ' });
    // Asking again later gives a new code.
    expect(requestPairing(state, alice, 2)).toMatchObject({ isNew: true });
  });
});

describe('pairingResponse', () => {
  const dm = { channel: 'telegram' as const, accountId: 'default', sender: { id: '1001', name: 'Alice' } };

  it('tells the sender their code and the owner about a new request, once', () => {
    const state = freshState();
    const first = pairingResponse(state, dm, 0);
    const code = state.data.pairingRequests[0].code;
    expect(first.reply).toContain(`Your pairing code is ${code}`);
    expect(first.reply).toContain(`/pairing approve ${code}`);
    expect(first.reply).toContain('60 minutes');
    expect(first.ownerNotice).toContain('Alice');
    expect(first.ownerNotice).toContain(`/pairing approve ${code}`);
    const second = pairingResponse(state, dm, 60_000);
    expect(second.reply).toContain(code);
    expect(second.ownerNotice).toBeNull();
  });

  it('says nothing when limited or already paired', () => {
    const state = freshState();
    for (const id of ['1', '2', '3']) pairingResponse(state, { ...dm, sender: { id } }, 0);
    expect(pairingResponse(state, dm, 0)).toMatchObject({ reply: null, ownerNotice: null, result: { limited: true } });
    state.data.pairedSenders.push('TELEGRAM:1001');
    expect(pairingResponse(state, dm, 0)).toMatchObject({ reply: null, ownerNotice: null, result: { paired: true } });
  });
});
