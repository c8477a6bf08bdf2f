// The failover model caller's cooldowns: the ladder, retry-after, billing disables, persistence across a
// restart — real providers against the fake servers (see failover-harness.ts), time on a fake clock.
import { describe, expect, it } from 'vitest';
import { profileHealthReport } from '../../runtime/failover/report.js';
import { resolveCredentials } from '../../runtime/providers/credentials.js';
import { openStateStore } from '../../storage/state-store.js';
import { doneText, failovers, HOUR, keysSeen, MIN, quietLog, rateLimited, useFailoverFixture } from '../fakes/failover-harness.js';

const fx = useFailoverFixture();

describe('cooldowns', () => {
  const oneKey = () => fx.makeConfig({ profiles: { 'anthropic:a': { provider: 'anthropic', mode: 'api_key', key: 'key-a' } } }, []);

  it('climbs the ladder 1 → 5 → 25 → 60 → 60 min on a fake clock, and a success resets it', async () => {
    const h = await fx.harness({ config: oneKey() });
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      fx.anthropic.script('key-a', rateLimited);
      const events = await h.call();
      const last = events[events.length - 1]!;
      expect(last.type).toBe('unavailable');
      const retryAt = (last as { retryAt: number }).retryAt;
      waits.push(retryAt - h.clock.now());
      // While cooling, calls are answered "unavailable" without touching the key.
      await h.clock.advance(retryAt - h.clock.now() - 1);
      const before = fx.anthropic.requests.length;
      expect((await h.call()).map((e) => e.type)).toEqual(['unavailable']);
      expect(fx.anthropic.requests.length).toBe(before);
      await h.clock.advance(1);
    }
    expect(waits).toEqual([1 * MIN, 5 * MIN, 25 * MIN, 60 * MIN, 60 * MIN]);

    expect(doneText(await h.call())).toEqual(['from anthropic']);
    expect(h.state.data.profiles['anthropic:a']).toMatchObject({ errorCount: 0 });
    fx.anthropic.script('key-a', rateLimited);
    const after = await h.call();
    expect((after[after.length - 1] as { retryAt: number }).retryAt - h.clock.now()).toBe(MIN);
  });

  it("a server's retry-after longer than the ladder wins", async () => {
    const h = await fx.harness({ config: oneKey() });
    fx.anthropic.script('key-a', { status: 429, headers: { 'retry-after': '600' } });
    const events = await h.call();
    expect(events).toEqual([expect.objectContaining({ type: 'unavailable', retryAt: h.clock.now() + 10 * MIN })]);
    await h.clock.advance(10 * MIN);
    fx.anthropic.script('key-a', { status: 429, headers: { 'retry-after': '2' } }); // shorter than step 2 (5 min)
    const again = await h.call();
    expect(again).toEqual([expect.objectContaining({ type: 'unavailable', retryAt: h.clock.now() + 5 * MIN })]);
  });

  it('billing disables the profile for 5 h, doubling up to 24 h', async () => {
    const h = await fx.harness({ config: oneKey() });
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      fx.anthropic.script('key-a', { status: 402 });
      const events = await h.call();
      const u = events[events.length - 1] as { type: string; retryAt: number; error: { kind: string } };
      expect(u).toMatchObject({ type: 'unavailable', error: { kind: 'billing' } });
      waits.push(u.retryAt - h.clock.now());
      await h.clock.advance(u.retryAt - h.clock.now());
    }
    expect(waits.map((w) => w / HOUR)).toEqual([5, 10, 20, 24, 24]);
    const row = profileHealthReport(h.state, resolveCredentials(h.config, {}), h.clock.now() - 1)[0]!;
    expect(row).toMatchObject({ profileId: 'anthropic:a', errorCount: 5, failureCounts: { billing: 5 } });
    expect(row.status).toMatch(/^disabled until .* \(billing\)$/);
  });

  it('cooldowns survive a restart: the cooling key is not called by the new process', async () => {
    const first = await fx.harness();
    fx.anthropic.script('key-a', rateLimited);
    expect(doneText(await first.call())).toEqual(['from anthropic']);
    await first.state.flush();

    // "Restart": a new state store read from disk, new providers, new caller; the same (fake) time.
    const reopened = await openStateStore(fx.home, quietLog.warn);
    fx.track(reopened);
    expect(reopened.data.profiles['anthropic:a']?.cooldownUntil).toBe(first.clock.now() + MIN);
    const second = await fx.harness({ state: reopened, clock: first.clock });
    fx.anthropic.requests.length = 0;
    const events = await second.call('fresh-session');
    expect(keysSeen(fx.anthropic)).toEqual(['key-b']);
    expect(failovers(events)).toEqual([]);
    expect(profileHealthReport(reopened, resolveCredentials(second.config, {}), first.clock.now()).map((r) => r.status)).toEqual([
      `cooling until ${new Date(first.clock.now() + MIN).toISOString()}`,
      'ok',
      'ok',
    ]);
  });
});
