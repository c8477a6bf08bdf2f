// Agent-run events (the runtime's bus) as control-plane events: `agent` (lifecycle, assistant text, tools, by
// runId), `chat` (what a chat view shows: delta / final / error per session), `approval.requested` and
// `session.changed`. Assistant deltas are coalesced per run (every 100 ms, and before any other event of the run),
// so a long answer is a few events per second rather than one per token, for the wire and for the replay window.
import type { AgentEvent, Clock, TimerHandle } from '../types/index.js';
import type { EventHub } from './event-hub.js';

export interface RunInfo {
  runId: string;
  sessionKey: string;
  agentId: string;
  startedAt: number;
  /** Characters streamed so far. */
  chars: number;
}

export interface RunTracker {
  onAgentEvent(e: AgentEvent): void;
  active(): RunInfo[];
  /** Publishes coalesced text now (shutdown). */
  flush(): void;
}

/** Strings in tool arguments are cut to this many characters in events. */
const ARG_CHARS = 2000;
const COALESCE_MS = 100;
/** Approval ids already announced (a shared pending approval is waited on by several tool calls). */
const ANNOUNCED_LIMIT = 1000;

function trimStrings(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length > ARG_CHARS ? `${v.slice(0, ARG_CHARS)}… (${v.length} characters)` : v;
  if (depth > 6 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.slice(0, 100).map((x) => trimStrings(x, depth + 1));
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .slice(0, 100)
      .map(([k, x]) => [k, trimStrings(x, depth + 1)]),
  );
}

export function createRunEvents(deps: {
  hub: EventHub;
  clock: Clock;
  redact(v: unknown): unknown;
  approval(id: string): Record<string, unknown> | undefined;
}): RunTracker {
  const { hub, clock } = deps;
  const runs = new Map<string, RunInfo>();
  const pending = new Map<string, { e: AgentEvent; text: string; timer: TimerHandle }>();
  const announced = new Set<string>();

  const flushRun = (runId: string) => {
    const p = pending.get(runId);
    if (!p) return;
    pending.delete(runId);
    clock.clearTimeout(p.timer);
    const { sessionKey, agentId } = p.e;
    hub.publish('agent', { runId, sessionKey, agentId, stream: 'assistant', delta: p.text });
    hub.publish('chat', { sessionKey, runId, state: 'delta', text: p.text });
  };

  return {
    onAgentEvent(e) {
      const base = { runId: e.runId, sessionKey: e.sessionKey, agentId: e.agentId, ts: e.ts };
      if (e.stream === 'assistant') {
        const run = runs.get(e.runId);
        if (run) run.chars += e.delta.length;
        const p = pending.get(e.runId);
        if (p) p.text += e.delta;
        else pending.set(e.runId, { e, text: e.delta, timer: clock.setTimeout(() => flushRun(e.runId), COALESCE_MS) });
        return;
      }
      flushRun(e.runId);
      if (e.stream === 'tool') {
        const { stream: _s, ts: _t, runId: _r, sessionKey: _k, agentId: _a, ...rest } = e;
        const detail =
          'args' in rest ? { ...rest, args: trimStrings(deps.redact(rest.args)) } : 'preview' in rest ? { ...rest, preview: deps.redact(rest.preview) } : rest;
        hub.publish('agent', { ...base, stream: 'tool', ...detail });
        if (e.phase === 'approval-wait' && !announced.has(e.approvalId)) {
          announced.add(e.approvalId);
          if (announced.size > ANNOUNCED_LIMIT) announced.delete(announced.values().next().value!);
          hub.publish('approval.requested', deps.approval(e.approvalId) ?? { id: e.approvalId, runId: e.runId, sessionKey: e.sessionKey, agentId: e.agentId });
        }
        return;
      }
      switch (e.phase) {
        case 'start':
          runs.set(e.runId, { runId: e.runId, sessionKey: e.sessionKey, agentId: e.agentId, startedAt: e.ts, chars: 0 });
          hub.publish('agent', { ...base, stream: 'lifecycle', phase: 'start' });
          hub.publish('session.changed', { sessionKey: e.sessionKey, agentId: e.agentId, reason: 'run-start', runId: e.runId });
          return;
        case 'failover':
          hub.publish('agent', { ...base, stream: 'lifecycle', phase: 'failover', from: e.from, to: e.to, reason: e.reason });
          // The text streamed by the failed attempt is void: chat views drop it.
          hub.publish('chat', { sessionKey: e.sessionKey, runId: e.runId, state: 'delta', text: '', reset: true });
          return;
        case 'end':
          runs.delete(e.runId);
          hub.publish('agent', { ...base, stream: 'lifecycle', phase: 'end', delivered: e.delivered, chars: e.text.length });
          hub.publish('chat', { sessionKey: e.sessionKey, runId: e.runId, state: 'final', text: e.text });
          hub.publish('session.changed', { sessionKey: e.sessionKey, agentId: e.agentId, reason: 'run-end', runId: e.runId });
          return;
        case 'error':
          runs.delete(e.runId);
          hub.publish('agent', { ...base, stream: 'lifecycle', phase: 'error', error: e.error, kind: e.kind });
          hub.publish('chat', { sessionKey: e.sessionKey, runId: e.runId, state: 'error', text: e.error });
          hub.publish('session.changed', { sessionKey: e.sessionKey, agentId: e.agentId, reason: 'run-end', runId: e.runId });
          return;
      }
    },
    active: () => [...runs.values()],
    flush() {
      for (const runId of [...pending.keys()]) flushRun(runId);
    },
  };
}
