// Telling a person privately, through the whole gateway: approval prompts, owner notices and pairing answers go
// through Channel.openDirect and the one delivery path (chunked, journaled). An owner on two platforms is told on
// the platform the matter came from, else through the first ownerAllowFrom entry that reaches them, and may answer
// an approval with a plain yes/no in their DM on any platform. Real grammY and Anthropic SDK clients against fakes
// on 127.0.0.1; web chat over a real WebSocket.
import { afterEach, describe, expect, it } from 'vitest';
import { ChatClient } from '../fakes/gateway-harness.js';
import type { SentMessage } from '../fakes/fake-telegram.js';
import { GROUP, MEMBER, MODEL_KEY, OWNER, STRANGER, startTelegramGateway, until, type Json, type TelegramGateway } from '../fakes/telegram-gateway.js';

const TOPIC = 7;
let g: TelegramGateway | undefined;
const clients: ChatClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await g?.stop();
  g = undefined;
});

const inTopic = (m: SentMessage) => m.chatId === GROUP && m.threadId === TOPIC;
const toOwner = (m: SentMessage) => m.chatId === OWNER;

async function webUser(user: string): Promise<ChatClient> {
  const c = await ChatClient.as(g!.h.gw, user);
  clients.push(c);
  return c;
}

/** The owner is one person on Telegram and in the web chat (linked identities). */
const OWNER_ON_TWO_PLATFORMS: Json = {
  commands: { ownerAllowFrom: [`telegram:${OWNER}`, 'webchat:boss'] },
  session: { identityLinks: { boss: [`telegram:${OWNER}`, 'webchat:boss'] } },
  channels: { webchat: { enabled: true, dmPolicy: 'pairing' } },
  agents: { defaults: { sandbox: { mode: 'off' } } },
  tools: { exec: { ask: 'always' } },
};

describe('approval prompts', () => {
  it('a 4,200-character command reaches the owner in chunks Telegram accepts; a reply to any chunk answers it', async () => {
    g = await startTelegramGateway();
    const command = `echo ${'x'.repeat(4_200)}`;
    g.model.script(MODEL_KEY, { toolCalls: [{ id: 'call_exec', name: 'exec', args: { command } }] }, { text: 'done' });
    g.inTopic(MEMBER, TOPIC, 'please run it');

    await until(() => g!.tg.sent.filter(toOwner).reduce((n, m) => n + m.visibleText.length, 0) >= command.length, 'the whole prompt');
    const parts = g.tg.sent.filter(toOwner);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    for (const p of parts) expect(p.visibleText.length).toBeLessThanOrEqual(4096);
    expect(parts[0].text).toContain('Approval needed');
    expect(
      parts
        .map((p) => p.visibleText)
        .join('')
        .replace(/\s/g, ''),
    ).toContain(command.replace(/\s/g, ''));

    g.dm(OWNER, 'no', parts.at(-1)!.messageId);
    const decided = await g.sent((m) => inTopic(m) && m.text.includes(`denied by telegram:${OWNER}`));
    expect(decided.text).toContain('Approval');
  });

  it('an owner on two platforms is asked on the one the request came from, and may answer "yes" in their DM on the other', async () => {
    g = await startTelegramGateway({ config: OWNER_ON_TWO_PLATFORMS });
    const boss = await webUser('boss');
    g.model.script(MODEL_KEY, { toolCalls: [{ id: 'call_exec', name: 'exec', args: { command: 'echo approved-run' } }] }, { text: 'all done' });
    g.inTopic(MEMBER, TOPIC, 'please run it');

    const prompt = await g.sent((m) => toOwner(m) && m.text.includes('Approval needed'));
    const id = /id ([A-Z0-9]{6})/.exec(prompt.text)![1];
    // Told once, on Telegram: the web chat got nothing.
    expect(boss.frames.filter((f) => f.type === 'message')).toEqual([]);

    // A plain "yes" in the owner's web chat DM: the only pending approval, so it is the answer.
    boss.send('yes');
    const confirmation = await boss.reply();
    expect(confirmation.text).toContain(`Approval ${id}`);
    expect(confirmation.text).toContain('approved once by webchat:boss');
    await g.sent((m) => inTopic(m) && m.text === 'all done');
    await g.h.gw.gateway.lanes.idle();
    // The "yes" was an answer, never a turn for the model.
    expect(g.model.requests.map((r) => JSON.stringify(r.body.messages))).not.toContainEqual(expect.stringContaining('"yes"'));
  });

  it('with two approvals pending a plain "yes" answers neither and says how to choose', async () => {
    g = await startTelegramGateway({ config: { ...OWNER_ON_TWO_PLATFORMS, messages: { queue: { mode: 'followup' } } } });
    g.model.setDefault(() => ({ toolCalls: [{ id: 'c', name: 'exec', args: { command: 'echo one' } }] }));
    g.inTopic(MEMBER, TOPIC, 'first');
    g.inTopic(MEMBER, 8, 'second');
    await until(() => g!.tg.sent.filter((m) => toOwner(m) && m.text.includes('Approval needed')).length === 2, 'two prompts');
    g.dm(OWNER, 'yes');
    const answer = await g.sent((m) => toOwner(m) && m.text.includes('2 approvals are waiting'));
    expect(answer.text).toContain('reply to the request you mean');
    expect(g.h.gw.gateway.lanes.status(`agent:main:telegram:group:${GROUP}:topic:${TOPIC}`).active).toBe(true);
  });
});

describe('owner notices and pairing answers', () => {
  it('a pairing request is announced on the platform it came from', async () => {
    g = await startTelegramGateway({ config: OWNER_ON_TWO_PLATFORMS });
    const boss = await webUser('boss');
    const stranger = await webUser('stranger');
    stranger.send('hello');
    expect((await stranger.reply()).text).toMatch(/pairing code is [A-Z2-9]{8}/);
    const notice = await boss.next((f) => f.type === 'message' && (f.text ?? '').includes('Pairing request'));
    expect(notice.text).toContain('webchat id stranger');

    g.dm(STRANGER, 'hi from telegram');
    await g.sent((m) => toOwner(m) && m.text.includes(`telegram id ${STRANGER}`));
    // Each notice went to one platform only.
    expect(g.tg.sent.filter((m) => toOwner(m) && m.text.includes('webchat id stranger'))).toEqual([]);
    expect(boss.frames.filter((f) => (f.text ?? '').includes(`telegram id ${STRANGER}`))).toEqual([]);
  });

  it('an owner not reachable on the platform of the request is told through their first entry that reaches them', async () => {
    // One person with three entries: discord:9 comes first, but no Discord channel runs; the first web chat entry
    // reaches them, so the second is not told again.
    g = await startTelegramGateway({
      config: {
        commands: { ownerAllowFrom: ['discord:9', 'webchat:boss', 'webchat:boss-laptop'] },
        session: { identityLinks: { boss: ['discord:9', 'webchat:boss', 'webchat:boss-laptop'] } },
        channels: { webchat: { enabled: true } },
      },
    });
    const boss = await webUser('boss');
    const laptop = await webUser('boss-laptop');
    g.dm(STRANGER, 'hello');
    const notice = await boss.next((f) => f.type === 'message' && (f.text ?? '').includes('Pairing request'));
    expect(notice.text).toContain(`telegram id ${STRANGER}`);
    g.dm(STRANGER, 'hello again'); // a sync point: the first message's notices went out before this answer
    await until(() => g!.sentTo(STRANGER).length === 2, 'the second answer to the stranger');
    expect(laptop.frames.filter((f) => f.type === 'message')).toEqual([]);
  });

  it('an approved pairing is told to the person who asked, privately, on the bot they wrote to', async () => {
    g = await startTelegramGateway();
    g.dm(STRANGER, 'hello');
    const code = /pairing code is ([A-Z2-9]{8})/.exec((await g.sent((m) => m.chatId === STRANGER)).text)![1];
    g.dm(OWNER, `/pairing approve ${code}`);
    const told = await g.sent((m) => m.chatId === STRANGER && m.text.includes('approved your request'));
    expect(told.text).toContain('Send your message again');
  });
});
