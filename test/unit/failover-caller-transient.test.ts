// Server faults are not key faults: one bad response (a 5xx, an overload, a cut, malformed or empty stream, a
// timeout) is retried within the call after a short backoff, fails over at once when there is another profile,
// and cools the key down only when it repeats; when every profile cools down, a probe still goes through every
// 30 s. Rate limits keep their ladder. Real providers against the fake servers (see failover-harness.ts).
import { describe, expect, it } from 'vitest';
import { RETRY_BASE_MS, TRANSIENT_ROUNDS } from '../../runtime/failover/caller.js';
import { isUsable, PROBE_INTERVAL_MS } from '../../runtime/failover/health.js';
import type { FakeResponse } from '../fakes/fake-anthropic.js';
import { doneText, failovers, keysSeen, label, MIN, PRIMARY, useFailoverFixture } from '../fakes/failover-harness.js';

const fx = useFailoverFixture();
const ONE_KEY = { profiles: { 'anthropic:a': { provider: 'anthropic', mode: 'api_key' as const, key: 'key-a' } } };
const oneKey = () => fx.harness({ config: fx.makeConfig(ONE_KEY, []) });

const FAULTS: [string, FakeResponse, string][] = [
  ['HTTP 500', { status: 500 }, 'server_error'],
  ['HTTP 502 from a proxy (HTML)', { raw: ['<html><body>502 Bad Gateway</body></html>'], status: 502, headers: { 'content-type': 'text/html' } }, 'server_error'],
  ['HTTP 503', { status: 503 }, 'overloaded'],
  ['HTTP 529 overloaded', { status: 529 }, 'overloaded'],
  ['HTTP 408 request timeout', { status: 408 }, 'timeout'],
  ['an overloaded_error inside the stream', { text: 'half an ans', streamError: { type: 'overloaded_error', message: 'Overloaded' } }, 'overloaded'],
  ['an api_error inside the stream', { text: 'half an ans', streamError: { type: 'api_error', message: 'Internal server error' } }, 'server_error'],
  ['a stream cut off mid-answer', { text: 'half an answer and then', drop: true }, 'server_error'],
  ['a malformed stream', { raw: ['event: message_start\ndata: {"type":"message_start","message":{oops\n\n'] }, 'server_error'],
  ['an empty 200', { raw: [''], status: 200 }, 'server_error'],
  ['an empty 200 with a JSON content type', { raw: [''], status: 200, headers: { 'content-type': 'application/json' } }, 'server_error'],
];

describe('one server fault: the same key answers after a short backoff', () => {
  it.each(FAULTS)('%s → answered, and the key is not cooling', async (_name, fault, kind) => {
    const h = await oneKey();
    fx.anthropic.script('key-a', fault);
    const { events, waitedMs } = await h.callAdvancing();
    expect(doneText(events)).toEqual(['from anthropic']);
    expect(events.some((e) => e.type === 'unavailable' || e.type === 'error')).toBe(false);
    expect(failovers(events)).toEqual([{ type: 'failover', from: label(PRIMARY, 'anthropic:a'), to: label(PRIMARY, 'anthropic:a'), reason: kind }]);
    expect(keysSeen(fx.anthropic)).toEqual(['key-a', 'key-a']);
    expect(waitedMs).toBe(RETRY_BASE_MS);
    const health = h.state.data.profiles['anthropic:a'];
    expect(isUsable(health, h.clock.now())).toBe(true);
    expect(health).toMatchObject({ errorCount: 0, failureCounts: { [kind]: 1 } });
    expect(health?.serverFaults).toBeUndefined(); // the success started the count over
  });
});

describe('server faults and failover', () => {
  it('with a second key, a server fault fails over at once (no wait) and leaves the first key usable', async () => {
    const h = await fx.harness();
    fx.anthropic.script('key-a', { status: 500 });
    const { events, waitedMs } = await h.callAdvancing();
    expect(doneText(events)).toEqual(['from anthropic']);
    expect(keysSeen(fx.anthropic)).toEqual(['key-a', 'key-b']);
    expect(waitedMs).toBe(0);
    expect(isUsable(h.state.data.profiles['anthropic:a'], h.clock.now())).toBe(true);
  });

  it('faults on every attempt: retried with a doubling backoff, then cooling; a probe goes through every 30 s', async () => {
    const h = await oneKey();
    for (let i = 0; i < TRANSIENT_ROUNDS; i++) fx.anthropic.script('key-a', { status: 500 });
    const first = await h.callAdvancing();
    expect(keysSeen(fx.anthropic)).toHaveLength(TRANSIENT_ROUNDS);
    expect(first.waitedMs).toBe(RETRY_BASE_MS + 2 * RETRY_BASE_MS);
    const failedAt = h.clock.now();
    // Cooling now (three in a row), but the queued message is retried at the next probe time, not in a minute.
    expect(first.events.at(-1)).toMatchObject({ type: 'unavailable', retryAt: failedAt + PROBE_INTERVAL_MS, error: { kind: 'server_error' } });
    expect(isUsable(h.state.data.profiles['anthropic:a'], failedAt)).toBe(false);

    // Before the probe time nobody calls the server.
    await h.clock.advance(PROBE_INTERVAL_MS - 1000);
    expect((await h.call()).map((e) => e.type)).toEqual(['unavailable']);
    expect(keysSeen(fx.anthropic)).toHaveLength(TRANSIENT_ROUNDS);

    // At the probe time one call goes through; another one at the same moment is not let through too.
    await h.clock.advance(1000);
    fx.anthropic.script('key-a', { text: 'the server is back', delayMs: 200 });
    const [probe, other] = await Promise.all([h.call('s-probe'), h.call('s-other')]);
    expect(doneText(probe)).toEqual(['the server is back']);
    expect(other.map((e) => e.type)).toEqual(['unavailable']);
    expect(keysSeen(fx.anthropic)).toHaveLength(TRANSIENT_ROUNDS + 1);
    // The probe's success ends the cooldown for everyone.
    expect(isUsable(h.state.data.profiles['anthropic:a'], h.clock.now())).toBe(true);
    expect(doneText(await h.call('s-other'))).toEqual(['from anthropic']);
  });

  it('a failed probe is not retried in the same call and the next probe is 30 s later', async () => {
    const h = await oneKey();
    for (let i = 0; i < TRANSIENT_ROUNDS + 1; i++) fx.anthropic.script('key-a', { status: 529 });
    await h.callAdvancing();
    await h.clock.advance(PROBE_INTERVAL_MS);
    const probe = await h.callAdvancing();
    expect(keysSeen(fx.anthropic)).toHaveLength(TRANSIENT_ROUNDS + 1);
    expect(probe.waitedMs).toBe(0);
    expect(probe.events.at(-1)).toMatchObject({ type: 'unavailable', retryAt: h.clock.now() + PROBE_INTERVAL_MS });
  });

  it('a rate limit keeps its ladder: no retry within the call, no probe before the cooldown ends', async () => {
    const h = await oneKey();
    fx.anthropic.script('key-a', { status: 429 });
    const start = h.clock.now();
    const { events, waitedMs } = await h.callAdvancing();
    expect(waitedMs).toBe(0);
    expect(events).toEqual([expect.objectContaining({ type: 'unavailable', retryAt: start + MIN })]);
    await h.clock.advance(PROBE_INTERVAL_MS);
    expect((await h.call()).map((e) => e.type)).toEqual(['unavailable']);
    expect(keysSeen(fx.anthropic)).toEqual(['key-a']);
  });

  it('a /stop during the backoff ends the call as aborted, without another attempt', async () => {
    const h = await oneKey();
    fx.anthropic.script('key-a', { status: 500 });
    const ac = new AbortController();
    const events = h.call(undefined, ac.signal);
    while (h.clock.pendingCount() === 0) await new Promise((r) => setTimeout(r, 2));
    ac.abort();
    expect((await events).at(-1)).toMatchObject({ type: 'error', error: { kind: 'aborted' } });
    expect(keysSeen(fx.anthropic)).toEqual(['key-a']);
  });
});
