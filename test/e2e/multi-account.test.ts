// Several bot accounts of one platform (`channels.telegram` beside `channels.telegram.accounts.<accountId>`), through
// the whole gateway: each polls with its own token, answers with its own bot, and `/bind <agent> account` routes
// everything one account receives to an agent while the other account keeps the default.
import { describe, expect, it } from 'vitest';
import { useGateway } from '../fakes/gateway-fixture.js';

const MAIN_TOKEN = '111:MAIN';
const WORK_TOKEN = '222:WORK';
const OWNER = 42;
const GROUP_A = -1001;
const GROUP_B = -1002;

const web = useGateway({ telegram: { [MAIN_TOKEN]: { username: 'main_bot' }, [WORK_TOKEN]: { username: 'work_bot' } } });

describe('multi-account', () => {
  it('/bind work account routes every chat of that bot account to agent work; the other account stays on the default', async () => {
    await web.start({
      env: { ANTHROPIC_API_KEY: 'key-a' },
      config: {
        models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url } } },
        agents: {
          defaults: { model: { primary: 'anthropic/main-model' } },
          list: [
            { id: 'main', default: true },
            { id: 'work', model: { primary: 'anthropic/work-model' } },
          ],
        },
        commands: { ownerAllowFrom: [`telegram:${OWNER}`] },
        channels: {
          webchat: { enabled: false },
          telegram: {
            botToken: MAIN_TOKEN,
            apiRoot: web.tg.apiRoot,
            pollTimeoutSeconds: 1,
            groups: { '*': { requireMention: false } },
            accounts: { work: { botToken: WORK_TOKEN } },
          },
        },
      },
    });
    web.fake.setDefault((req) => ({ text: `answered by ${String(req.body.model)}` }));
    const say = (token: string, chatId: number, text: string) => web.tg.pushMessage({ token, chatId, chatType: 'supergroup', title: 'G', fromId: OWNER, text });
    const answer = (token: string, chatId: number, text: string) => web.tg.waitForSent((m) => m.token === token && m.chatId === chatId && m.text === text, 10_000);

    say(WORK_TOKEN, GROUP_A, '/bind work account');
    const bound = await web.tg.waitForSent((m) => m.token === WORK_TOKEN && m.chatId === GROUP_A, 10_000);
    expect(bound.text).toContain('telegram account work');

    // Another chat of the work bot: agent work. The same chat through the main bot: the default agent.
    say(WORK_TOKEN, GROUP_B, 'hello work bot');
    await answer(WORK_TOKEN, GROUP_B, 'answered by work-model');
    say(MAIN_TOKEN, GROUP_B, 'hello main bot');
    await answer(MAIN_TOKEN, GROUP_B, 'answered by main-model');
    // Each bot answered only what it received.
    expect(web.tg.sent.filter((m) => m.chatId === GROUP_B).map((m) => [m.token, m.text])).toEqual([
      [WORK_TOKEN, 'answered by work-model'],
      [MAIN_TOKEN, 'answered by main-model'],
    ]);
  });
});
