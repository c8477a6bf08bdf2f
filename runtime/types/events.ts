// Events of agent runs, on one bus. Every event names its run and session.

export interface EventBase {
  runId: string;
  sessionKey: string;
  agentId: string;
  ts: number;
}

export type LifecycleEvent = EventBase & {
  stream: 'lifecycle';
} & (
    | { phase: 'start' }
    | { phase: 'end'; text: string; delivered: boolean }
    | { phase: 'error'; error: string; kind?: string }
    | { phase: 'failover'; from: string; to: string; reason: string }
  );

export type AssistantEvent = EventBase & { stream: 'assistant'; delta: string };

export type ToolEvent = EventBase & {
  stream: 'tool';
  tool: string;
  callId: string;
} & (
    | { phase: 'start'; args: Record<string, unknown> }
    /** `preview`: the start of the result (live views; never audited). */
    | { phase: 'end'; isError: boolean; resultChars: number; exitCode?: number; durationMs?: number; preview?: string }
    | { phase: 'denied'; reason: string }
    | { phase: 'approval-wait'; approvalId: string }
  );

export type AgentEvent = LifecycleEvent | AssistantEvent | ToolEvent;

/** An event without the fields every event has: what the code that reports one fills in (checked per variant). */
export type AgentEventBody = AgentEvent extends infer E ? (E extends AgentEvent ? Omit<E, keyof EventBase> : never) : never;
