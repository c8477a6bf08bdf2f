// Per-test set-up of the Slack adapter tests: a fake Slack on 127.0.0.1 before each test; after it, every
// channel made is stopped and the fake closed. Channels are the real adapter (bolt + WebClient) pointed at it.
import { afterEach, beforeEach } from 'vitest';
import { createSlackChannels, type SlackChannel, type SlackTuning } from '../../bots/slack/index.js';
import type { Clock, Inbound } from '../../runtime/types/channel.js';
import { FakeSlack } from './fake-slack.js';
import { memoryLogger } from './gateway-harness.js';

export interface SlackFixture {
  readonly slack: FakeSlack;
  readonly log: ReturnType<typeof memoryLogger>;
  /** A channel for the fake's first app (block keys override), not started. */
  channel(opts?: ChannelOptions): Promise<SlackChannel>;
  /** A started channel and what it handed to the runtime. */
  started(opts?: ChannelOptions & { onInbound?: (m: Inbound) => Promise<void> }): Promise<{ c: SlackChannel; got: Inbound[] }>;
  /** Stops a channel made here now (after() skips it). */
  track(c: SlackChannel): SlackChannel;
  /** `<@bot> text`. */
  mention(text: string): string;
}

export interface ChannelOptions {
  block?: Record<string, unknown>;
  clock?: Clock;
  tuning?: SlackTuning;
}

export function useSlack(): SlackFixture {
  let slack: FakeSlack | undefined;
  let log = memoryLogger();
  let channels: SlackChannel[] = [];

  beforeEach(async () => {
    slack = await new FakeSlack().start();
    log = memoryLogger();
    channels = [];
  });

  afterEach(async () => {
    for (const c of channels) await c.stop();
    await slack?.close();
    slack = undefined;
  });

  const fake = () => {
    if (!slack) throw new Error('useSlack: no fake Slack outside a test');
    return slack;
  };

  const fixture: SlackFixture = {
    get slack() {
      return fake();
    },
    get log() {
      return log;
    },
    async channel(opts = {}) {
      const s = fake();
      const cfg = { botToken: s.app.botToken, appToken: s.app.appToken, apiUrl: s.apiUrl, ...opts.block };
      // A short ping timeout: bolt also waits that long before reconnecting (5 s by default).
      const [c] = await createSlackChannels(cfg, { log, env: {}, clock: opts.clock, tuning: { clientPingTimeoutMs: 300, ...opts.tuning } });
      return fixture.track(c);
    },
    async started(opts = {}) {
      const c = await fixture.channel(opts);
      const got: Inbound[] = [];
      await c.start(async (m) => {
        got.push(m);
        await opts.onInbound?.(m);
      });
      return { c, got };
    },
    track(c) {
      channels.push(c);
      return c;
    },
    mention: (text) => `<@${fake().app.botUserId}> ${text}`,
  };
  return fixture;
}
