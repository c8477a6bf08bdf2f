// The per-test set-up of the end-to-end tests that run a whole gateway: before each test the fake model API(s)
// (and a fake Telegram) start on 127.0.0.1; after it the web chat clients are closed, the gateway is stopped (its
// temp home removed) and the fakes are closed. Called at module or describe level, it registers its hooks there.
import { afterEach, beforeEach } from 'vitest';
import { startFakeAnthropic, type FakeModelServer } from './fake-anthropic.js';
import { startFakeOpenAI } from './fake-openai.js';
import { FakeTelegram } from './fake-telegram.js';
import { ChatClient, startHarness, type Harness, type HarnessOptions } from './gateway-harness.js';

export interface GatewayFixtureOptions {
  /** A fake Anthropic API as `fake` (default true). */
  anthropic?: boolean;
  /** A fake OpenAI API as `openai`. */
  openai?: boolean;
  /** A fake Telegram Bot API as `tg`: `true` for its default bot, or its bots by token. */
  telegram?: boolean | ConstructorParameters<typeof FakeTelegram>[0];
}

export interface GatewayFixture {
  /** The fake Anthropic API of the current test. */
  readonly fake: FakeModelServer;
  /** The fake OpenAI API of the current test (only with `openai: true`). */
  readonly openai: FakeModelServer;
  /** The fake Telegram of the current test (only with `telegram`). */
  readonly tg: FakeTelegram;
  /** The running gateway (the one the last start() gave). */
  readonly h: Harness;
  /** Starts a gateway (on a fresh temp home unless `home` is given); the fixture stops it after the test. */
  start(opts?: HarnessOptions): Promise<Harness>;
  /** A web chat user on the running gateway, closed after the test. */
  connect(user: string): Promise<ChatClient>;
  /** Closes the web chat clients connected so far. */
  closeClients(): void;
  /** Stops the running gateway now (to start another, e.g. on the same home with `keepHome`); returns its home. */
  stop(opts?: { keepHome?: boolean }): Promise<string>;
}

export function useGateway(options: GatewayFixtureOptions = {}): GatewayFixture {
  const { anthropic = true, openai = false, telegram = false } = options;
  let fake: FakeModelServer | undefined;
  let openaiFake: FakeModelServer | undefined;
  let tg: FakeTelegram | undefined;
  let h: Harness | undefined;
  const clients: ChatClient[] = [];

  const need = <T>(v: T | undefined, what: string, fix = 'ask for it in the useGateway options'): T => {
    if (v === undefined) throw new Error(`useGateway: no ${what} in this test (${fix})`);
    return v;
  };
  const running = () => need(h, 'gateway running', 'call start() first');
  const closeClients = () => {
    for (const c of clients.splice(0)) c.close();
  };

  beforeEach(async () => {
    if (anthropic) fake = await startFakeAnthropic();
    if (openai) openaiFake = await startFakeOpenAI();
    if (telegram) tg = await (telegram === true ? new FakeTelegram() : new FakeTelegram(telegram)).start();
  });

  afterEach(async () => {
    closeClients();
    try {
      await h?.stop();
    } finally {
      h = undefined;
      await tg?.close();
      await fake?.close();
      await openaiFake?.close();
      tg = fake = openaiFake = undefined;
    }
  });

  return {
    get fake() {
      return need(fake, 'fake Anthropic API');
    },
    get openai() {
      return need(openaiFake, 'fake OpenAI API');
    },
    get tg() {
      return need(tg, 'fake Telegram');
    },
    get h() {
      return running();
    },
    async start(opts = {}) {
      if (h) throw new Error('useGateway: a gateway is already running in this test; stop() it before starting another');
      h = await startHarness(opts);
      return h;
    },
    async connect(user) {
      const { gw } = running();
      const c = await ChatClient.as(gw, user);
      clients.push(c);
      return c;
    },
    closeClients,
    async stop(opts) {
      const current = running();
      await current.stop(opts);
      h = undefined;
      return current.home;
    },
  };
}
