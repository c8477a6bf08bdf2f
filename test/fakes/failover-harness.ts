// Shared set-up of the failover tests: the real providers (real SDKs) against fresh fake Anthropic and OpenAI
// servers per test, real state.json / sessions.json / audit storage in a temp dir, and a fake clock for cooldowns.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import type { ModelCallEvent, ModelCallRequest, ModelCaller } from '../../runtime/agent/model-caller.js';
import { agentModelCandidates } from '../../runtime/config/agents.js';
import { configSchema, type Config, type ConfigInput } from '../../runtime/config/schema.js';
import { createFailoverModelCaller } from '../../runtime/failover/caller.js';
import { memorySticky, type StickyProfiles } from '../../runtime/failover/order.js';
import { resolveCredentials } from '../../runtime/providers/credentials.js';
import { createProviders } from '../../runtime/providers/registry.js';
import type { Logger } from '../../runtime/types/channel.js';
import type { AuditLog, GatewayState, JsonDoc } from '../../runtime/types/storage.js';
import { createAuditLog } from '../../storage/audit-log.js';
import { openStateStore } from '../../storage/state-store.js';
import { startFakeAnthropic, type FakeModelServer } from './fake-anthropic.js';
import { FakeClock } from './fake-clock.js';
import { startFakeOpenAI } from './fake-openai.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const PRIMARY = 'anthropic/claude-test';
export const FALLBACK = 'openai/gpt-test';
export const rateLimited = { status: 429 };
export const quietLog: Logger = { info: () => {}, warn: () => {}, error: () => {} };

export const TWO_KEYS_AND_FALLBACK: ConfigInput['auth'] = {
  profiles: {
    'anthropic:a': { provider: 'anthropic', mode: 'api_key', key: 'key-a' },
    'anthropic:b': { provider: 'anthropic', mode: 'api_key', key: 'key-b' },
    'openai:o': { provider: 'openai', mode: 'api_key', key: 'key-o' },
  },
};

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const e of it) out.push(e);
  return out;
}

export interface Harness {
  config: Config;
  clock: FakeClock;
  state: JsonDoc<GatewayState>;
  audit: AuditLog;
  sticky: StickyProfiles;
  caller: ModelCaller;
  call(sessionKey?: string, signal?: AbortSignal): Promise<ModelCallEvent[]>;
  /** Like call(), but moves the fake clock on whenever the call waits on it (the retry backoff); returns the waits. */
  callAdvancing(sessionKey?: string): Promise<{ events: ModelCallEvent[]; waitedMs: number }>;
  stream(sessionKey?: string, signal?: AbortSignal): AsyncIterable<ModelCallEvent>;
}

export interface HarnessOptions {
  config?: Config;
  clock?: FakeClock;
  state?: JsonDoc<GatewayState>;
  sticky?: StickyProfiles;
}

export interface FailoverFixture {
  readonly anthropic: FakeModelServer;
  readonly openai: FakeModelServer;
  readonly home: string;
  /** Registers a store to flush before the test's temp dir is removed. */
  track<T extends { flush(): Promise<void> }>(doc: T): T;
  makeConfig(auth?: ConfigInput['auth'], fallbacks?: string[]): Config;
  harness(opts?: HarnessOptions): Promise<Harness>;
}

/** Call at the top of a test file: registers the per-test set-up and tear-down. */
export function useFailoverFixture(): FailoverFixture {
  let anthropic: FakeModelServer;
  let openai: FakeModelServer;
  let home: string;
  let opened: { flush(): Promise<void> }[] = [];

  // Fresh fakes per test: a scripted response a failing test left unused cannot answer the next test's request.
  beforeEach(async () => {
    [anthropic, openai] = await Promise.all([startFakeAnthropic(), startFakeOpenAI()]);
    anthropic.setDefault(() => ({ text: 'from anthropic' }));
    openai.setDefault(() => ({ text: 'from openai' }));
    home = await mkdtemp(join(tmpdir(), 'switchyard-failover-'));
    opened = [];
  });
  afterEach(async () => {
    try {
      // Every scripted response was used: the test exercised what it meant to.
      for (const key of ['key-a', 'key-b', 'key-o', 'tok-t', 'no-key']) {
        expect([key, anthropic.pending(key), openai.pending(key)]).toEqual([key, 0, 0]);
      }
    } finally {
      await Promise.all(opened.map((d) => d.flush()));
      await Promise.all([anthropic.close(), openai.close()]);
      await rm(home, { recursive: true, force: true });
    }
  });

  const fx: FailoverFixture = {
    get anthropic() {
      return anthropic;
    },
    get openai() {
      return openai;
    },
    get home() {
      return home;
    },
    track(doc) {
      opened.push(doc);
      return doc;
    },
    makeConfig(auth = TWO_KEYS_AND_FALLBACK, fallbacks = [FALLBACK]) {
      return configSchema.parse({
        models: {
          providers: {
            anthropic: { api: 'anthropic-messages', baseUrl: anthropic.url },
            openai: { api: 'openai-completions', baseUrl: openai.url },
          },
        },
        auth,
        agents: { defaults: { model: { primary: PRIMARY, fallbacks } }, list: [{ id: 'main', default: true }] },
      });
    },
    async harness(opts = {}) {
      const config = opts.config ?? fx.makeConfig();
      const clock = opts.clock ?? new FakeClock();
      const state = opts.state ?? fx.track(await openStateStore(home, (m) => quietLog.warn(m)));
      const audit = createAuditLog(home, clock);
      const sticky = opts.sticky ?? memorySticky();
      const env = {}; // nothing from the real environment: only the config's profiles
      const caller = createFailoverModelCaller({
        providers: createProviders(config.models.providers, env),
        credentials: resolveCredentials(config, env),
        config: () => config,
        state,
        sticky,
        audit,
        clock,
        log: quietLog,
      });
      const request = (sessionKey: string, signal?: AbortSignal): ModelCallRequest => ({
        runId: 'run-1',
        sessionKey,
        agentId: 'main',
        candidates: agentModelCandidates(config, 'main', undefined, env),
        system: 'be brief',
        messages: [{ role: 'user', text: 'hello' }],
        tools: [],
        signal,
      });
      return {
        config,
        clock,
        state,
        audit,
        sticky,
        caller,
        stream: (sessionKey = 'agent:main:main', signal) => caller.stream(request(sessionKey, signal)),
        call: (sessionKey = 'agent:main:main', signal) => collect(caller.stream(request(sessionKey, signal))),
        async callAdvancing(sessionKey = 'agent:main:main') {
          let done = false;
          const start = clock.now();
          const result = collect(caller.stream(request(sessionKey))).finally(() => {
            done = true;
          });
          // The fake servers answer in real time; the backoff waits on the fake clock: advance it to the next
          // timer only when the call is waiting for it.
          while (!done) {
            if (clock.pendingCount() > 0) await clock.advance(clock.nextDueIn());
            else await new Promise((r) => setTimeout(r, 2));
          }
          return { events: await result, waitedMs: clock.now() - start };
        },
      };
    },
  };
  return fx;
}

export const keysSeen = (fake: FakeModelServer) => fake.requests.map((r) => r.key);
export const doneText = (events: ModelCallEvent[]) => events.filter((e) => e.type === 'done').map((e) => (e as { text: string }).text);
export const failovers = (events: ModelCallEvent[]) => events.filter((e) => e.type === 'failover');
export const label = (ref: string, profile: string) => `${ref}@${profile}`;
