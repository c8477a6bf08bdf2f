// A manual clock for tests: time moves only when the test calls advance().
import type { Clock, TimerHandle } from '../../runtime/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Pending[] = [];
  /** Every wait asked for, in ms, in order (what a retry or a backoff waited for). */
  readonly requested: number[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.requested.push(ms);
    const p: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(p);
    return p;
  }

  clearTimeout(h: TimerHandle): void {
    (h as Pending).cancelled = true;
  }

  /** Timers not yet fired or cancelled. */
  pendingCount(): number {
    return this.timers.filter((p) => !p.cancelled).length;
  }

  /** Milliseconds until the next pending timer is due (0 when one is due now; Infinity when none). */
  nextDueIn(): number {
    const live = this.timers.filter((p) => !p.cancelled);
    return live.length === 0 ? Infinity : Math.max(0, Math.min(...live.map((p) => p.at)) - this.t);
  }

  /** Moves time forward, firing due timers in order; awaits microtasks between timers so async chains settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flushMicrotasks();
      const due = this.timers.filter((p) => !p.cancelled && p.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      due.cancelled = true;
      this.timers = this.timers.filter((p) => p !== due);
      due.fn();
    }
    this.t = end;
    this.timers = this.timers.filter((p) => !p.cancelled);
    await flushMicrotasks();
  }
}

export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
