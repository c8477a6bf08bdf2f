// One bus for agent-run events (lifecycle, assistant deltas, tools). Listeners must not break a run:
// a throwing listener is logged and skipped.
import type { AgentEvent, Logger } from './types/index.js';

export type EventListener = (e: AgentEvent) => void;

export interface EventBus {
  emit(e: AgentEvent): void;
  on(fn: EventListener): () => void;
}

export function createEventBus(log?: Logger): EventBus {
  const listeners = new Set<EventListener>();
  return {
    emit(e) {
      for (const fn of listeners) {
        try {
          fn(e);
        } catch (err) {
          log?.error('event listener failed', { runId: e.runId, sessionKey: e.sessionKey, err });
        }
      }
    },
    on(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
