// A compaction of one session: plan the cut, summarise what comes before it (or, when the model cannot, drop it
// from view with a marker), append a `compaction` entry to the transcript and record it in the session entry.
// The transcript is only appended to; the history the model sees becomes summary + entries from firstKeptEntryId.
import type { Clock } from '../../clock.js';
import type { Config } from '../../config/schema.js';
import type { ModelCaller } from '../../agent/model-caller.js';
import { viewFromTranscript, viewMessages, type HistoryView } from '../../agent/history.js';
import { newEntryId } from '../../ids.js';
import type { Logger } from '../../types/channel.js';
import type { ModelMessage, ModelRef, ToolSpec } from '../../types/provider.js';
import type { CompactionEntry, SessionStore, TranscriptStore } from '../../types/storage.js';
import { contextWindowFor, estimateRequestTokens } from '../budget.js';
import { planCompaction } from './plan.js';
import { summarise } from './summarize.js';

export type CompactionReason = 'threshold' | 'overflow' | 'manual';

export interface CompactionSettings {
  reserveTokens: number;
  keepRecentTokens: number;
}

/**
 * Compaction starts above `window − reserveTokens`; with a window smaller than twice the reserve, at half the
 * window, so a small local model is not compacted after every turn.
 */
export function compactionThreshold(window: number, s: CompactionSettings): number {
  return Math.max(window - s.reserveTokens, Math.floor(window / 2));
}

/** What is kept: keepRecentTokens, but at most half the threshold, so a compaction always makes room. */
export function keepBudget(window: number, s: CompactionSettings): number {
  return Math.min(s.keepRecentTokens, Math.floor(compactionThreshold(window, s) / 2));
}

export interface CompactRequest {
  agentId: string;
  sessionKey: string;
  sessionId: string;
  candidates: ModelRef[];
  system: string;
  tools: ToolSpec[];
  reason: CompactionReason;
  focus?: string;
  /** Inbound ids of a turn in progress: its entries are not part of what is compacted. */
  upcoming?: string[];
  /** The first entry of a turn in progress: the kept part may start there (all older history summarised). */
  keepFrom?: string;
  /** The context size that triggered it, when the provider reported one. */
  tokensBefore?: number;
  signal?: AbortSignal;
}

export interface CompactOutcome {
  status: 'summarised' | 'dropped' | 'nothing';
  entry?: CompactionEntry;
  tokensBefore: number;
  tokensAfter: number;
  /** The history the model sees from now on (a turn in progress excluded). */
  history: ModelMessage[];
  /** Why the summary could not be made (status 'dropped'). */
  failure?: string;
  /** To tell the user (once per session): older messages were dropped from view. */
  notice?: string;
}

export interface CompactorDeps {
  config: () => Config;
  clock: Clock;
  log: Logger;
  transcripts: TranscriptStore;
  sessions: SessionStore;
  modelCaller: ModelCaller;
}

export const DROP_NOTICE =
  'ℹ️ This conversation grew too long for the model, and the older messages could not be summarised (the model did ' +
  'not answer), so the model no longer sees them. Nothing is lost: the full transcript is kept on disk.';

export function createCompactor(deps: CompactorDeps) {
  const { clock, log } = deps;

  return async function compact(req: CompactRequest): Promise<CompactOutcome> {
    const config = deps.config();
    const settings = config.agents.defaults.compaction;
    const entries = await deps.transcripts.read(req.agentId, req.sessionId);
    const view = viewFromTranscript(entries, req.upcoming);
    const estimate = (messages: ModelMessage[]) => estimateRequestTokens(req.system, req.tools, messages);
    const before = viewMessages(view);
    const tokensBefore = req.tokensBefore ?? estimate(before);
    const window = req.candidates[0] ? contextWindowFor(config, req.candidates[0]).tokens : 0;
    const keep = keepBudget(window, settings);
    // The provider refused although the estimate fits (a wrong window, a tokenizer unlike chars ÷ 4): everything
    // before the turn in progress is summarised, the most one retry can gain. /compact keeps at least the newest
    // message even when everything would fit.
    const plan =
      req.reason === 'overflow'
        ? planCompaction(view.items, 0, req.keepFrom)
        : (planCompaction(view.items, keep) ?? (req.reason === 'manual' ? planCompaction(view.items, 0) : null));
    if (!plan) return { status: 'nothing', tokensBefore, tokensAfter: tokensBefore, history: before };

    const previous = view.compaction?.summary;
    const result = await summarise({
      modelCaller: deps.modelCaller,
      candidates: req.candidates,
      runId: `compaction:${req.sessionId}`,
      sessionKey: req.sessionKey,
      agentId: req.agentId,
      previousSummary: previous,
      messages: plan.summarise,
      focus: req.focus,
      maxInputChars: Math.max(8_000, Math.floor(window * 4 * 0.5)),
      timeoutMs: config.agents.defaults.timeoutSeconds * 1000,
      clock,
      signal: req.signal,
    });
    // Stopped by the user or a shutdown: nothing is dropped for that; the next turn tries again.
    if (req.signal?.aborted) return { status: 'nothing', tokensBefore, tokensAfter: tokensBefore, history: before };
    const summary = result.ok ? result.summary : dropMarker(plan.summarise.length, previous);
    const after: HistoryView = { compaction: { summary } as CompactionEntry, items: keptItems(view, plan.firstKeptEntryId) };
    const history = viewMessages(after);
    const entry: CompactionEntry = {
      type: 'compaction',
      id: newEntryId(),
      summary,
      firstKeptEntryId: plan.firstKeptEntryId,
      tokensBefore,
      tokensAfter: estimate(history),
      ts: clock.now(),
      ...(result.ok ? {} : { dropped: true }),
      reason: req.reason,
    };
    await deps.transcripts.append(req.agentId, req.sessionId, entry);

    let notice: string | undefined;
    const session = deps.sessions.get(req.agentId, req.sessionKey);
    if (session && session.sessionId === req.sessionId) {
      if (!result.ok && !session.compactionDropNotified) notice = DROP_NOTICE;
      deps.sessions.put({
        ...session,
        updatedAt: clock.now(),
        compactionCount: (session.compactionCount ?? 0) + 1,
        lastCompaction: {
          id: entry.id,
          ts: entry.ts,
          tokensBefore: entry.tokensBefore,
          tokensAfter: entry.tokensAfter,
          firstKeptEntryId: entry.firstKeptEntryId,
          summarised: result.ok,
          reason: req.reason,
        },
        contextTokens: entry.tokensAfter,
        contextTokensSource: 'estimate',
        // Told once: until a summary works again, later drops stay quiet.
        compactionDropNotified: !result.ok,
      });
    }
    const data = { sessionKey: req.sessionKey, reason: req.reason, tokensBefore, tokensAfter: entry.tokensAfter, messages: plan.summarise.length, calls: result.calls };
    if (result.ok) log.info('session compacted', data);
    else log.warn('session compacted by dropping older messages from view: they could not be summarised', { ...data, failure: result.reason });
    return {
      status: result.ok ? 'summarised' : 'dropped',
      entry,
      tokensBefore,
      tokensAfter: entry.tokensAfter,
      history,
      ...(result.ok ? {} : { failure: result.reason }),
      ...(notice ? { notice } : {}),
    };
  };
}

export type Compactor = ReturnType<typeof createCompactor>;

function keptItems(view: HistoryView, firstKept: string) {
  const i = view.items.findIndex((it) => it.entryId === firstKept);
  return i >= 0 ? view.items.slice(i) : [];
}

function dropMarker(count: number, previous: string | undefined): string {
  const marker =
    `[${count} earlier message${count === 1 ? ' was' : 's were'} dropped from this view because they could not be ` + 'summarised; the full transcript is kept on disk.]';
  return previous ? `${previous}\n\n${marker}` : marker;
}
