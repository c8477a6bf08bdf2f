// The never-throw protocol every provider follows for one streamed call: each SDK event restarts the idle timer
// and may yield a text delta; the end is `done`, or a typed error (aborted, idle timeout, stream cut short, or
// whatever the SDK threw). Only the folding of events into a result differs per API.
import type { Clock } from '../clock.js';
import type { ModelError, ProviderEvent } from '../types/provider.js';
import { createCallControl } from './call-control.js';
import { modelErrorForReason, modelErrorFromThrown } from './errors.js';

export interface StreamAccumulator<E> {
  /** Folds one SDK event in; returns the text delta it carried, if any. */
  add(event: E): string | undefined;
  /** The API's end-of-message marker was seen. */
  readonly finished: boolean;
  done(): ProviderEvent;
}

export async function* drainModelStream<E>(opts: {
  providerId: string;
  clock: Clock;
  idleMs: number;
  signal?: AbortSignal;
  open(signal: AbortSignal): Promise<AsyncIterable<E>>;
  accumulator: StreamAccumulator<E>;
  /** Said when the stream ends without the end-of-message marker. */
  unfinished: string;
  /** Adds API-specific hints to an error the SDK threw. */
  refineThrown?: (e: ModelError) => ModelError;
}): AsyncGenerator<ProviderEvent, void, undefined> {
  const control = createCallControl(opts.clock, opts.idleMs, opts.signal);
  const acc = opts.accumulator;
  try {
    for await (const event of await opts.open(control.signal)) {
      control.touch();
      const delta = acc.add(event);
      if (delta !== undefined) yield { type: 'text', delta };
    }
    const reason = control.reason();
    if (reason) yield { type: 'error', error: modelErrorForReason(reason, opts.idleMs, opts.providerId) };
    else if (!acc.finished) yield { type: 'error', error: { kind: 'server_error', message: `${opts.providerId}: ${opts.unfinished}` } };
    else yield acc.done();
  } catch (err) {
    const error = modelErrorFromThrown(err, control.reason(), opts.clock.now(), opts.providerId);
    yield { type: 'error', error: opts.refineThrown ? opts.refineThrown(error) : error };
  } finally {
    control.dispose();
  }
}
