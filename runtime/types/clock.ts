// Time as a dependency: everything whose behaviour depends on time (debounce, cooldowns, retries, timeouts,
// expiry) takes a Clock, so tests drive a fake one instead of sleeping. The one Clock type of the code base; the
// runtime, storage and the adapters all use it.

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(h: TimerHandle): void;
}
export type TimerHandle = { readonly __timer: unique symbol } | object;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
