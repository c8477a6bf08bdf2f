import { describe, expect, it } from 'vitest';
import { decodeMessage, decodeUpsert, type DecodeContext } from '../../bots/whatsapp/inbound.js';
import type { Inbound } from '../../runtime/types/channel.js';
import { loadWaFixtures, textFrom, waMessage } from '../fakes/fake-whatsapp.js';

// As Baileys puts them in sock.user: with the device suffix.
const ctx: DecodeContext = { accountId: 'default', me: { pn: '15550001111:7@s.whatsapp.net', lid: '99000111:7@lid' }, receivedAt: 1_767_225_600_000 };

const facts = (m: Inbound) => {
  const { channel: _c, accountId: _a, receivedAt: _r, raw: _raw, ...rest } = m;
  return rest;
};

describe('decodeUpsert (fixtures in test/fixtures/whatsapp)', () => {
  const fixtures = loadWaFixtures();

  it('has the fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
  });

  for (const f of fixtures) {
    it(`${f.name}: ${f.about}`, () => {
      const msg = waMessage(f.message, f.key);
      const out = decodeUpsert({ messages: [msg], type: f.upsertType ?? 'notify' }, ctx);
      if (f.expect === null) {
        expect(out).toEqual([]);
        return;
      }
      expect(out).toHaveLength(1);
      expect(facts(out[0])).toEqual(f.expect);
      expect(out[0]).toMatchObject({ channel: 'whatsapp', accountId: 'default', receivedAt: ctx.receivedAt });
      expect(out[0].raw).toBe(msg);
    });
  }
});

describe('identity: one person, one sender id', () => {
  const ANA_PN = '15551234567@s.whatsapp.net';
  const ANA_LID = '201234567890123@lid';

  it('a LID without alt is reported by phone number when the caller knows the pair', () => {
    const m = decodeMessage(textFrom({ jid: ANA_LID }, 'hi'), { ...ctx, pnForLid: (lid) => (lid === ANA_LID ? ANA_PN : undefined) });
    expect(m?.sender.id).toBe('+15551234567');
    expect(m?.chat).toEqual({ kind: 'direct', id: ANA_PN });
  });

  it('the pair learned from the alt field beats an unrelated lookup answer (the alt is what WhatsApp said)', () => {
    const m = decodeMessage(textFrom({ jid: ANA_LID, alt: ANA_PN }, 'hi'), { ...ctx, pnForLid: () => '447700900123@s.whatsapp.net' });
    expect(m?.sender.id).toBe('+15551234567');
  });

  it('phone number first, LID second: both orders give the same sender', () => {
    const a = decodeMessage(textFrom({ jid: ANA_PN, alt: ANA_LID }, 'one'), ctx);
    const b = decodeMessage(textFrom({ jid: ANA_LID, alt: ANA_PN }, 'two'), ctx);
    expect(a?.sender.id).toBe(b?.sender.id);
    expect(a?.chat.id).toBe(b?.chat.id);
  });

  it('two people with the same push name stay two senders', () => {
    const a = decodeMessage(textFrom({ jid: ANA_PN, name: 'Sam' }, 'x'), ctx);
    const b = decodeMessage(textFrom({ jid: '447700900123@s.whatsapp.net', name: 'Sam' }, 'y'), ctx);
    expect(a?.sender.id).not.toBe(b?.sender.id);
  });

  it('in a group the sender is the participant, the chat is the group', () => {
    const m = decodeMessage(textFrom({ jid: ANA_LID, alt: ANA_PN, group: '120363012345678901@g.us' }, 'hey'), ctx);
    expect(m?.chat).toEqual({ kind: 'group', id: '120363012345678901@g.us' });
    expect(m?.sender.id).toBe('+15551234567');
  });
});

describe('odd payloads are skipped, never thrown', () => {
  const odd: unknown[] = [
    null,
    {},
    { key: null },
    { key: { remoteJid: 42, id: 'x' } },
    { key: { remoteJid: '1@s.whatsapp.net' } },
    { key: { remoteJid: 'garbage', id: 'x' }, message: { conversation: 'hi' } },
    { key: { remoteJid: '1@s.whatsapp.net', id: 'x' }, message: { conversation: '   ' } },
    { key: { remoteJid: '1@s.whatsapp.net', id: 'x' }, message: { ephemeralMessage: { message: null } } },
    { key: { remoteJid: '120363012345678901@g.us', id: 'x' }, message: { conversation: 'no participant' } },
    { key: { remoteJid: '1@s.whatsapp.net', id: 'x' }, message: { extendedTextMessage: { text: 'hi', contextInfo: { mentionedJid: 'not-a-list' } } } },
  ];
  for (const [i, o] of odd.entries()) {
    it(`case ${i}`, () => {
      expect(() => decodeUpsert({ messages: [o as never], type: 'notify' }, ctx)).not.toThrow();
    });
  }

  it('a broken message does not hide the good one beside it', () => {
    const good = textFrom({ jid: '15551234567@s.whatsapp.net' }, 'still here');
    const out = decodeUpsert({ messages: [{ key: { remoteJid: 42 } } as never, good], type: 'notify' }, ctx);
    expect(out.map((m) => m.text)).toEqual(['still here']);
  });

  it('an upsert without a message list decodes to nothing', () => {
    expect(decodeUpsert({ messages: undefined as never, type: 'notify' }, ctx)).toEqual([]);
  });
});
