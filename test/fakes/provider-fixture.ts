// The set-up of the provider tests: one fake model API for the describe block (started once, closed at its end),
// and before each test its recorded requests cleared and a fresh provider (the real SDK client) pointed at it.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { Provider } from '../../runtime/types/provider.js';
import type { FakeModelServer } from './fake-model-server.js';

export interface ProviderFixture {
  readonly fake: FakeModelServer;
  readonly provider: Provider;
}

export function useProviderOnFake(startFake: () => Promise<FakeModelServer>, createProvider: (baseUrl: string) => Provider): ProviderFixture {
  let fake: FakeModelServer | undefined;
  let provider: Provider | undefined;
  beforeAll(async () => {
    fake = await startFake();
  });
  afterAll(() => fake?.close());
  beforeEach(() => {
    const f = fake!;
    f.requests.length = 0;
    provider = createProvider(f.url);
  });
  return {
    get fake() {
      if (!fake) throw new Error('useProviderOnFake: the fake model API is not started (use it inside a test)');
      return fake;
    },
    get provider() {
      if (!provider) throw new Error('useProviderOnFake: no provider yet (use it inside a test)');
      return provider;
    },
  };
}
