// When a session is compacted, and what happens first: after a turn whose context went past the threshold, when
// the provider refuses a call as too long (the call is then retried once with the shorter history), and on
// /compact. Before a threshold or manual compaction, one silent turn (the memory flush) lets the agent write
// durable notes to memory/YYYY-MM-DD.md, unless policy denies it workspace writes.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config/schema.js';
import type { ModelCaller } from '../../agent/model-caller.js';
import { runAgent } from '../../agent/loop.js';
import { newEntryId } from '../../ids.js';
import type { AgentEvent } from '../../types/events.js';
import type { Logger } from '../../types/channel.js';
import type { ModelMessage, ModelRef, ToolCall, ToolResultMessage, ToolSpec } from '../../types/provider.js';
import type { SessionStore, TranscriptStore } from '../../types/storage.js';
import { contextWindowFor, type ContextUsage } from '../budget.js';
import { compactionThreshold, createCompactor, type CompactOutcome, type CompactionReason } from './compactor.js';

/** What a compaction (and the memory flush before it) needs of the session and its turn. */
export interface TurnEnv {
  runId: string;
  agentId: string;
  sessionKey: string;
  sessionId: string;
  candidates: ModelRef[];
  system: string;
  history: ModelMessage[];
  tools: ToolSpec[];
  /** Runs a tool call for a run of this session (the memory flush is a run of its own). */
  executeTool(runId: string, call: ToolCall, signal: AbortSignal): Promise<ToolResultMessage>;
  /** A run is over (per-run tool state, such as commands approved once, is forgotten). */
  endRun(runId: string): void;
  signal: AbortSignal;
  /** Pruning of what is sent (the memory flush is pruned like the turn). */
  prepareMessages?(messages: ModelMessage[]): ModelMessage[];
  /** A run of this session ended (the memory flush): e.g. commit what it changed in the workspace. */
  afterRun?(runId: string): Promise<void>;
}

export interface GovernorDeps {
  config: () => Config;
  clock: Clock;
  log: Logger;
  emit: (e: AgentEvent) => void;
  transcripts: TranscriptStore;
  sessions: SessionStore;
  modelCaller: ModelCaller;
}

export const MEMORY_FLUSH_EVENT = 'memory-flush';

/** The silent turn's request; the date names today's notes file. */
export function memoryFlushPrompt(day: string): string {
  return (
    'Pre-compaction memory flush (this message is from the gateway, not from a person). The older part of this ' +
    'conversation is about to be replaced by a summary. If it holds anything worth remembering beyond this ' +
    '(decisions, facts about the people you talk with, their preferences, open tasks), write it now to ' +
    `memory/${day}.md in your workspace: read that file first if it exists and add to it, never remove what is ` +
    'there. Write nothing when there is nothing durable. Then answer exactly NO_REPLY.'
  );
}

export function createContextGovernor(deps: GovernorDeps) {
  const { clock, log } = deps;
  const compact = createCompactor(deps);

  /** The memory flush: a silent turn whose messages are not kept in the transcript (its tool calls are audited). */
  async function memoryFlush(env: TurnEnv): Promise<void> {
    const config = deps.config();
    if (!config.agents.defaults.compaction.memoryFlush) return;
    if (!env.tools.some((t) => t.name === 'write' || t.name === 'edit')) {
      log.info('memory flush skipped: workspace writes are denied by policy', { sessionKey: env.sessionKey });
      return;
    }
    const runId = randomUUID();
    const day = new Date(clock.now()).toISOString().slice(0, 10);
    const result = await runAgent({
      runId,
      sessionKey: env.sessionKey,
      agentId: env.agentId,
      system: env.system,
      history: env.history,
      userText: memoryFlushPrompt(day),
      candidates: env.candidates,
      tools: env.tools,
      executeTool: (call, signal) => env.executeTool(runId, call, signal),
      takeSteered: () => [],
      prepareMessages: env.prepareMessages,
      signal: env.signal,
      timeoutMs: config.agents.defaults.timeoutSeconds * 1000,
      maxRounds: config.agents.defaults.maxToolRounds,
      modelCaller: deps.modelCaller,
      clock,
      // Tool events only: the flush's text is never shown anywhere.
      emit: (e) => {
        if (e.stream === 'tool') deps.emit(e);
      },
      onMessage: async () => {},
    }).finally(() => env.endRun(runId));
    await env.afterRun?.(runId);
    await deps.transcripts.append(env.agentId, env.sessionId, {
      type: 'event',
      id: newEntryId(),
      ts: clock.now(),
      runId,
      name: MEMORY_FLUSH_EVENT,
      data: { status: result.status, inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens },
    });
    if (result.status !== 'ok') log.warn('memory flush did not finish; compacting anyway', { sessionKey: env.sessionKey, runId, status: result.status });
  }

  async function flushThenCompact(env: TurnEnv, reason: CompactionReason, extra: { focus?: string; tokensBefore?: number } = {}): Promise<CompactOutcome> {
    try {
      await memoryFlush(env);
    } catch (err) {
      log.error('memory flush failed; compacting anyway', { sessionKey: env.sessionKey, err });
    }
    return compact({ ...base(env), reason, ...extra });
  }

  return {
    /** The context after a finished turn: compacts when it is past the threshold. */
    async afterTurn(env: TurnEnv, usage: ContextUsage): Promise<CompactOutcome | null> {
      const config = deps.config();
      const ref = env.candidates[0];
      if (!ref) return null;
      const window = contextWindowFor(config, ref).tokens;
      if (usage.tokens <= compactionThreshold(window, config.agents.defaults.compaction)) return null;
      return flushThenCompact(env, 'threshold', { tokensBefore: usage.tokens });
    },
    /**
     * The provider refused the turn in progress as too long: compacts everything before it (no memory flush: the
     * same too-long context would be refused again) and returns the history to retry with.
     */
    async onOverflow(env: TurnEnv & { upcoming: string[]; keepFrom: string }): Promise<CompactOutcome> {
      return compact({ ...base(env), reason: 'overflow', upcoming: env.upcoming, keepFrom: env.keepFrom });
    },
    /** `/compact [focus]`. */
    compactNow(env: TurnEnv, focus?: string): Promise<CompactOutcome> {
      return flushThenCompact(env, 'manual', { focus });
    },
  };
}

export type ContextGovernor = ReturnType<typeof createContextGovernor>;

function base(env: TurnEnv) {
  return {
    agentId: env.agentId,
    sessionKey: env.sessionKey,
    sessionId: env.sessionId,
    candidates: env.candidates,
    system: env.system,
    tools: env.tools,
    signal: env.signal,
  };
}
