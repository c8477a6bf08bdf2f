// Public shapes of the lane queue (runtime/lanes.ts). Kept apart so callers can import types without the engine.
import type { Clock } from '../clock.js';
import type { DropPolicy, QueueMode } from '../config/schema.js';

/** How a message that arrives while its session is busy is handled; resolved per message by the caller. */
export interface QueueSettings {
  mode: QueueMode;
  /** collect: quiet time after the last arrival before the merged follow-up turn starts. */
  debounceMs: number;
  /** Max items waiting in one lane (not yet started). */
  cap: number;
  drop: DropPolicy;
}

/** What one agent run works on. */
export interface Batch<T> {
  items: T[];
  /** One line per message dropped by `drop: 'summarize'` since the previous turn, joined with "\n". */
  droppedSummary?: string;
  /** The dropped messages that summary stands for: the run finishes them with its own (they stay pending until then). */
  summarized?: T[];
}

/** Given to `execute` for the duration of one run. */
export interface RunHandle<T> {
  /** Aborted by interrupt, /stop or shutdown; `signal.reason` is a LaneAbortError. */
  signal: AbortSignal;
  /** Steer-mode messages that arrived since the last call (call before each model call). Empty after the run ended. */
  takeSteered(): T[];
  /**
   * The note of messages dropped by `drop: 'summarize'` (and the items), for a run that just took steered
   * messages: with nothing left in the backlog no later batch would carry it.
   */
  takeDropped(): { summary: string; items: T[] } | undefined;
}

/**
 * `shutdown`: never started because the gateway is stopping — not lost: the journal runs it after a restart.
 * `summarize-held`: dropped, but its note travels with a later batch (`Batch.summarized`), which finishes it;
 * `summarize`: dropped and only counted in the note (past the held bound), close it now.
 */
export type DropReason = 'cap-old' | 'cap-new' | 'summarize' | 'summarize-held' | 'interrupt' | 'stop' | 'shutdown';

export interface LaneOptions<T> {
  clock: Clock;
  /** Global cap on concurrent runs across all sessions (`agents.defaults.maxConcurrent`). */
  maxConcurrent: number;
  resolveSettings(sessionKey: string, item: T): QueueSettings;
  /** The agent run. Must honour `handle.signal`: the next run of the session waits until this promise settles. */
  execute(sessionKey: string, batch: Batch<T>, handle: RunHandle<T>): Promise<void>;
  /** One line for a dropped message's note, e.g. `<sender>: <first 80 chars>`; the lane makes it single-line and bounded. */
  describe(item: T): string;
  /** Items this process will not run (journal them as done, except `shutdown` and `summarize-held` ones). */
  onDropped?(sessionKey: string, items: T[], reason: DropReason): void;
  /** `execute` rejected (or a callback threw): log it; the lane continues. */
  onError?(sessionKey: string, err: unknown): void;
}

export interface EnqueueResult {
  /** false when `drop: 'new'` refused it (reported through onDropped 'cap-new') or the lanes are shut down. */
  accepted: boolean;
  /** Items waiting ahead of it in its lane: 0 = next (or injected into the active run by steer); -1 when refused. */
  position: number;
}

export interface LaneStatus {
  /** A run of this session is executing. */
  active: boolean;
  /** Items accepted but not started: queued, steered-but-not-taken, and batches waiting for retryLater. */
  backlog: number;
  /** Work is scheduled but not executing: collect debounce, waiting for a global slot, or a retryLater timer. */
  pending: boolean;
}

export interface Lanes<T> {
  enqueue(sessionKey: string, item: T): EnqueueResult;
  /** /stop: abort the active run and drop everything waiting in the lane. */
  stop(sessionKey: string): { aborted: boolean; dropped: number };
  status(sessionKey: string): LaneStatus;
  /**
   * Re-run a batch later (e.g. all model candidates cooling down): after `ms` on the clock it goes to the FRONT of
   * the lane. Until then the lane holds its other queued work, so the session's order is kept.
   */
  retryLater(sessionKey: string, batch: Batch<T>, ms: number): void;
  /** Resolves when no lane has active or pending work (tests, shutdown). */
  idle(): Promise<void>;
  /** Runs executing now, across all sessions. */
  activeCount(): number;
  /** Stop accepting, drop queued work (reported as 'stop'), abort active runs, clear timers; resolves when runs settled. */
  shutdown(): Promise<void>;
}

/** The `signal.reason` of an aborted run, so the agent loop can tell an interrupt or /stop from a timeout. */
export class LaneAbortError extends Error {
  constructor(
    readonly kind: 'interrupt' | 'stop' | 'shutdown',
    readonly sessionKey: string,
  ) {
    super(
      kind === 'interrupt'
        ? `run of ${sessionKey} aborted: a newer message interrupted it (queue mode "interrupt")`
        : kind === 'stop'
          ? `run of ${sessionKey} aborted by /stop`
          : `run of ${sessionKey} aborted: the gateway is shutting down`,
    );
    this.name = 'LaneAbortError';
  }
}
