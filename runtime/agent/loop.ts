// The agent loop of one run: model → tool calls → model … until a final answer, bounded by max rounds,
// a per-run timeout and an abort signal. It knows nothing of channels or storage: messages are persisted through
// `onMessage` as they happen, and events go to `emit`.
import type { AgentEvent, AgentEventBody, ModelError, ModelMessage, ModelRef, ToolCall, ToolResultMessage, ToolSpec, Usage } from '../types/index.js';
import type { Clock } from '../clock.js';
import type { ModelCaller } from './model-caller.js';

export interface RunInput {
  runId: string;
  sessionKey: string;
  agentId: string;
  system: string;
  history: ModelMessage[];
  /** The new user turn (already merged when several messages arrived). */
  userText: string;
  candidates: ModelRef[];
  tools: ToolSpec[];
  executeTool(call: ToolCall, signal: AbortSignal): Promise<ToolResultMessage>;
  /** Messages steered into the active run; pulled before every model call after the first. */
  takeSteered(): string[];
  signal: AbortSignal;
  timeoutMs: number;
  maxRounds: number;
  modelCaller: ModelCaller;
  clock: Clock;
  emit(e: AgentEvent): void;
  onMessage(m: ModelMessage, usage?: Usage): Promise<void>;
  /** What is sent instead of the messages, before every model call (pruning; the transcript is untouched). */
  prepareMessages?(messages: ModelMessage[]): ModelMessage[];
  /**
   * The provider said the context is too long: returns a shorter history (compacted) to retry the call with, or
   * null when nothing can be shortened. Called at most once per run.
   */
  onContextOverflow?(): Promise<ModelMessage[] | null>;
}

export type RunResult =
  | { status: 'ok'; text: string; usage: Usage; rounds: number }
  | { status: 'error'; error: ModelError; usage: Usage }
  | { status: 'unavailable'; retryAt: number; error: ModelError; usage: Usage }
  | { status: 'aborted'; reason: string; usage: Usage }
  | { status: 'timeout'; usage: Usage }
  | { status: 'max_rounds'; text: string; usage: Usage };

export async function runAgent(input: RunInput): Promise<RunResult> {
  const usage: Usage = { inputTokens: 0, outputTokens: 0 };
  const ac = new AbortController();
  let timedOut = false;
  const onOuterAbort = () => ac.abort(input.signal.reason);
  if (input.signal.aborted) ac.abort(input.signal.reason);
  else input.signal.addEventListener('abort', onOuterAbort, { once: true });
  const timer = input.clock.setTimeout(() => {
    timedOut = true;
    ac.abort(new Error(`run timed out after ${input.timeoutMs} ms`));
  }, input.timeoutMs);
  const base = { runId: input.runId, sessionKey: input.sessionKey, agentId: input.agentId };
  const ev = (e: AgentEventBody) => input.emit({ ...base, ts: input.clock.now(), ...e });
  const stopped = (): RunResult => (timedOut ? { status: 'timeout', usage } : { status: 'aborted', reason: abortReason(ac.signal), usage });

  try {
    let history = input.history;
    const own: ModelMessage[] = []; // this run's messages, after the history
    let overflowRetried = false;
    const push = async (m: ModelMessage, u?: Usage) => {
      own.push(m);
      await input.onMessage(m, u);
    };
    await push({ role: 'user', text: input.userText });
    let lastText = '';
    for (let round = 1; round <= input.maxRounds; round++) {
      if (ac.signal.aborted) return stopped();
      if (round > 1) {
        const steered = input.takeSteered();
        if (steered.length > 0) await push({ role: 'user', text: steered.join('\n\n') });
      }
      let done: { text: string; toolCalls: ToolCall[]; usage: Usage } | null = null;
      let overflow: ModelError | undefined;
      const messages = [...history, ...own];
      for await (const e of input.modelCaller.stream({
        runId: input.runId,
        sessionKey: input.sessionKey,
        agentId: input.agentId,
        candidates: input.candidates,
        system: input.system,
        messages: input.prepareMessages ? input.prepareMessages(messages) : messages,
        tools: input.tools,
        signal: ac.signal,
      })) {
        if (e.type === 'text') ev({ stream: 'assistant', delta: e.delta });
        else if (e.type === 'failover') ev({ stream: 'lifecycle', phase: 'failover', from: e.from, to: e.to, reason: e.reason });
        else if (e.type === 'done') done = e;
        else if (e.type === 'unavailable') return { status: 'unavailable', retryAt: e.retryAt, error: e.error, usage };
        else if (e.type === 'error') {
          if (ac.signal.aborted || e.error.kind === 'aborted') return stopped();
          if (e.error.kind === 'context_overflow' && input.onContextOverflow && !overflowRetried) {
            overflow = e.error;
            continue;
          }
          return { status: 'error', error: e.error, usage };
        }
      }
      if (overflow) {
        overflowRetried = true;
        const shorter = await input.onContextOverflow!();
        if (ac.signal.aborted) return stopped();
        if (!shorter) return { status: 'error', error: overflow, usage };
        history = shorter;
        round--; // the same round again, once
        continue;
      }
      if (!done) {
        if (ac.signal.aborted) return stopped();
        return { status: 'error', error: { kind: 'server_error', message: 'the model stream ended without a result' }, usage };
      }
      usage.inputTokens += done.usage.inputTokens;
      usage.outputTokens += done.usage.outputTokens;
      lastText = done.text;
      await push({ role: 'assistant', text: done.text, toolCalls: done.toolCalls.length ? done.toolCalls : undefined }, done.usage);
      if (done.toolCalls.length === 0) return { status: 'ok', text: done.text, usage, rounds: round };
      const results: ToolResultMessage[] = [];
      for (const call of done.toolCalls) {
        if (ac.signal.aborted) return stopped();
        results.push(await input.executeTool(call, ac.signal));
      }
      await push({ role: 'tool', results });
    }
    return { status: 'max_rounds', text: lastText, usage };
  } finally {
    input.clock.clearTimeout(timer);
    input.signal.removeEventListener('abort', onOuterAbort);
  }
}

function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r.message;
  return typeof r === 'string' ? r : 'aborted';
}
