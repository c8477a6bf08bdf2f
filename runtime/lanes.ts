// Session lanes: one serial lane per sessionKey, a global p-limit on concurrent runs, and the queue modes
// (collect / followup / steer / interrupt) plus cap/drop for messages arriving while a session is busy.
//
// Choices worth knowing:
// - An idle lane starts a run at once, even in collect mode with debounceMs > 0 (as OpenClaw does): the user
//   waiting on a reply should not pay the debounce. The debounce applies to what piled up during a run.
// - The batch is chosen when the global slot is granted, not when requested, so collect items that arrive
//   while a lane waits for a slot still join its turn.
// - A steer message is injected only into a run that is executing; otherwise it waits like a followup.
// - While a retryLater timer is pending the lane holds its other queued work (session order is kept).
import pLimit from 'p-limit';
import type { TimerHandle } from './clock.js';
import { DropNotes } from './queue/drop-notes.js';
import {
  LaneAbortError,
  type Batch,
  type DropReason,
  type EnqueueResult,
  type LaneOptions,
  type Lanes,
  type LaneStatus,
  type QueueSettings,
  type RunHandle,
} from './queue/types.js';

export * from './queue/types.js';

interface Entry<T> {
  item: T;
  /** Arrival order within the process, so steer leftovers re-enter the backlog in place. */
  seq: number;
  mode: QueueSettings['mode'];
}

interface ActiveRun<T> {
  controller: AbortController;
  steered: Entry<T>[];
  ended: boolean;
}

interface Lane<T> {
  key: string;
  backlog: Entry<T>[];
  /** retryLater batches whose time came: they run before the backlog. */
  front: Batch<T>[];
  retries: Map<TimerHandle, Batch<T>>;
  notes: DropNotes<T>;
  slot: 'idle' | 'waiting' | 'running';
  active?: ActiveRun<T>;
  debounce?: TimerHandle;
  lastArrivalAt: number;
  quietMs: number;
}

export function createLanes<T extends { id: string }>(opts: LaneOptions<T>): Lanes<T> {
  const { clock } = opts;
  const limit = pLimit(Math.max(1, Math.floor(opts.maxConcurrent)));
  const lanes = new Map<string, Lane<T>>();
  let idleWaiters: Array<() => void> = [];
  let running = 0;
  let seq = 0;
  let closed = false;

  // A callback that throws must not break a lane; onError is the place to hear about it.
  const reportError = (key: string, err: unknown): void => {
    try {
      opts.onError?.(key, err);
    } catch (inner) {
      console.error(`lanes: onError threw while reporting an error of ${key}`, inner, err);
    }
  };

  const reportDropped = (key: string, items: T[], reason: DropReason): void => {
    if (items.length === 0) return;
    try {
      opts.onDropped?.(key, items, reason);
    } catch (err) {
      reportError(key, err);
    }
  };

  const laneFor = (key: string): Lane<T> => {
    let lane = lanes.get(key);
    if (!lane) {
      lane = {
        key,
        backlog: [],
        front: [],
        retries: new Map(),
        notes: new DropNotes(),
        slot: 'idle',
        lastArrivalAt: clock.now(),
        quietMs: 0,
      };
      lanes.set(key, lane);
    }
    return lane;
  };

  const waitingCount = (lane: Lane<T>): number => lane.backlog.length + (lane.active?.steered.length ?? 0);

  /** Removes and returns the oldest waiting item (backlog or steered, by arrival). */
  const removeOldest = (lane: Lane<T>): T | undefined => {
    const steered = lane.active?.steered ?? [];
    const b = lane.backlog[0];
    const s = steered[0];
    if (b && (!s || b.seq < s.seq)) return lane.backlog.shift()!.item;
    return s ? steered.shift()!.item : undefined;
  };

  /** Empties everything waiting in the lane (not the executing run) and returns the items. */
  const drain = (lane: Lane<T>): T[] => {
    const items: T[] = [];
    for (const [h, batch] of lane.retries) {
      clock.clearTimeout(h);
      items.push(...batch.items, ...(batch.summarized ?? []));
    }
    lane.retries.clear();
    for (const batch of lane.front) items.push(...batch.items, ...(batch.summarized ?? []));
    lane.front = [];
    const waiting = [...lane.backlog, ...(lane.active?.steered ?? [])].sort((a, b) => a.seq - b.seq);
    items.push(...waiting.map((e) => e.item));
    lane.backlog = [];
    if (lane.active) lane.active.steered = [];
    if (lane.debounce) clock.clearTimeout(lane.debounce);
    lane.debounce = undefined;
    items.push(...lane.notes.clear());
    return items;
  };

  const abortActive = (lane: Lane<T>, kind: LaneAbortError['kind']): boolean => {
    const run = lane.active;
    if (!run || run.ended || run.controller.signal.aborted) return false;
    run.controller.abort(new LaneAbortError(kind, lane.key));
    return true;
  };

  const settleIdle = (): void => {
    if (lanes.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  /**
   * Decides what the lane does next when no run holds or awaits its slot: start, wait (debounce/retry), or
   * disappear. `afterRun` means the lane just finished a run (or is in its debounce), so collect waits for quiet.
   */
  const pump = (lane: Lane<T>, afterRun: boolean): void => {
    if (lane.slot !== 'idle' || lane.debounce) return;
    if (lane.front.length > 0) return requestSlot(lane);
    if (lane.retries.size > 0) return;
    const head = lane.backlog[0];
    if (!head) {
      if (lanes.get(lane.key) === lane) lanes.delete(lane.key);
      return settleIdle();
    }
    if (afterRun && head.mode === 'collect') {
      const wait = lane.lastArrivalAt + lane.quietMs - clock.now();
      if (wait > 0) {
        lane.debounce = clock.setTimeout(() => {
          lane.debounce = undefined;
          pump(lane, true);
        }, wait);
        return;
      }
    }
    requestSlot(lane);
  };

  const requestSlot = (lane: Lane<T>): void => {
    lane.slot = 'waiting';
    limit(() => runInSlot(lane)).catch((err: unknown) => {
      // runInSlot catches everything itself; reaching here is a bug in this module, not in execute.
      lane.slot = 'idle';
      reportError(lane.key, err);
      pump(lane, false);
    });
  };

  /** The next batch: a due retry first, else from the backlog (collect merges the leading collect items). */
  const takeBatch = (lane: Lane<T>): Batch<T> | undefined => {
    const retry = lane.front.shift();
    if (retry) return retry;
    if (lane.retries.size > 0 || lane.backlog.length === 0) return undefined;
    let n = 1;
    if (lane.backlog[0].mode === 'collect') {
      while (n < lane.backlog.length && lane.backlog[n].mode === 'collect') n++;
    }
    const items = lane.backlog.splice(0, n).map((e) => e.item);
    const dropped = lane.notes.take();
    return dropped === undefined ? { items } : { items, droppedSummary: dropped.summary, summarized: dropped.items };
  };

  const runInSlot = async (lane: Lane<T>): Promise<void> => {
    const batch = takeBatch(lane);
    if (!batch) {
      lane.slot = 'idle';
      pump(lane, false);
      return;
    }
    const run: ActiveRun<T> = { controller: new AbortController(), steered: [], ended: false };
    const handle: RunHandle<T> = {
      signal: run.controller.signal,
      takeSteered: () => run.steered.splice(0).map((e) => e.item),
      takeDropped: () => (run.ended ? undefined : lane.notes.take()),
    };
    lane.slot = 'running';
    lane.active = run;
    running++;
    try {
      await opts.execute(lane.key, batch, handle);
    } catch (err) {
      reportError(lane.key, err);
    } finally {
      running--;
      run.ended = true;
      lane.active = undefined;
      lane.slot = 'idle';
    }
    // What the run did not take falls back to followup, in arrival order among the rest.
    const leftovers = run.steered.splice(0);
    if (leftovers.length > 0) {
      if (closed)
        reportDropped(
          lane.key,
          leftovers.map((e) => e.item),
          'shutdown',
        );
      else {
        lane.backlog = [...lane.backlog, ...leftovers.map((e) => ({ ...e, mode: 'followup' as const }))];
        lane.backlog.sort((a, b) => a.seq - b.seq);
      }
    }
    pump(lane, true);
  };

  /** Applies cap/drop before adding one more waiting item; false when the new one is refused. */
  const makeRoom = (lane: Lane<T>, item: T, settings: QueueSettings): boolean => {
    const cap = Math.max(1, Math.floor(settings.cap));
    if (waitingCount(lane) < cap) return true;
    if (settings.drop === 'new') {
      reportDropped(lane.key, [item], 'cap-new');
      return false;
    }
    const dropped: T[] = [];
    const held: T[] = [];
    while (waitingCount(lane) >= cap) {
      const old = removeOldest(lane);
      if (old === undefined) break;
      if (settings.drop === 'summarize' && lane.notes.add(describeSafely(lane.key, old), old)) held.push(old);
      else dropped.push(old);
    }
    reportDropped(lane.key, held, 'summarize-held');
    reportDropped(lane.key, dropped, settings.drop === 'summarize' ? 'summarize' : 'cap-old');
    return true;
  };

  const describeSafely = (key: string, item: T): string => {
    try {
      return opts.describe(item);
    } catch (err) {
      reportError(key, err);
      return `(message ${item.id})`;
    }
  };

  return {
    enqueue(sessionKey, item): EnqueueResult {
      if (closed) {
        reportDropped(sessionKey, [item], 'shutdown');
        return { accepted: false, position: -1 };
      }
      const settings = opts.resolveSettings(sessionKey, item);
      const lane = laneFor(sessionKey);
      const entry: Entry<T> = { item, seq: seq++, mode: settings.mode };

      if (settings.mode === 'interrupt') {
        reportDropped(sessionKey, drain(lane), 'interrupt');
        abortActive(lane, 'interrupt');
        lane.backlog.push(entry);
        pump(lane, false);
        return { accepted: true, position: 0 };
      }

      const run = lane.active;
      if (settings.mode === 'steer' && run && !run.ended && !run.controller.signal.aborted) {
        if (!makeRoom(lane, item, settings)) return { accepted: false, position: -1 };
        run.steered.push(entry);
        return { accepted: true, position: 0 };
      }

      // Refusal needs a full backlog, so the lane is never left empty here.
      if (!makeRoom(lane, item, settings)) return { accepted: false, position: -1 };
      lane.backlog.push(entry);
      lane.lastArrivalAt = clock.now();
      if (settings.mode === 'collect') lane.quietMs = Math.max(0, settings.debounceMs);
      if (lane.debounce) {
        // A new arrival restarts the quiet period.
        clock.clearTimeout(lane.debounce);
        lane.debounce = undefined;
        pump(lane, true);
      } else pump(lane, false);
      return { accepted: true, position: lane.backlog.indexOf(entry) };
    },

    stop(sessionKey) {
      const lane = lanes.get(sessionKey);
      if (!lane) return { aborted: false, dropped: 0 };
      const items = drain(lane);
      reportDropped(sessionKey, items, 'stop');
      const aborted = abortActive(lane, 'stop');
      pump(lane, false);
      return { aborted, dropped: items.length };
    },

    status(sessionKey): LaneStatus {
      const lane = lanes.get(sessionKey);
      if (!lane) return { active: false, backlog: 0, pending: false };
      let backlog = waitingCount(lane);
      for (const b of lane.front) backlog += b.items.length;
      for (const b of lane.retries.values()) backlog += b.items.length;
      return {
        active: lane.slot === 'running',
        backlog,
        pending: lane.slot === 'waiting' || lane.debounce !== undefined || lane.retries.size > 0 || lane.front.length > 0,
      };
    },

    retryLater(sessionKey, batch, ms) {
      if (closed) {
        reportDropped(sessionKey, [...batch.items, ...(batch.summarized ?? [])], 'shutdown');
        return;
      }
      const lane = laneFor(sessionKey);
      const h = clock.setTimeout(
        () => {
          if (!lane.retries.delete(h)) return;
          lane.front.push(batch);
          pump(lane, false);
        },
        Math.max(0, ms),
      );
      lane.retries.set(h, batch);
      // A pending debounce must not start the backlog ahead of the retried batch.
      if (lane.debounce) {
        clock.clearTimeout(lane.debounce);
        lane.debounce = undefined;
      }
    },

    idle() {
      if (lanes.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },

    activeCount: () => running,

    async shutdown() {
      closed = true;
      for (const lane of [...lanes.values()]) {
        reportDropped(lane.key, drain(lane), 'shutdown');
        abortActive(lane, 'shutdown');
        pump(lane, false);
      }
      // Runs end when execute honours its signal; lanes waiting for a slot find nothing and dissolve.
      if (lanes.size > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
