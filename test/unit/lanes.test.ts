import { describe, expect, it } from 'vitest';
import { createLanes, LaneAbortError, type Batch, type DropReason, type Lanes, type QueueSettings, type RunHandle } from '../../runtime/lanes.js';
import { DropNotes, noteLine, MAX_HELD, MAX_NOTES } from '../../runtime/queue/drop-notes.js';
import { FakeClock, flushMicrotasks } from '../fakes/fake-clock.js';

interface Msg {
  id: string;
  from: string;
  text: string;
  /** Per-message mode, standing in for the caller's session > byChannel > default resolution. */
  mode?: QueueSettings['mode'];
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface Run {
  key: string;
  ids: string[];
  batch: Batch<Msg>;
  handle: RunHandle<Msg>;
  done: Deferred;
  settled: boolean;
}

interface HarnessOptions {
  maxConcurrent?: number;
  settings?: Partial<QueueSettings>;
  /** Replaces the default execute body (which waits for the run's deferred or its abort). */
  body?: (run: Run, lanes: Lanes<Msg>) => Promise<void>;
}

function harness(o: HarnessOptions = {}) {
  const clock = new FakeClock();
  const runs: Run[] = [];
  const dropped: Array<{ key: string; ids: string[]; reason: DropReason }> = [];
  const errors: Array<{ key: string; err: unknown }> = [];
  let current = 0;
  let maxSeen = 0;
  const base: QueueSettings = { mode: 'collect', debounceMs: 0, cap: 20, drop: 'summarize', ...o.settings };

  const lanes: Lanes<Msg> = createLanes<Msg>({
    clock,
    maxConcurrent: o.maxConcurrent ?? 4,
    resolveSettings: (_key, item) => ({ ...base, ...(item.mode ? { mode: item.mode } : {}) }),
    describe: (m) => `${m.from}: ${m.text.slice(0, 80)}`,
    onDropped: (key, items, reason) => dropped.push({ key, ids: items.map((i) => i.id), reason }),
    onError: (key, err) => errors.push({ key, err }),
    execute: async (key, batch, handle) => {
      const run: Run = { key, ids: batch.items.map((i) => i.id), batch, handle, done: deferred(), settled: false };
      runs.push(run);
      current++;
      maxSeen = Math.max(maxSeen, current);
      try {
        if (o.body) return await o.body(run, lanes);
        // A well-behaved agent run: ends when told to, or when aborted.
        await new Promise<void>((resolve, reject) => {
          run.done.promise.then(resolve, reject);
          handle.signal.addEventListener('abort', () => reject(handle.signal.reason), { once: true });
        });
      } finally {
        run.settled = true;
        current--;
      }
    },
  });

  let n = 0;
  const msg = (text: string, extra: Partial<Msg> = {}): Msg => ({ id: `m${n++}`, from: 'alice', text, ...extra });
  const finish = async (run: Run | undefined) => {
    expect(run, 'expected a run to finish').toBeDefined();
    run!.done.resolve();
    await flushMicrotasks();
  };
  const batches = (key?: string) => runs.filter((r) => !key || r.key === key).map((r) => r.ids);
  return { clock, lanes, runs, dropped, errors, msg, finish, batches, maxSeen: () => maxSeen, current: () => current };
}

describe('lanes: serial per session, global limit', () => {
  it('runs a session strictly one at a time, in arrival order', async () => {
    const h = harness({ settings: { mode: 'followup' } });
    for (const t of ['a', 'b', 'c']) h.lanes.enqueue('s1', h.msg(t));
    await flushMicrotasks();
    expect(h.batches()).toEqual([['m0']]);
    expect(h.lanes.status('s1')).toEqual({ active: true, backlog: 2, pending: false });
    await h.finish(h.runs[0]);
    expect(h.batches()).toEqual([['m0'], ['m1']]);
    expect(h.runs[0].settled).toBe(true);
    await h.finish(h.runs[1]);
    await h.finish(h.runs[2]);
    expect(h.batches()).toEqual([['m0'], ['m1'], ['m2']]);
    expect(h.maxSeen()).toBe(1);
    await h.lanes.idle();
    expect(h.lanes.status('s1')).toEqual({ active: false, backlog: 0, pending: false });
  });

  it('runs different sessions in parallel but never more than maxConcurrent', async () => {
    const h = harness({ maxConcurrent: 4 });
    for (let i = 0; i < 10; i++) h.lanes.enqueue(`s${i}`, h.msg(`hi ${i}`));
    await flushMicrotasks();
    expect(h.lanes.activeCount()).toBe(4);
    expect(h.runs.map((r) => r.key)).toEqual(['s0', 's1', 's2', 's3']);
    expect(h.lanes.status('s9')).toEqual({ active: false, backlog: 1, pending: true });
    // Finish in an order different from start order; the limit must hold throughout.
    while (h.runs.some((r) => !r.settled)) {
      const open = h.runs.filter((r) => !r.settled);
      await h.finish(open[open.length - 1]);
      expect(h.current()).toBeLessThanOrEqual(4);
    }
    expect(h.runs).toHaveLength(10);
    expect(new Set(h.runs.map((r) => r.key)).size).toBe(10);
    expect(h.maxSeen()).toBe(4);
    await h.lanes.idle();
  });
});

describe('lanes: collect', () => {
  it('starts at once when the lane is idle, then merges what arrived during the run into one turn after quiet', async () => {
    const h = harness({ settings: { mode: 'collect', debounceMs: 1000 } });
    h.lanes.enqueue('s', h.msg('first'));
    await flushMicrotasks();
    expect(h.batches()).toEqual([['m0']]); // idle lane: no debounce

    for (const t of ['two', 'three', 'four']) {
      h.lanes.enqueue('s', h.msg(t));
      await h.clock.advance(100);
    }
    await h.finish(h.runs[0]);
    // The last arrival was 100ms ago: 900ms of quiet still owed.
    expect(h.runs).toHaveLength(1);
    expect(h.lanes.status('s')).toEqual({ active: false, backlog: 3, pending: true });
    await h.clock.advance(899);
    expect(h.runs).toHaveLength(1);
    await h.clock.advance(1);
    expect(h.batches()).toEqual([['m0'], ['m1', 'm2', 'm3']]);
    await h.finish(h.runs[1]);
    await h.lanes.idle();
    expect(h.clock.pendingCount()).toBe(0);
  });

  it('restarts the debounce on each new arrival', async () => {
    const h = harness({ settings: { mode: 'collect', debounceMs: 1000 } });
    h.lanes.enqueue('s', h.msg('first'));
    await flushMicrotasks();
    h.lanes.enqueue('s', h.msg('a'));
    await h.finish(h.runs[0]);
    await h.clock.advance(600);
    h.lanes.enqueue('s', h.msg('b')); // during the quiet period
    await h.clock.advance(600);
    expect(h.runs).toHaveLength(1); // 1200ms since 'a', but only 600 since 'b'
    h.lanes.enqueue('s', h.msg('c'));
    await h.clock.advance(999);
    expect(h.runs).toHaveLength(1);
    await h.clock.advance(1);
    expect(h.batches()).toEqual([['m0'], ['m1', 'm2', 'm3']]);
    await h.finish(h.runs[1]);
    await h.lanes.idle();
  });

  it('starts the follow-up at once when the quiet period already passed during the run', async () => {
    const h = harness({ settings: { mode: 'collect', debounceMs: 1000 } });
    h.lanes.enqueue('s', h.msg('first'));
    await flushMicrotasks();
    h.lanes.enqueue('s', h.msg('a'));
    h.lanes.enqueue('s', h.msg('b'));
    await h.clock.advance(5000);
    await h.finish(h.runs[0]);
    expect(h.batches()).toEqual([['m0'], ['m1', 'm2']]);
    await h.finish(h.runs[1]);
  });

  it('merges collect messages that arrive while the lane waits for a global slot', async () => {
    const h = harness({ maxConcurrent: 1, settings: { mode: 'collect', debounceMs: 1000 } });
    h.lanes.enqueue('busy', h.msg('x'));
    await flushMicrotasks();
    h.lanes.enqueue('s', h.msg('a'));
    h.lanes.enqueue('s', h.msg('b'));
    expect(h.lanes.status('s')).toEqual({ active: false, backlog: 2, pending: true });
    await h.finish(h.runs[0]);
    expect(h.batches('s')).toEqual([['m1', 'm2']]);
    await h.finish(h.runs[1]);
    await h.lanes.idle();
  });
});

describe('lanes: followup', () => {
  it('runs each queued message as its own turn, in order, without debounce', async () => {
    const h = harness({ settings: { mode: 'followup', debounceMs: 1000 } });
    for (const t of ['a', 'b', 'c', 'd']) h.lanes.enqueue('s', h.msg(t));
    await flushMicrotasks();
    for (let i = 0; i < 4; i++) await h.finish(h.runs[i]);
    expect(h.batches()).toEqual([['m0'], ['m1'], ['m2'], ['m3']]);
    await h.lanes.idle();
  });
});

describe('lanes: steer', () => {
  it('hands steered messages to the active run; what it did not take becomes a followup', async () => {
    const h = harness({ settings: { mode: 'steer' } });
    h.lanes.enqueue('s', h.msg('start'));
    await flushMicrotasks();
    const run = h.runs[0];
    expect(run.handle.takeSteered()).toEqual([]);
    expect(h.lanes.enqueue('s', h.msg('also this'))).toEqual({ accepted: true, position: 0 });
    h.lanes.enqueue('s', h.msg('and this'));
    expect(h.lanes.status('s').backlog).toBe(2);
    expect(run.handle.takeSteered().map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(run.handle.takeSteered()).toEqual([]);
    h.lanes.enqueue('s', h.msg('too late'));
    h.lanes.enqueue('s', h.msg('too late 2'));
    await h.finish(run);
    expect(run.handle.takeSteered()).toEqual([]);
    expect(h.batches()).toEqual([['m0'], ['m3']]);
    await h.finish(h.runs[1]);
    expect(h.batches()).toEqual([['m0'], ['m3'], ['m4']]);
    await h.finish(h.runs[2]);
    await h.lanes.idle();
  });

  it('keeps arrival order when steer leftovers meet queued followups', async () => {
    const h = harness({ settings: { mode: 'followup' } });
    h.lanes.enqueue('s', h.msg('start'));
    await flushMicrotasks();
    h.lanes.enqueue('s', h.msg('steer 1', { mode: 'steer' }));
    h.lanes.enqueue('s', h.msg('follow'));
    h.lanes.enqueue('s', h.msg('steer 2', { mode: 'steer' }));
    await h.finish(h.runs[0]);
    await h.finish(h.runs[1]);
    await h.finish(h.runs[2]);
    await h.finish(h.runs[3]);
    expect(h.batches()).toEqual([['m0'], ['m1'], ['m2'], ['m3']]);
  });
});

describe('lanes: interrupt', () => {
  it('aborts the active run and runs only the newest message, reporting the discarded ones', async () => {
    const h = harness({ settings: { mode: 'followup' } });
    h.lanes.enqueue('s', h.msg('long task'));
    await flushMicrotasks();
    const first = h.runs[0];
    h.lanes.enqueue('s', h.msg('queued 1'));
    h.lanes.enqueue('s', h.msg('queued 2'));
    expect(h.lanes.enqueue('s', h.msg('never mind, do this', { mode: 'interrupt' }))).toEqual({
      accepted: true,
      position: 0,
    });
    expect(first.handle.signal.aborted).toBe(true);
    const reason = first.handle.signal.reason as LaneAbortError;
    expect(reason).toBeInstanceOf(LaneAbortError);
    expect(reason.kind).toBe('interrupt');
    expect(h.dropped).toEqual([{ key: 's', ids: ['m1', 'm2'], reason: 'interrupt' }]);
    await flushMicrotasks();
    // The aborted run rejected with the abort reason: reported, and the lane went on with the newest message.
    expect(h.errors.map((e) => e.err)).toEqual([reason]);
    expect(h.batches()).toEqual([['m0'], ['m3']]);
    expect(h.maxSeen()).toBe(1);
    await h.finish(h.runs[1]);
    await h.lanes.idle();
  });

  it('waits for the aborted run to settle before starting the newest (serial even when aborting)', async () => {
    let release!: () => void;
    const h = harness({
      settings: { mode: 'interrupt' },
      // A run that needs a moment to clean up after abort.
      body: (run) =>
        new Promise<void>((resolve) => {
          if (run.ids[0] === 'm0') release = resolve;
          else run.done.promise.then(resolve);
        }),
    });
    h.lanes.enqueue('s', h.msg('one'));
    await flushMicrotasks();
    h.lanes.enqueue('s', h.msg('two'));
    await flushMicrotasks();
    expect(h.runs[0].handle.signal.aborted).toBe(true);
    expect(h.runs).toHaveLength(1);
    release();
    await flushMicrotasks();
    expect(h.batches()).toEqual([['m0'], ['m1']]);
    await h.finish(h.runs[1]);
    await h.lanes.idle();
  });
});

describe('lanes: cap and drop', () => {
  const fill = async (h: ReturnType<typeof harness>) => {
    h.lanes.enqueue('s', h.msg('running'));
    await flushMicrotasks();
    return ['one', 'two', 'three'].map((t) => h.lanes.enqueue('s', h.msg(t)));
  };

  it('drop old: the oldest waiting message goes', async () => {
    const h = harness({ settings: { mode: 'followup', cap: 2, drop: 'old' } });
    const results = await fill(h);
    expect(results.map((r) => r.accepted)).toEqual([true, true, true]);
    expect(h.dropped).toEqual([{ key: 's', ids: ['m1'], reason: 'cap-old' }]);
    expect(h.lanes.status('s').backlog).toBe(2);
    for (let i = 0; i < 3; i++) await h.finish(h.runs[i]);
    expect(h.batches()).toEqual([['m0'], ['m2'], ['m3']]);
    expect(h.runs.every((r) => r.batch.droppedSummary === undefined)).toBe(true);
  });

  it('drop new: the newest is refused', async () => {
    const h = harness({ settings: { mode: 'followup', cap: 2, drop: 'new' } });
    const results = await fill(h);
    expect(results).toEqual([
      { accepted: true, position: 0 },
      { accepted: true, position: 1 },
      { accepted: false, position: -1 },
    ]);
    expect(h.dropped).toEqual([{ key: 's', ids: ['m3'], reason: 'cap-new' }]);
    for (let i = 0; i < 3; i++) await h.finish(h.runs[i]);
    expect(h.batches()).toEqual([['m0'], ['m1'], ['m2']]);
  });

  it('summarize: drops the oldest and hands a one-line note of it to the next turn, once', async () => {
    const h = harness({ settings: { mode: 'collect', cap: 2, drop: 'summarize' } });
    h.lanes.enqueue('s', h.msg('running'));
    await flushMicrotasks();
    h.lanes.enqueue('s', h.msg('please look at\nthe logs ' + 'x'.repeat(200), { from: 'bob' }));
    h.lanes.enqueue('s', h.msg('two'));
    h.lanes.enqueue('s', h.msg('three'));
    h.lanes.enqueue('s', h.msg('four'));
    // Held, not closed: they stay pending until the run carrying their note finishes them.
    expect(h.dropped).toEqual([
      { key: 's', ids: ['m1'], reason: 'summarize-held' },
      { key: 's', ids: ['m2'], reason: 'summarize-held' },
    ]);
    await h.finish(h.runs[0]);
    const next = h.runs[1];
    expect(next.ids).toEqual(['m3', 'm4']);
    expect(next.batch.summarized?.map((m) => m.id)).toEqual(['m1', 'm2']);
    const lines = next.batch.droppedSummary!.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`- bob: please look at the logs ${'x'.repeat(80 - 'please look at\nthe logs '.length)}`);
    expect(lines[1]).toBe('- alice: two');
    h.lanes.enqueue('s', h.msg('five'));
    await h.finish(next);
    expect(h.runs[2].ids).toEqual(['m5']);
    expect(h.runs[2].batch.droppedSummary).toBeUndefined();
    await h.finish(h.runs[2]);
    await h.lanes.idle();
  });

  it('steered messages count toward the cap, and the oldest of them can be dropped', async () => {
    const h = harness({ settings: { mode: 'steer', cap: 2, drop: 'old' } });
    h.lanes.enqueue('s', h.msg('running'));
    await flushMicrotasks();
    for (const t of ['a', 'b', 'c']) h.lanes.enqueue('s', h.msg(t));
    expect(h.dropped).toEqual([{ key: 's', ids: ['m1'], reason: 'cap-old' }]);
    expect(h.runs[0].handle.takeSteered().map((m) => m.id)).toEqual(['m2', 'm3']);
    await h.finish(h.runs[0]);
    await h.lanes.idle();
  });

  it('summarize in steer mode: a run that takes the steered messages also takes the note and its items', async () => {
    const h = harness({ settings: { mode: 'steer', cap: 2, drop: 'summarize' } });
    h.lanes.enqueue('s', h.msg('running'));
    await flushMicrotasks();
    for (const t of ['a', 'b', 'c']) h.lanes.enqueue('s', h.msg(t));
    expect(h.dropped).toEqual([{ key: 's', ids: ['m1'], reason: 'summarize-held' }]);
    expect(h.runs[0].handle.takeSteered().map((m) => m.id)).toEqual(['m2', 'm3']);
    const dropped = h.runs[0].handle.takeDropped();
    expect(dropped?.summary).toBe('- alice: a');
    expect(dropped?.items.map((m) => m.id)).toEqual(['m1']);
    expect(h.runs[0].handle.takeDropped()).toBeUndefined();
    await h.finish(h.runs[0]);
    await h.lanes.idle();
  });

  it('/stop closes held dropped messages with the rest of the lane', async () => {
    const h = harness({ settings: { mode: 'collect', cap: 1, drop: 'summarize' } });
    h.lanes.enqueue('s', h.msg('running'));
    await flushMicrotasks();
    h.lanes.enqueue('s', h.msg('a'));
    h.lanes.enqueue('s', h.msg('b'));
    h.lanes.stop('s');
    expect(h.dropped.at(-1)).toEqual({ key: 's', ids: ['m2', 'm1'], reason: 'stop' });
    await h.finish(h.runs[0]);
    await h.lanes.idle();
  });

  it('holds at most MAX_HELD dropped messages; the rest are counted and closed at once', async () => {
    const h = harness({ settings: { mode: 'collect', cap: 1, drop: 'summarize' } });
    h.lanes.enqueue('s', h.msg('running'));
    await flushMicrotasks();
    for (let i = 0; i < MAX_HELD + 3; i++) h.lanes.enqueue('s', h.msg(`n${i}`));
    const held = h.dropped.filter((d) => d.reason === 'summarize-held').flatMap((d) => d.ids);
    const closed = h.dropped.filter((d) => d.reason === 'summarize').flatMap((d) => d.ids);
    expect(held).toHaveLength(MAX_HELD);
    expect(closed).toHaveLength(2);
    await h.finish(h.runs[0]);
    expect(h.runs[1].batch.summarized).toHaveLength(MAX_HELD);
    await h.finish(h.runs[1]);
  });

  it('note lines are single-line and bounded, and a flood of drops is counted, not listed', () => {
    expect(noteLine('bob:  hello\n\nworld ')).toBe('- bob: hello world');
    expect(noteLine('y'.repeat(1000)).length).toBeLessThanOrEqual(162);
    const notes = new DropNotes<number>();
    for (let i = 0; i < MAX_NOTES + 3; i++) notes.add(`u: message ${i}`, i);
    const taken = notes.take()!;
    const summary = taken.summary.split('\n');
    expect(summary).toHaveLength(MAX_NOTES + 1);
    expect(summary[0]).toBe('- u: message 0');
    expect(summary.at(-1)).toBe('- … and 3 more');
    expect(taken.items).toHaveLength(MAX_NOTES + 3); // every dropped item is held, listed or only counted
    expect(notes.take()).toBeUndefined(); // taken: nothing left to summarise
  });

  it('summarize keeps at most MAX_NOTES lines plus a count', async () => {
    const h = harness({ settings: { mode: 'collect', cap: 1, drop: 'summarize' } });
    h.lanes.enqueue('s', h.msg('running'));
    await flushMicrotasks();
    for (let i = 0; i < MAX_NOTES + 6; i++) h.lanes.enqueue('s', h.msg(`n${i}`));
    await h.finish(h.runs[0]);
    const lines = h.runs[1].batch.droppedSummary!.split('\n');
    expect(lines).toHaveLength(MAX_NOTES + 1);
    expect(lines[MAX_NOTES]).toBe('- … and 5 more');
    expect(h.runs[1].ids).toHaveLength(1);
    await h.finish(h.runs[1]);
  });
});

describe('lanes: stop, retryLater, errors, cleanup, shutdown', () => {
  it('stop aborts the active run and drops the backlog', async () => {
    const h = harness({ settings: { mode: 'followup' } });
    h.lanes.enqueue('s', h.msg('a'));
    await flushMicrotasks();
    h.lanes.enqueue('s', h.msg('b'));
    h.lanes.enqueue('s', h.msg('c'));
    expect(h.lanes.stop('s')).toEqual({ aborted: true, dropped: 2 });
    expect((h.runs[0].handle.signal.reason as LaneAbortError).kind).toBe('stop');
    expect(h.dropped).toEqual([{ key: 's', ids: ['m1', 'm2'], reason: 'stop' }]);
    await h.lanes.idle();
    expect(h.runs).toHaveLength(1);
    expect(h.lanes.stop('s')).toEqual({ aborted: false, dropped: 0 });
    expect(h.lanes.stop('unknown')).toEqual({ aborted: false, dropped: 0 });
  });

  it('stop during a collect debounce drops the waiting batch and clears the timer', async () => {
    const h = harness({ settings: { mode: 'collect', debounceMs: 1000 } });
    h.lanes.enqueue('s', h.msg('a'));
    await flushMicrotasks();
    h.lanes.enqueue('s', h.msg('b'));
    await h.finish(h.runs[0]);
    expect(h.clock.pendingCount()).toBe(1);
    expect(h.lanes.stop('s')).toEqual({ aborted: false, dropped: 1 });
    expect(h.clock.pendingCount()).toBe(0);
    await h.lanes.idle();
  });

  it('retryLater puts the batch back at the front of the lane after ms, ahead of newer messages', async () => {
    let attempts = 0;
    const h = harness({
      settings: { mode: 'followup' },
      body: async (run, lanes) => {
        if (run.ids[0] === 'm0' && attempts++ === 0) {
          lanes.retryLater(run.key, run.batch, 60_000); // e.g. every model candidate is cooling down
          return;
        }
        await run.done.promise;
      },
    });
    h.lanes.enqueue('s', h.msg('needs a model'));
    h.lanes.enqueue('s', h.msg('newer'));
    await flushMicrotasks();
    expect(h.batches()).toEqual([['m0']]);
    expect(h.lanes.status('s')).toEqual({ active: false, backlog: 2, pending: true });
    await h.clock.advance(59_999);
    expect(h.runs).toHaveLength(1);
    await h.clock.advance(1);
    expect(h.batches()).toEqual([['m0'], ['m0']]);
    await h.finish(h.runs[1]);
    expect(h.batches()).toEqual([['m0'], ['m0'], ['m1']]);
    await h.finish(h.runs[2]);
    await h.lanes.idle();
  });

  it('an execute that rejects or throws is reported and the lane continues', async () => {
    const h = harness({
      settings: { mode: 'followup' },
      body: async (run) => {
        if (run.ids[0] === 'm0') throw new Error('model exploded');
        await run.done.promise;
      },
    });
    h.lanes.enqueue('s', h.msg('a'));
    h.lanes.enqueue('s', h.msg('b'));
    await flushMicrotasks();
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0].key).toBe('s');
    expect((h.errors[0].err as Error).message).toBe('model exploded');
    expect(h.batches()).toEqual([['m0'], ['m1']]);
    await h.finish(h.runs[1]);
    await h.lanes.idle();
  });

  it('an execute that throws synchronously does not break the lane either', async () => {
    const errors: unknown[] = [];
    const seen: string[] = [];
    const lanes = createLanes<{ id: string }>({
      clock: new FakeClock(),
      maxConcurrent: 2,
      resolveSettings: () => ({ mode: 'followup', debounceMs: 0, cap: 5, drop: 'old' }),
      describe: (m) => m.id,
      onError: (_k, err) => errors.push(err),
      execute: (_k, batch) => {
        seen.push(batch.items[0].id);
        if (batch.items[0].id === 'x') throw new Error('sync boom');
        return Promise.resolve();
      },
    });
    lanes.enqueue('s', { id: 'x' });
    lanes.enqueue('s', { id: 'y' });
    await lanes.idle();
    expect(seen).toEqual(['x', 'y']);
    expect(errors).toHaveLength(1);
  });

  it('removes lanes when empty: 1,000 sessions leave nothing behind', async () => {
    const clock = new FakeClock();
    let ran = 0;
    const lanes = createLanes<{ id: string }>({
      clock,
      maxConcurrent: 4,
      resolveSettings: () => ({ mode: 'collect', debounceMs: 500, cap: 20, drop: 'summarize' }),
      describe: (m) => m.id,
      execute: async () => {
        ran++;
      },
    });
    for (let i = 0; i < 1000; i++) lanes.enqueue(`agent:main:telegram:dm:${i}`, { id: `m${i}` });
    // idle() resolves only once every lane has been deleted.
    await lanes.idle();
    expect(ran).toBe(1000);
    expect(lanes.activeCount()).toBe(0);
    expect(clock.pendingCount()).toBe(0);
    expect(lanes.status('agent:main:telegram:dm:7')).toEqual({ active: false, backlog: 0, pending: false });
  });

  it('shutdown aborts active runs, drops queued work, refuses new messages', async () => {
    const h = harness({ maxConcurrent: 1, settings: { mode: 'followup', debounceMs: 1000 } });
    h.lanes.enqueue('a', h.msg('a1'));
    h.lanes.enqueue('a', h.msg('a2'));
    h.lanes.enqueue('b', h.msg('b1'));
    await flushMicrotasks();
    h.lanes.retryLater('c', { items: [h.msg('c1')] }, 10_000);
    await h.lanes.shutdown();
    expect((h.runs[0].handle.signal.reason as LaneAbortError).kind).toBe('shutdown');
    expect(h.runs).toHaveLength(1);
    expect(h.dropped.map((d) => [d.key, d.ids, d.reason])).toEqual([
      ['a', ['m1'], 'shutdown'],
      ['b', ['m2'], 'shutdown'],
      ['c', ['m3'], 'shutdown'],
    ]);
    expect(h.clock.pendingCount()).toBe(0);
    expect(h.lanes.enqueue('a', h.msg('late'))).toEqual({ accepted: false, position: -1 });
    await h.lanes.idle();
  });
});
