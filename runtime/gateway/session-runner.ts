// Runs one lane batch for a session: session entry → transcript history → agent loop → reply, with every
// step persisted (transcript, journal) so a crash repeats no delivered reply and loses no accepted message.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type {
  AgentEvent,
  Channel,
  Inbound,
  Logger,
  ModelMessage,
  SessionEntry,
  SessionStore,
  ToolCall,
  ToolResultMessage,
  ToolSpec,
  TranscriptStore,
  Usage,
} from '../types/index.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { ModelCaller } from '../agent/model-caller.js';
import type { ToolContext } from '../tools/types.js';
import { LaneAbortError, type Batch, type RunHandle } from '../lanes.js';
import { runAgent, type RunResult } from '../agent/loop.js';
import { historyFromTranscript, RUN_END } from '../agent/history.js';
import type { ContextAssembler } from '../agent/context.js';
import { agentModelCandidates, agentWorkspace } from '../config/agents.js';
import { createTranscriptFor, newSessionEntry } from './session-entry.js';
import type { Delivery, DeliveryTarget } from './delivery.js';
import { droppedNote, messageText, turnText, type QueuedMessage } from './queued.js';
import { contextWindowFor, estimateRequestTokens, toolsChars, usageAfterCall, type ContextUsage } from '../context/budget.js';
import { prunerFor } from '../context/pruning.js';
import type { ContextGovernor, TurnEnv } from '../context/compaction/governor.js';
import type { CompactOutcome } from '../context/compaction/compactor.js';
import { createKeyedLock } from '../context/session-lock.js';
import type { WorkspaceGit } from '../context/workspace-git.js';
import { newEntryId } from '../ids.js';

export interface ToolHost {
  visibleTools(ctx: ToolContext): ToolSpec[];
  execute(call: ToolCall, ctx: ToolContext, emit: (e: AgentEvent) => void): Promise<ToolResultMessage>;
  /** The run is over: forget per-run state (e.g. commands approved in this run). */
  endRun?(runId: string): void;
}

export interface SessionRunnerDeps {
  config: () => Config;
  home: string;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  log: Logger;
  emit: (e: AgentEvent) => void;
  sessions: SessionStore;
  transcripts: TranscriptStore;
  modelCaller: ModelCaller;
  tools: ToolHost;
  assemble: ContextAssembler;
  delivery: Delivery;
  getChannel(channel: string, accountId: string): Channel | undefined;
  /** All model candidates are cooling down: put the batch back and retry at `retryAt`. */
  retryLater(sessionKey: string, batch: Batch<QueuedMessage>, ms: number): void;
  isOwner(channel: string, senderId: string): boolean;
  /** Compaction and the memory flush before it (absent: sessions are never compacted). */
  governor?: ContextGovernor;
  /** Versioning of agent workspaces (absent: not versioned). */
  workspaceGit?: WorkspaceGit;
}

const TYPING_REFRESH_MS = 5000;

export function createSessionRunner(deps: SessionRunnerDeps) {
  const { clock, log } = deps;
  const assemble = deps.assemble;
  const transcriptReady = new Set<string>();
  const withSessionLock = createKeyedLock();

  async function ensureSession(q: QueuedMessage): Promise<SessionEntry> {
    const now = clock.now();
    const existing = deps.sessions.get(q.agentId, q.sessionKey);
    const entry: SessionEntry = existing ? { ...existing, updatedAt: now } : newSessionEntry(q.agentId, q.sessionKey, now);
    entry.channel = q.inbound.channel;
    entry.lastChat = q.inbound.chat;
    entry.lastAccountId = q.inbound.accountId;
    // Once per session and process also for an existing entry: create() never truncates, and a transcript file
    // removed by hand while the gateway was stopped is started again instead of failing every run of the session.
    if (!transcriptReady.has(entry.sessionId)) {
      await createTranscriptFor(deps.transcripts, entry);
      transcriptReady.add(entry.sessionId);
    }
    deps.sessions.put(entry);
    return entry;
  }

  function startTyping(channel: Channel, q: QueuedMessage): () => void {
    if (!channel.typing) return () => {};
    let stopped = false;
    let handle: ReturnType<Clock['setTimeout']> | undefined;
    const tick = () => {
      if (stopped) return;
      channel.typing!(q.inbound.chat).catch((err: unknown) => log.debug?.('typing failed', { err }));
      handle = clock.setTimeout(tick, TYPING_REFRESH_MS);
    };
    tick();
    return () => {
      stopped = true;
      if (handle) clock.clearTimeout(handle);
    };
  }

  async function execute(sessionKey: string, batch: Batch<QueuedMessage>, handle: RunHandle<QueuedMessage>): Promise<void> {
    const last = batch.items[batch.items.length - 1];
    // The messages the dropped-note stands for are finished with this run's reply, not before: a crash until
    // then leaves them pending, and the restart runs them again.
    const ids = [...batch.items, ...(batch.summarized ?? [])].map((i) => i.id);
    const channel = deps.getChannel(last.inbound.channel, last.inbound.accountId);
    if (!channel) {
      log.error('no channel to answer on; message dropped', { sessionKey, channel: last.inbound.channel, accountId: last.inbound.accountId });
      return;
    }
    const target: DeliveryTarget = {
      channel,
      chat: last.inbound.chat,
      replyToId: last.inbound.chat.kind === 'direct' ? undefined : last.inbound.messageId,
    };
    const runId = randomUUID();
    try {
      await withSessionLock(sessionKey, () => runBatch(sessionKey, batch, handle, { runId, ids, target, channel }));
    } catch (err) {
      // A failure outside the model call (a workspace file that cannot be read, a transcript that cannot be
      // written): the sender is told instead of being left waiting, and the messages are closed, so that a
      // restart does not run into the same failure again, silently, every time.
      const why = err instanceof Error ? err.message : String(err);
      log.error('run failed unexpectedly', { runId, sessionKey, err });
      deps.emit({ runId, sessionKey, agentId: last.agentId, ts: clock.now(), stream: 'lifecycle', phase: 'error', error: why, kind: 'internal' });
      // The chat gets the error code only: the message may name paths of the gateway's machine.
      const code = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'internal error';
      const text = `⚠️ This message could not be processed because of a problem on the gateway (${code}). The gateway log has the details; send it again once that is fixed.`;
      await deps.delivery.reply(ids, runId, target, text).catch((e: unknown) => {
        log.error('could not tell the sender that their message failed', { runId, sessionKey, err: e });
      });
    }
  }

  const ownersOwn = (q: QueuedMessage) => q.inbound.chat.kind === 'direct' && deps.isOwner(q.inbound.channel, q.inbound.sender.id);
  /**
   * The owner's private session: every message the owner's own DM, and DMs not shared (dmScope main puts everyone's
   * DMs in one session, where what MEMORY.md says could reach other people in later turns).
   */
  const privateSession = (items: QueuedMessage[]) => deps.config().session.dmScope !== 'main' && items.every(ownersOwn);

  async function runBatch(
    sessionKey: string,
    batch: Batch<QueuedMessage>,
    handle: RunHandle<QueuedMessage>,
    run: { runId: string; ids: string[]; target: DeliveryTarget; channel: Channel },
  ): Promise<void> {
    const last = batch.items[batch.items.length - 1];
    const { runId, ids, target, channel } = run;
    const session = await ensureSession(last);
    const config = deps.config();
    const workspace = agentWorkspace(config, last.agentId, deps.home);
    const toolCtx: ToolContext = {
      runId,
      sessionKey,
      agentId: last.agentId,
      workspace,
      readRoots: [join(deps.home, 'skills')],
      origin: { channel: last.inbound.channel, accountId: last.inbound.accountId, chat: last.inbound.chat, senderId: last.inbound.sender.id },
      // Host exec (sandbox mode non-main) only when every message of the turn is the owner's own DM: in a shared
      // session (dmScope main) a batch can merge a stranger's message with the owner's, and the last one decided.
      isOwnerMain: batch.items.every(ownersOwn),
      privateSession: privateSession(batch.items),
      signal: handle.signal,
    };
    const candidates = agentModelCandidates(config, last.agentId, session.modelOverride, deps.env);
    const emit = deps.emit;
    const base = { runId, sessionKey, agentId: last.agentId };
    emit({ ...base, ts: clock.now(), stream: 'lifecycle', phase: 'start' });

    if (candidates.length === 0) {
      const msg = noModelMessage();
      log.warn(msg, { sessionKey });
      await deps.delivery.reply(ids, runId, { ...target }, msg);
      emit({ ...base, ts: clock.now(), stream: 'lifecycle', phase: 'error', error: msg, kind: 'config' });
      return;
    }

    const stopTyping = startTyping(channel, last);
    // Steered messages the run took: they belong to this turn, so a repeat of the turn must carry them too.
    const steered: QueuedMessage[] = [];
    const steeredDropped: QueuedMessage[] = [];
    let result: RunResult;
    const usageTotal: Usage = { inputTokens: 0, outputTokens: 0 };
    let lastCall: Usage | undefined;
    let contextUsage: ContextUsage | undefined;
    let env: TurnEnv | undefined;
    let firstEntryId: string | undefined;
    // Only a run that called tools can have changed the workspace (no git process for a plain answer).
    let toolCalls = 0;
    try {
      const context = await assemble({
        agentId: last.agentId,
        workspace,
        sessionId: session.sessionId,
        sessionKey,
        channel: last.inbound.channel,
        now: clock.now(),
        inboundIds: ids,
        privateSession: toolCtx.privateSession,
      });
      await deps.workspaceGit?.ensureRepo(last.agentId, workspace);
      const tools = deps.tools.visibleTools(toolCtx);
      const runMessages: ModelMessage[] = [];
      const turn: TurnEnv = {
        runId,
        agentId: last.agentId,
        sessionKey,
        sessionId: session.sessionId,
        candidates,
        system: context.system,
        history: context.history,
        tools,
        executeTool: (id, call, signal) => deps.tools.execute(call, { ...toolCtx, runId: id, signal }, emit),
        endRun: (id) => deps.tools.endRun?.(id),
        afterRun: (id) => commitRun(last.agentId, id, workspace),
        signal: handle.signal,
      };
      env = turn;
      const governor = deps.governor;
      const prepareMessages = prunerFor(
        config.agents.defaults.contextPruning,
        contextWindowFor(config, candidates[0]!).tokens,
        context.system.length + toolsChars(tools),
      );
      turn.prepareMessages = prepareMessages;
      result = await runAgent({
        runId,
        sessionKey,
        agentId: last.agentId,
        system: context.system,
        history: context.history,
        userText: turnText(batch.items, batch.droppedSummary),
        candidates,
        tools,
        executeTool: (call, signal) => {
          toolCalls++;
          return deps.tools.execute(call, { ...toolCtx, signal }, emit);
        },
        takeSteered: () => {
          const taken = handle.takeSteered();
          if (taken.length === 0) return [];
          if (!taken.every(ownersOwn)) toolCtx.isOwnerMain = toolCtx.privateSession = false; // read by every later tool call of this run
          for (const t of taken) ids.push(t.id);
          steered.push(...taken);
          const texts = taken.map((t) => messageText(t.inbound));
          const dropped = handle.takeDropped();
          if (!dropped) return texts;
          for (const d of dropped.items) ids.push(d.id);
          steeredDropped.push(...dropped.items);
          return [droppedNote(dropped.summary), ...texts];
        },
        signal: handle.signal,
        timeoutMs: config.agents.defaults.timeoutSeconds * 1000,
        maxRounds: config.agents.defaults.maxToolRounds,
        modelCaller: deps.modelCaller,
        clock,
        emit,
        prepareMessages,
        onContextOverflow: governor
          ? async () => {
              const out = await governor.onOverflow({ ...turn, upcoming: [...ids], keepFrom: firstEntryId ?? '' });
              await tell(out, target);
              if (out.status === 'nothing') return null;
              turn.history = out.history;
              return out.history;
            }
          : undefined,
        onMessage: async (m, u) => {
          runMessages.push(m);
          const id = newEntryId();
          firstEntryId ??= id;
          if (u) {
            usageTotal.inputTokens += u.inputTokens;
            usageTotal.outputTokens += u.outputTokens;
            lastCall = u;
          }
          await deps.transcripts.append(last.agentId, session.sessionId, {
            type: 'message',
            id,
            ts: clock.now(),
            runId,
            message: m,
            usage: u,
            inboundIds: m.role === 'user' ? [...ids] : undefined,
          });
        },
      });
      if (lastCall) contextUsage = usageAfterCall(lastCall, () => estimateRequestTokens(context.system, tools, [...turn.history, ...runMessages]));
    } finally {
      stopTyping();
      deps.tools.endRun?.(runId);
    }

    // A run that will be repeated (cut short by a shutdown: after the restart; all models unavailable: after the
    // cooldown) gets no run-end entry, so the transcript replay treats it like a crashed run (left out) and the
    // repeat does not show the model its user turn twice.
    const shutdown = result.status === 'aborted' && handle.signal.reason instanceof LaneAbortError && handle.signal.reason.kind === 'shutdown';
    const repeated = shutdown || result.status === 'unavailable';
    if (!repeated)
      await deps.transcripts.append(last.agentId, session.sessionId, {
        type: 'event',
        id: newEntryId(),
        ts: clock.now(),
        runId,
        name: RUN_END,
        data: { status: result.status, inputTokens: usageTotal.inputTokens, outputTokens: usageTotal.outputTokens },
      });
    const fresh = deps.sessions.get(last.agentId, sessionKey) ?? session;
    deps.sessions.put({
      ...fresh,
      updatedAt: clock.now(),
      inputTokens: (fresh.inputTokens ?? 0) + usageTotal.inputTokens,
      outputTokens: (fresh.outputTokens ?? 0) + usageTotal.outputTokens,
      ...(contextUsage ? { contextTokens: contextUsage.tokens, contextTokensSource: contextUsage.source } : {}),
    });

    let committed = false;
    const commit = async () => {
      if (committed || toolCalls === 0) return;
      committed = true;
      await commitRun(last.agentId, runId, workspace);
    };
    try {
      switch (result.status) {
        case 'ok':
        case 'max_rounds': {
          const text = result.status === 'max_rounds' ? `${result.text}\n\n(Stopped after the maximum number of tool rounds.)`.trim() : result.text;
          const silent = text.trim() === 'NO_REPLY' || text.trim() === '';
          if (silent) await deps.delivery.finish(ids);
          const delivered = silent ? false : await deps.delivery.reply(ids, runId, target, text);
          emit({ ...base, ts: clock.now(), stream: 'lifecycle', phase: 'end', text, delivered });
          await commit(); // this run's changes, before a memory flush makes its own
          if (env && contextUsage && deps.governor) await compactAfterTurn(deps.governor, env, contextUsage, target);
          return;
        }
        case 'unavailable': {
          const wait = Math.max(1000, result.retryAt - clock.now());
          const notify = !batch.items.some((i) => i.notifiedUnavailable);
          for (const i of batch.items) i.notifiedUnavailable = true;
          emit({ ...base, ts: clock.now(), stream: 'lifecycle', phase: 'error', error: result.error.message, kind: 'unavailable' });
          // Back on the lane before the notice is sent: the retry's time counts from now, not from when the notice got out.
          deps.retryLater(
            sessionKey,
            steered.length > 0 ? { ...batch, items: [...batch.items, ...steered], summarized: [...(batch.summarized ?? []), ...steeredDropped] } : batch,
            wait,
          );
          if (notify) {
            await deps.delivery.send(
              target,
              `All configured models are unavailable right now (${UNAVAILABLE_WHY[result.error.kind] ?? result.error.kind}). ` +
                `Your message is kept and will be retried at ${new Date(result.retryAt).toISOString().slice(11, 16)} UTC.`,
            );
          }
          return;
        }
        case 'aborted':
          emit({ ...base, ts: clock.now(), stream: 'lifecycle', phase: 'error', error: result.reason, kind: 'aborted' });
          if (!shutdown) await deps.delivery.finish(ids); // a shutdown leaves it pending in the journal
          return;
        case 'timeout':
        case 'error': {
          const msg =
            result.status === 'timeout'
              ? `The run timed out after ${config.agents.defaults.timeoutSeconds} s and was stopped.`
              : `The model call failed (${result.error.kind}): ${result.error.message}` +
                // Compaction could not make it fit (or is not wired): it would fail the same way on every message.
                (result.error.kind === 'context_overflow' ? '\nThis conversation is too long for the model: send /new to start a fresh one.' : '');
          log.warn('run failed', { runId, sessionKey, status: result.status, error: msg });
          emit({ ...base, ts: clock.now(), stream: 'lifecycle', phase: 'error', error: msg, kind: result.status === 'error' ? result.error.kind : 'timeout' });
          await deps.delivery.reply(ids, runId, target, `⚠️ ${msg}`);
          return;
        }
      }
    } finally {
      await commit();
    }
  }

  /** Commits what a run changed in the workspace; a failure is logged, never the run's. */
  async function commitRun(agentId: string, runId: string, workspace: string): Promise<void> {
    if (!deps.workspaceGit) return;
    try {
      const c = await deps.workspaceGit.commitRun(agentId, runId, workspace);
      if (c) log.info('workspace changes committed', { agentId, runId, commit: c.hash.slice(0, 12), files: c.files.length });
    } catch (err) {
      log.error('could not commit the workspace changes of a run', { agentId, runId, workspace, err });
    }
  }

  /** The user is told once when older messages were dropped from view instead of summarised. */
  async function tell(out: CompactOutcome, target: DeliveryTarget): Promise<void> {
    if (!out.notice) return;
    await deps.delivery.send(target, out.notice).catch((err: unknown) => log.error('could not send the compaction notice', { err }));
  }

  /** A failed compaction costs the next turn some room, never the answer already sent. */
  async function compactAfterTurn(governor: ContextGovernor, env: TurnEnv, usage: ContextUsage, target: DeliveryTarget): Promise<void> {
    try {
      const out = await governor.afterTurn({ ...env, history: await historyNow(env) }, usage);
      if (out) await tell(out, target);
    } catch (err) {
      log.error('compaction after the turn failed', { sessionKey: env.sessionKey, runId: env.runId, err });
    }
  }

  /** The session's history as the next turn will see it (this turn included). */
  async function historyNow(env: TurnEnv): Promise<ModelMessage[]> {
    return historyFromTranscript(await deps.transcripts.read(env.agentId, env.sessionId));
  }

  /**
   * `/compact [focus]` for the session of `m`: waits for a run in progress to end, then compacts (memory flush
   * first). Undefined when the session has no transcript yet or no model is configured.
   */
  async function compactNow(m: Inbound, agentId: string, sessionKey: string, focus?: string): Promise<CompactOutcome | undefined> {
    const governor = deps.governor;
    if (!governor) return undefined;
    return withSessionLock(sessionKey, async () => {
      const session = deps.sessions.get(agentId, sessionKey);
      if (!session) return undefined;
      const config = deps.config();
      const candidates = agentModelCandidates(config, agentId, session.modelOverride, deps.env);
      if (candidates.length === 0) return undefined;
      const workspace = agentWorkspace(config, agentId, deps.home);
      const signal = new AbortController().signal;
      const toolCtx: ToolContext = {
        runId: 'compact',
        sessionKey,
        agentId,
        workspace,
        readRoots: [join(deps.home, 'skills')],
        origin: { channel: m.channel, accountId: m.accountId, chat: m.chat, senderId: m.sender.id },
        isOwnerMain: m.chat.kind === 'direct' && deps.isOwner(m.channel, m.sender.id),
        privateSession: config.session.dmScope !== 'main' && m.chat.kind === 'direct' && deps.isOwner(m.channel, m.sender.id),
        signal,
      };
      const context = await assemble({
        agentId,
        workspace,
        sessionId: session.sessionId,
        sessionKey,
        channel: m.channel,
        now: clock.now(),
        privateSession: toolCtx.privateSession,
      });
      await deps.workspaceGit?.ensureRepo(agentId, workspace);
      return governor.compactNow(
        {
          runId: 'compact',
          agentId,
          sessionKey,
          sessionId: session.sessionId,
          candidates,
          system: context.system,
          history: context.history,
          tools: deps.tools.visibleTools(toolCtx),
          executeTool: (id, call, sig) => deps.tools.execute(call, { ...toolCtx, runId: id, signal: sig }, deps.emit),
          endRun: (id) => deps.tools.endRun?.(id),
          afterRun: (id) => commitRun(agentId, id, workspace),
          signal,
        },
        focus,
      );
    });
  }

  return { execute, ensureSession, compactNow };
}

/** Why no model answered, in words for the chat (details, such as addresses, stay in the log). */
const UNAVAILABLE_WHY: Partial<Record<string, string>> = {
  rate_limit: 'rate limited',
  overloaded: 'the model service is overloaded',
  auth: 'the API key or token was rejected — the owner should check it',
  auth_permanent: 'the API key or token is not allowed to use this model — the owner should check it',
  billing: 'a billing or quota problem — the owner should check the account',
  timeout: 'the model did not answer in time',
  server_error: 'the model server is failing or cannot be reached — is it running?',
};

export function noModelMessage(): string {
  return (
    'No model is configured. Set ANTHROPIC_API_KEY or OPENAI_API_KEY (or OPENAI_BASE_URL for a local ' +
    'OpenAI-compatible server such as Ollama), or set agents.defaults.model.primary in switchyard.json, then restart.'
  );
}
