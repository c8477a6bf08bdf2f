// A reply that keeps failing is recorded (audit) and reported to the owner, not retried forever; the gateway
// keeps serving other chats.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeModelServer } from './fakes/fake-anthropic.js';
import { FakeTelegram } from './fakes/fake-telegram.js';
import { ChatClient, startHarness, type Harness } from './fakes/gateway-harness.js';

let model: FakeModelServer;
let tg: FakeTelegram;
let h: Harness | undefined;
let owner: ChatClient | undefined;

beforeEach(async () => {
  model = await startFakeAnthropic();
  tg = await new FakeTelegram().start();
});
afterEach(async () => {
  owner?.close();
  await h?.stop();
  h = undefined;
  await tg.close();
  await model.close();
});

describe('failed delivery', () => {
  it('a reply Telegram refuses for good is audited and reported to the owner once', async () => {
    h = await startHarness({
      env: { ANTHROPIC_API_KEY: 'key-a' },
      config: {
        models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: model.url } } },
        agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
        commands: { ownerAllowFrom: ['webchat:owner'] },
        channels: { telegram: { botToken: tg.defaultToken, apiRoot: tg.apiRoot, dmPolicy: 'open' } },
      },
    });
    owner = await ChatClient.connect(h.gw.http.url, h.gw.token, 'owner');
    model.setDefault(() => ({ text: 'an answer nobody will see' }));
    tg.failNext('sendMessage', { status: 403, description: 'Forbidden: bot was blocked by the user' }, 1);
    tg.pushMessage({ chatId: 4242, chatType: 'private', fromId: 4242, text: 'hello bot' });

    const notice = await owner.reply();
    expect(notice.text).toMatch(/could not be delivered/);
    expect(notice.text).toMatch(/telegram chat 4242/);
    expect(notice.text).toMatch(/blocked/);
    await h.gw.gateway.lanes.idle();
    // Given up after one refused attempt (403 is permanent), not retried forever.
    expect(tg.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(1);
    const auditDir = join(h.home, 'audit');
    const lines = (await Promise.all((await readdir(auditDir)).map((f) => readFile(join(auditDir, f), 'utf8'))))
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.some((l) => l.kind === 'delivery' && l.chatId === '4242')).toBe(true);

    // The gateway keeps serving: the next message is answered.
    model.setDefault(() => ({ text: 'second answer' }));
    tg.pushMessage({ chatId: 4242, chatType: 'private', fromId: 4242, text: 'again' });
    const sent = await tg.waitForSent((m) => m.visibleText === 'second answer', 10_000);
    expect(sent.chatId).toBe(4242);
  });
});
