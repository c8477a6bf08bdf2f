// The control plane's event log (seq, retention, replay) and idempotency records, on their real files.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createControlEventStore, createIdempotencyStore } from '../../storage/control-log.js';
import { createEventHub, type OutEvent } from '../../runtime/protocol/event-hub.js';
import { createIdempotency } from '../../runtime/protocol/idempotency.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { memoryLogger } from '../fakes/gateway-harness.js';

let home: string | undefined;
afterEach(async () => {
  if (home) await rm(home, { recursive: true, force: true });
  home = undefined;
});

async function hubOn(dir: string, clock: FakeClock, retention = { maxEvents: 5, maxAgeMs: 60_000, maxBytes: 1 << 20 }) {
  const hub = createEventHub({ store: createControlEventStore(dir), clock, log: memoryLogger(), retention });
  await hub.init();
  return hub;
}

describe('event hub', () => {
  it('numbers events across restarts, delivers them after they are written, and says when a replay is incomplete', async () => {
    home = await mkdtemp(join(tmpdir(), 'sy-events-'));
    const clock = new FakeClock();
    const hub = await hubOn(home, clock);
    const got: OutEvent[] = [];
    hub.subscribe((e) => got.push(e));
    for (let i = 1; i <= 8; i++) hub.publish('x', { i });
    hub.publishEphemeral('tick', {});
    expect(got.map((e) => e.event)).toEqual(['tick']); // replayable ones wait for the disk
    await hub.flush();
    expect(got.filter((e) => e.event === 'x').map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const lines = (await readFile(join(home, 'control', 'events.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // Five are kept: from 3 on the replay is complete, from 2 it is not.
    expect(hub.since(3)).toEqual({ events: expect.any(Array), complete: true });
    expect(hub.since(3).events.map((e) => e.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(hub.since(2).complete).toBe(false);
    expect(hub.since(99).complete).toBe(false);

    const again = await hubOn(home, clock);
    expect(again.seq()).toBe(8);
    expect(again.since(3).events.map((e) => e.seq)).toEqual([4, 5, 6, 7, 8]);
    // Everything expires: the next start still continues after 8.
    await clock.advance(120_000);
    const later = await hubOn(home, clock);
    expect(later.since(8)).toEqual({ events: [], complete: true });
    const fresh = await hubOn(home, clock);
    fresh.publish('y', {});
    await fresh.flush();
    expect(fresh.seq()).toBe(9);
  });
});

describe('event store', () => {
  it('appends through its open handle, and after a rewrite into the new file (not the replaced one)', async () => {
    home = await mkdtemp(join(tmpdir(), 'sy-events-'));
    const store = createControlEventStore(home);
    const ev = (seq: number) => ({ seq, ts: seq, event: 'x', payload: { seq } });
    await store.append([ev(1)]);
    await store.append([ev(2), ev(3)]);
    expect((await store.load()).map((e) => e.seq)).toEqual([1, 2, 3]);
    await store.rewrite([ev(3)]);
    await store.append([ev(4)]);
    await store.append([ev(5)]);
    expect((await store.load()).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(await createControlEventStore(home).load()).toHaveLength(3);
  });
});

describe('idempotency', () => {
  it('keeps the first answer (also across a restart), shares a running one, does not keep retryable failures, forgets after 24 h', async () => {
    home = await mkdtemp(join(tmpdir(), 'sy-idem-'));
    const clock = new FakeClock();
    const open = async () => {
      const i = createIdempotency({ store: createIdempotencyStore(home!), clock, log: memoryLogger() });
      await i.init();
      return i;
    };
    const idem = await open();
    let acted = 0;
    const act = async () => ({ ok: true as const, payload: { n: ++acted } });
    const [a, b] = await Promise.all([idem.run('p', 'k1', 'm', act), idem.run('p', 'k1', 'm', act)]);
    expect([a, b, acted]).toEqual([{ ok: true, payload: { n: 1 } }, { ok: true, payload: { n: 1 } }, 1]);
    expect(await idem.run('other', 'k1', 'm', act)).toEqual({ ok: true, payload: { n: 2 } }); // keys are per principal
    const busy = async () => ({ ok: false as const, error: { code: 'busy', message: 'later', retryable: true } });
    await idem.run('p', 'k2', 'm', busy);
    expect(await idem.run('p', 'k2', 'm', act)).toEqual({ ok: true, payload: { n: 3 } });

    const restarted = await open();
    expect(await restarted.run('p', 'k1', 'm', act)).toEqual({ ok: true, payload: { n: 1 } });
    await clock.advance(24 * 3600_000 + 1);
    expect(await restarted.run('p', 'k1', 'm', act)).toEqual({ ok: true, payload: { n: 4 } });
  });
});
