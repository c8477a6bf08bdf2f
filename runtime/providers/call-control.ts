// One model call's cancellation: the caller's abort signal plus an idle timeout (no stream event for
// `idleMs`). Both end the SDK request through one AbortController; afterwards `reason()` says which fired,
// because the SDKs report either as a bare abort (or not at all: an aborted SSE iterator just stops).
import type { Clock } from '../clock.js';

export interface CallControl {
  readonly signal: AbortSignal;
  /** Call on every stream event: restarts the idle timer. */
  touch(): void;
  /** 'aborted' (caller), 'timeout' (idle timer) or undefined (still running / ended on its own). */
  reason(): 'aborted' | 'timeout' | undefined;
  /** Stops the timer and detaches from the caller's signal. */
  dispose(): void;
}

export function createCallControl(clock: Clock, idleMs: number, outer?: AbortSignal): CallControl {
  const controller = new AbortController();
  let why: 'aborted' | 'timeout' | undefined;
  let timer: ReturnType<Clock['setTimeout']> | undefined;

  const onOuterAbort = () => {
    why ??= 'aborted';
    controller.abort(outer?.reason);
  };
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });

  const arm = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    if (controller.signal.aborted) return;
    timer = clock.setTimeout(() => {
      why ??= 'timeout';
      controller.abort(new Error(`no data from the model API for ${idleMs} ms`));
    }, idleMs);
  };
  arm();

  return {
    signal: controller.signal,
    touch: arm,
    reason: () => why,
    dispose() {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      outer?.removeEventListener('abort', onOuterAbort);
    },
  };
}
