// A reply that keeps failing is recorded (audit) and reported to the owner, not retried forever; the gateway
// keeps serving other chats.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../fakes/gateway-fixture.js';

const web = useGateway({ telegram: true });

describe('failed delivery', () => {
  it('a reply Telegram refuses for good is audited and reported to the owner once', async () => {
    const h = await web.start({
      env: { ANTHROPIC_API_KEY: 'key-a' },
      config: {
        models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url } } },
        agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
        commands: { ownerAllowFrom: ['webchat:owner'] },
        channels: { telegram: { botToken: web.tg.defaultToken, apiRoot: web.tg.apiRoot, dmPolicy: 'open' } },
      },
    });
    const owner = await web.connect('owner');
    web.fake.setDefault(() => ({ text: 'an answer nobody will see' }));
    web.tg.failNext('sendMessage', { status: 403, description: 'Forbidden: bot was blocked by the user' }, 1);
    web.tg.pushMessage({ chatId: 4242, chatType: 'private', fromId: 4242, text: 'hello bot' });

    const notice = await owner.reply();
    expect(notice.text).toMatch(/could not be delivered/);
    expect(notice.text).toMatch(/telegram chat 4242/);
    expect(notice.text).toMatch(/blocked/);
    await h.gw.gateway.lanes.idle();
    // Given up after one refused attempt (403 is permanent), not retried forever.
    expect(web.tg.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(1);
    const auditDir = join(h.home, 'audit');
    const lines = (await Promise.all((await readdir(auditDir)).map((f) => readFile(join(auditDir, f), 'utf8'))))
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.some((l) => l.kind === 'delivery' && l.chatId === '4242')).toBe(true);

    // The gateway keeps serving: the next message is answered.
    web.fake.setDefault(() => ({ text: 'second answer' }));
    web.tg.pushMessage({ chatId: 4242, chatType: 'private', fromId: 4242, text: 'again' });
    const sent = await web.tg.waitForSent((m) => m.visibleText === 'second answer', 10_000);
    expect(sent.chatId).toBe(4242);
  });
});
