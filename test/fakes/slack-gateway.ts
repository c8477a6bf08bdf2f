// A whole gateway talking Slack: the fake Slack (Web API + Socket Mode) and a fake Anthropic server on 127.0.0.1,
// the real bolt App, WebClient and Anthropic SDK pointed at them. Shared by the Slack end-to-end tests.
import type { Clock } from '../../runtime/types/index.js';
import { startFakeAnthropic, type FakeModelServer } from './fake-anthropic.js';
import { FakeSlack, type Posted } from './fake-slack.js';
import { startHarness, type Harness } from './gateway-harness.js';
import { merge, type Json } from './telegram-gateway.js';

export const OWNER = 'U0OWNER001';
export const MEMBER = 'U0MEMBER01';
export const STRANGER = 'U0STRANGE1';
/** A channel listed with requireMention (the default). */
export const GEN = 'C0GENERAL1';
/** A channel where every message is for the bot. */
export const OPEN = 'C0OPENCHAN';
export const MODEL_KEY = 'key-a';

export interface SlackGateway {
  slack: FakeSlack;
  model: FakeModelServer;
  h: Harness;
  /** `<@bot> text`. */
  mention(text: string): string;
  /** A person posts in a channel (and, with a mention, Slack also sends app_mention); `threadTs` replies in a thread. */
  say(user: string, channel: string, text: string, threadTs?: string): string;
  /** A DM from a user to the bot; `threadTs` replies in the thread of one of the bot's DM messages. */
  dm(user: string, text: string, threadTs?: string): string;
  /** The first chat.postMessage matching pred (already sent or still to come). */
  posted(pred: (p: Posted) => boolean, timeoutMs?: number): Promise<Posted>;
  stop(): Promise<void>;
}

export async function startSlackGateway(opts: { config?: Json; clock?: Clock; home?: string } = {}): Promise<SlackGateway> {
  const slack = await new FakeSlack().start();
  const model = await startFakeAnthropic();
  const base: Json = {
    models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: model.url } } },
    agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
    commands: { ownerAllowFrom: [`slack:${OWNER}`] },
    channels: {
      webchat: { enabled: false },
      slack: {
        botToken: slack.app.botToken,
        appToken: slack.app.appToken,
        apiUrl: slack.apiUrl,
        dmPolicy: 'open',
        channels: { [GEN]: { requireMention: true }, [OPEN]: { requireMention: false } },
      },
    },
  };
  let h: Harness;
  try {
    h = await startHarness({ home: opts.home, config: merge(base, opts.config ?? {}), env: { ANTHROPIC_API_KEY: MODEL_KEY }, clock: opts.clock });
  } catch (err) {
    await slack.close();
    await model.close();
    throw err;
  }
  const dmOf = (user: string) => slack.dmOf(user);
  return {
    slack,
    model,
    h,
    mention: (text) => `<@${slack.app.botUserId}> ${text}`,
    say: (user, channel, text, threadTs) => slack.post({ channel, user, text, ...(threadTs ? { threadTs } : {}) }).ts,
    dm: (user, text, threadTs) => slack.post({ channel: dmOf(user), user, text, ...(threadTs ? { threadTs, parentUserId: slack.app.botUserId } : {}) }).ts,
    posted: (pred, timeoutMs) => slack.waitForPost(pred, timeoutMs),
    async stop() {
      try {
        await h.stop();
      } finally {
        await slack.close();
        await model.close();
      }
    },
  };
}
