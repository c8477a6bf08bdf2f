// WhatsApp end to end through the WHOLE gateway: Baileys events on the socket seam (the only fake is WhatsApp's
// side of the socket), access, routing, journal, lanes, the agent loop with the real Anthropic SDK against the fake
// model server, and the answers encoded by Baileys' generateWAMessage.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialsDir } from '../../bots/whatsapp/credentials.js';
import { FakeClock } from '../fakes/fake-clock.js';
import type { FakeRequest } from '../fakes/fake-anthropic.js';
import { until } from '../fakes/telegram-gateway.js';
import { GROUP, MEMBER, MODEL_KEY, OWNER, STRANGER, startWhatsAppGateway, type WhatsAppGateway } from '../fakes/whatsapp-gateway.js';

let g: WhatsAppGateway | undefined;
afterEach(async () => {
  await g?.stop();
  g = undefined;
});

function lastUserText(req: FakeRequest): string {
  const messages = req.body.messages as { role: string; content: unknown }[];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return (last.content as { type: string; text?: string }[]).map((b) => b.text ?? '').join('\n');
}

async function start(config?: Record<string, unknown>, clock?: FakeClock) {
  g = await startWhatsAppGateway({ config, clock });
  g.model.setDefault((req) => ({ text: `reply to: ${lastUserText(req)}` }));
  return g;
}

async function sessionKeys(home: string): Promise<string[]> {
  try {
    return Object.keys(JSON.parse(await readFile(join(home, 'agents', 'main', 'sessions', 'sessions.json'), 'utf8')));
  } catch {
    return []; // not written yet (coalesced writes); callers poll
  }
}

describe('WhatsApp through the whole gateway', () => {
  it('answers a DM in the DM, in WhatsApp formatting, with composing and a read receipt', async () => {
    await start();
    g!.model.setDefault(() => ({ text: '**Hello** there' }));
    const q = g!.dm(MEMBER, 'hi bot');
    const r = await g!.waitSent((m) => m.jid === MEMBER.jid, 'the answer');
    expect(r.text).toBe('*Hello* there');
    // No quote in a DM.
    expect(r.message.message?.extendedTextMessage?.contextInfo?.stanzaId ?? undefined).toBeUndefined();
    expect(g!.sock().presences).toContainEqual({ type: 'composing', jid: MEMBER.jid });
    expect(
      g!
        .sock()
        .reads.flat()
        .map((k) => k.id),
    ).toContain(q.key.id);
    await until(async () => (await sessionKeys(g!.h.home)).includes('agent:main:whatsapp:direct:+447700900123'), 'the DM session');
  });

  it('a LID sender whose phone number (alt) is on the allowlist is let in, and is the same session as by number', async () => {
    await start();
    g!.dm(MEMBER, 'first, by LID', { by: 'lid' });
    await g!.waitSent((m) => m.text === 'reply to: first, by LID', 'the first answer');
    g!.dm(MEMBER, 'second, by number', { by: 'pn' });
    await g!.waitSent((m) => m.text === 'reply to: second, by number', 'the second answer');
    expect(g!.sent().every((m) => m.jid === MEMBER.jid)).toBe(true);
    // One person, one session: the second turn saw the first.
    expect(JSON.stringify(g!.model.requests[1].body.messages)).toContain('first, by LID');
    await until(async () => (await sessionKeys(g!.h.home)).includes('agent:main:whatsapp:direct:+447700900123'), 'the session');
    expect((await sessionKeys(g!.h.home)).filter((k) => k.includes('whatsapp'))).toEqual(['agent:main:whatsapp:direct:+447700900123']);
  });

  it('a sender known only by LID does not pass an allowlist of numbers, and is told their id', async () => {
    await start();
    g!.dm(STRANGER, 'let me in', { by: 'lid-only' });
    const r = await g!.waitSent((m) => m.jid === STRANGER.lid, 'the refusal');
    expect(r.text).toContain(STRANGER.lid);
    expect(g!.model.requests).toEqual([]);
  });

  it('in a group answers only when mentioned (by LID) or replied to, quoting the question', async () => {
    await start();
    g!.inGroup(MEMBER, 'just chatting');
    const q = g!.inGroup(MEMBER, '@99000111 what is 2+2?', { mention: true });
    const r = await g!.waitSent((m) => m.jid === GROUP, 'the group answer');
    expect(r.text).toMatch(/^reply to: .*@99000111 what is 2\+2\?$/);
    const ctx = r.message.message?.extendedTextMessage?.contextInfo;
    expect(ctx?.stanzaId).toBe(q.key.id);
    expect(ctx?.participant).toBe(MEMBER.lid);
    // The unaddressed message never reached the model.
    expect(g!.model.requests.map((x) => JSON.stringify(x.body.messages)).join()).not.toContain('just chatting');

    g!.inGroup(MEMBER, 'and 3+3?', { replyTo: r.message.key.id! });
    await g!.waitSent((m) => m.jid === GROUP && m.text.includes('and 3+3?'), 'the answer to a reply');
    expect(g!.sent().filter((m) => m.jid === GROUP)).toHaveLength(2);
    await until(async () => (await sessionKeys(g!.h.home)).includes(`agent:main:whatsapp:group:${GROUP}`), 'the group session');
  });

  it("the number's own messages are never answered", async () => {
    await start();
    const mine = g!.dm(MEMBER, 'placeholder');
    await g!.waitSent((m) => m.text === 'reply to: placeholder', 'sync');
    const before = g!.model.requests.length;
    const own = { ...mine, key: { ...mine.key, id: 'OWN1', fromMe: true } };
    g!.sock().upsert([own as never]);
    g!.dm(MEMBER, 'after');
    await g!.waitSent((m) => m.text === 'reply to: after', 'the next answer');
    expect(g!.model.requests).toHaveLength(before + 1);
  });

  it('a disappearing message is unwrapped and the answer disappears too', async () => {
    await start();
    g!.dm(MEMBER, 'secret plans', { ephemeral: 86400 });
    const r = await g!.waitSent((m) => m.text === 'reply to: secret plans', 'the answer');
    expect(r.message.message?.extendedTextMessage?.contextInfo?.expiration).toBe(86400);
  });

  it('a long answer is sent in parts of at most 4,000 characters without breaking a code block', async () => {
    await start();
    const code = Array.from({ length: 150 }, (_, i) => `line ${i}: ${'x'.repeat(30)}`).join('\n');
    const long = `${'Intro paragraph. '.repeat(150)}\n\n\`\`\`ts\n${code}\n\`\`\`\n\n${'Closing words. '.repeat(100)}`;
    g!.model.setDefault(() => ({ text: long }));
    g!.inGroup(MEMBER, 'write a lot', { mention: true });
    await until(
      () =>
        g!
          .sent()
          .map((m) => m.text)
          .join('')
          .includes('Closing words. Closing words.') && g!.sent().length >= 3,
      'every part',
    );
    await g!.h.gw.gateway.lanes.idle();
    const parts = g!.sent().filter((m) => m.jid === GROUP);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const p of parts) {
      expect(p.text.length).toBeLessThanOrEqual(4000);
      expect(p.text.split('\n').filter((l) => l.trim() === '```').length % 2).toBe(0);
    }
    // Only the first part quotes the question.
    expect(parts[0].message.message?.extendedTextMessage?.contextInfo?.stanzaId).toBeTruthy();
    expect(parts.slice(1).every((p) => !p.message.message?.extendedTextMessage?.contextInfo?.stanzaId)).toBe(true);
    const joined = parts.map((p) => p.text).join('\n');
    for (const i of [0, 75, 149]) expect(joined).toContain(`line ${i}: `);
  });

  it('an approval reaches the owner by DM (their phone-number JID) and a reply there decides it', async () => {
    await start({ agents: { defaults: { sandbox: { mode: 'off' } } }, tools: { exec: { ask: 'always' } } });
    g!.model.script(MODEL_KEY, { toolCalls: [{ id: 'call_exec', name: 'exec', args: { command: 'echo approved-run' } }] }, { text: 'all done' });
    g!.inGroup(MEMBER, 'please run it', { mention: true });
    const prompt = await g!.waitSent((m) => m.jid === OWNER.jid && m.text.includes('Approval needed'), "the prompt in the owner's DM");
    // The owner answers by replying to the prompt (quoting it), by LID: still the owner.
    g!.dm(OWNER, 'yes', { by: 'lid', replyTo: prompt.message.key.id! });
    await g!.waitSent((m) => m.jid === GROUP && m.text === 'all done', 'the run finishing');
    // The group is told of the decision in the background: it may arrive just after the answer.
    await g!.waitSent((m) => m.jid === GROUP && /approved once by whatsapp:\+15551234567/.test(m.text), 'the decision notice in the group');
    const toolResult = JSON.stringify(g!.model.requests[1].body.messages);
    expect(toolResult).toContain('approved-run');
  });

  it('a plain "yes" in the owner\'s DM answers the only pending approval', async () => {
    await start({ agents: { defaults: { sandbox: { mode: 'off' } } }, tools: { exec: { ask: 'always' } } });
    g!.model.script(MODEL_KEY, { toolCalls: [{ id: 'call_exec', name: 'exec', args: { command: 'echo plain-yes' } }] }, { text: 'finished' });
    g!.dm(MEMBER, 'run it');
    await g!.waitSent((m) => m.jid === OWNER.jid && m.text.includes('Approval needed'), 'the prompt');
    g!.dm(OWNER, 'yes');
    await g!.waitSent((m) => m.jid === MEMBER.jid && m.text === 'finished', 'the run finishing');
  });

  it('logged out (401): that account stops with one clear line, its credentials move aside, the gateway keeps running', async () => {
    await start();
    g!.sock().close(401);
    await until(() => g!.h.log.lines.some((l) => l.level === 'error' && l.msg.startsWith('WhatsApp logged out')), 'the logged-out line');
    const lines = g!.h.log.lines.filter((l) => l.level === 'error' && l.msg.includes('logged out'));
    expect(lines).toHaveLength(1);
    expect(lines[0].msg).toContain('npm run login -- whatsapp');
    const dir = credentialsDir(g!.h.home, 'default');
    await until(() => !existsSync(dir), 'the credentials moved aside');
    expect((await readdir(join(g!.h.home, 'credentials', 'whatsapp'))).some((n) => n.startsWith('default.logged-out-'))).toBe(true);
    const health = await fetch(`${g!.h.gw.http.url}/healthz`);
    expect(health.status).toBe(200);
    expect(g!.sockets).toHaveLength(1);
  });

  it('reconnects on the injected clock: 1 s, then 2 s, and answers on the new socket', async () => {
    const clock = new FakeClock(Date.now());
    await start({ messages: { queue: { mode: 'followup' } } }, clock);
    g!.sock().close(408);
    await clock.advance(999);
    expect(g!.sockets).toHaveLength(1);
    await clock.advance(1);
    await until(() => g!.sockets.length === 2, 'the first reconnect');
    await until(() => g!.h.log.lines.filter((l) => l.msg === 'whatsapp: connected').length === 2, 'the second connection open');
    g!.sock().close(428);
    await clock.advance(1999);
    expect(g!.sockets).toHaveLength(2);
    await clock.advance(1);
    await until(() => g!.sockets.length === 3, 'the second reconnect');
    await until(() => g!.h.log.lines.filter((l) => l.msg === 'whatsapp: connected').length === 3, 'the third connection open');
    g!.dm(MEMBER, 'are you back?');
    for (let i = 0; i < 200 && !g!.sent().some((m) => m.socket === 2); i++) {
      await clock.advance(100);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(g!.sent().find((m) => m.socket === 2)?.text).toBe('reply to: are you back?');
  });
});
