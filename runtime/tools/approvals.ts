// Exec approvals: whether a command runs, and asking the owner when it must.
//
// Decision (tools.exec.security × tools.exec.ask):
//   security deny              → refused, never asked
//   ask always                 → ask (even when allowlisted)
//   ask on-miss (default)      → allowlisted ? run : ask
//   ask off                    → security full ? run : allowlisted ? run : refused
// Allowlist = tools.exec.allowlist (config) + the agent's stored execAllowlist (allow-always answers); syntax in
// exec-allowlist.ts.
//
// Asking creates an ApprovalRecord in GatewayState and tells every approver (commands.ownerAllowFrom) privately.
// The run's promise waits; other sessions are unaffected. It resolves by an approver's reply to a prompt, or their
// plain yes/always/no in a DM with the bot while it is the only one pending (handleReply), by /approve (decide),
// by expiry on the clock (= deny), or by the run being aborted.
// No floods: within one run a command already approved (or refused) is not asked again, and concurrent
// identical requests share one pending approval; call endRun(runId) when a run finishes.
// Restart: a waiting run cannot resume mid-tool, so pending records left from before a restart are marked
// expired when approvals are created (the origin chat is told).
import { randomInt } from 'node:crypto';
import type { Clock, TimerHandle } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../types/channel.js';
import type { ApprovalRecord, AuditLog, GatewayState, JsonDoc } from '../types/storage.js';
import { decisionText, parseReply, promptRef, promptText, waitingText, type ApprovalDecision } from './approval-text.js';
import { exactPattern, findMatch } from './exec-allowlist.js';
import { isOwnerKey } from '../owners.js';

export type { ApprovalDecision } from './approval-text.js';
export { promptRef } from './approval-text.js';

export interface ApprovalNotifier {
  /**
   * Tells every approver privately, each person once (on the origin's platform when they are reachable there).
   * Resolves with the refs (promptRef) of every message sent, one per chunk of a long prompt; [] when nobody was
   * reached.
   */
  tellApprovers(text: string, origin: ApprovalRecord['origin']): Promise<string[]>;
  /** Tells one approver (`<channel>:<userId>`) privately, through the account `via` they wrote to. */
  tellApprover(who: string, text: string, via: { channel: string; accountId: string }): Promise<void>;
  /** Posts into the chat (and topic/thread) the run came from. */
  notifyOrigin(origin: ApprovalRecord['origin'], text: string): Promise<void>;
}

export interface ExecApprovalRequest {
  runId: string;
  sessionKey: string;
  agentId: string;
  command: string;
  origin: ApprovalRecord['origin'];
  tool?: string;
}

export interface ExecApprovalOutcome {
  allowed: boolean;
  /** Audit form: 'allowlisted' | 'full' | 'approved:<by>' | 'denied:<reason or by>' | 'expired'. */
  decision: string;
  /** Why it was refused, in words for the model and the owner. */
  message: string;
  approvalId?: string;
}

export interface ApprovalReply {
  channel: string;
  accountId: string;
  senderId: string;
  chatId: string;
  /** Sent in a direct chat with the bot (where a plain yes/always/no may answer the only pending approval). */
  direct?: boolean;
  replyToMessageId?: string;
  text: string;
}

export interface ApprovalsDeps {
  config: () => Config;
  state: JsonDoc<GatewayState>;
  notifier: ApprovalNotifier;
  clock: Clock;
  audit?: AuditLog;
  logger?: Logger;
  /** Id generator (default: 6 characters of an unambiguous alphabet). */
  newId?: () => string;
  /** Told of every approval that was decided, expired or cancelled (the control plane's approval.resolved). */
  onSettled?: (rec: ApprovalRecord) => void;
}

export interface Approvals {
  check(req: ExecApprovalRequest, opts?: { signal?: AbortSignal; onWait?: (approvalId: string) => void }): Promise<ExecApprovalOutcome>;
  /**
   * A chat message that may answer a prompt: a reply to it, or from an approver's DM a plain yes/always/no while
   * exactly one approval is pending. True when it was taken as an answer (the caller then routes it no further).
   */
  handleReply(from: ApprovalReply): boolean;
  /**
   * `/approve <id> <decision>` from `by` (`<channel>:<userId>`). `authorised`: the caller already checked the right
   * to decide (the control plane's operator, who holds the gateway token and is no chat identity).
   */
  decide(id: string, decision: ApprovalDecision, by: string, opts?: { authorised?: boolean }): { ok: boolean; message: string };
  listPending(): ApprovalRecord[];
  /** The agent's allowlist: configured patterns and stored (allow-always) ones. */
  allowlist(agentId: string): { configured: string[]; stored: string[] };
  removeStoredPattern(agentId: string, pattern: string): boolean;
  isApprover(who: string): boolean;
  endRun(runId: string): void;
  /** Resolves once background work (notices, audit appends) has finished: for shutdown and tests. */
  drain(): Promise<void>;
  /** Cancels expiry timers (shutdown). */
  dispose(): void;
}

/** No 0/O, 1/I/L: ids are typed by hand in /approve. */
const ID_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const KEEP_DECIDED = 200;
const MAX_REMEMBERED_RUNS = 200;

export function newApprovalId(): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return s;
}

const consoleLogger: Logger = {
  info: (m, d) => console.info(m, d ?? ''),
  warn: (m, d) => console.warn(m, d ?? ''),
  error: (m, d) => console.error(m, d ?? ''),
};

interface Waiter {
  resolve: (o: ExecApprovalOutcome) => void;
  timer: TimerHandle;
}

export function createApprovals(deps: ApprovalsDeps): Approvals {
  const { state, notifier, clock } = deps;
  const log = deps.logger ?? consoleLogger;
  const waiters = new Map<string, Waiter>();
  const inflight = new Map<string, { id: string; promise: Promise<ExecApprovalOutcome> }>();
  const runMemory = new Map<string, Map<string, ExecApprovalOutcome>>();

  const busy = new Set<Promise<unknown>>();
  const background = (p: Promise<unknown>, what: string, data: Record<string, unknown>): void => {
    const tracked = p.catch((err: unknown) => log.warn(`approvals: ${what} failed`, { ...data, err })).finally(() => busy.delete(tracked));
    busy.add(tracked);
  };
  const audit = (rec: Record<string, unknown>) => {
    if (deps.audit) background(deps.audit.append({ kind: 'approval', ...rec }), 'audit append', { id: rec.id });
  };
  const approvers = () => deps.config().commands.ownerAllowFrom;
  // The owner check (case-insensitive): an owner configured as "webchat:Alice" is an approver as "webchat:alice".
  const isApprover = (who: string) => isOwnerKey(deps.config(), who);
  const find = (id: string) => state.data.approvals.find((r) => r.id === id.trim().toUpperCase());

  // Records from before a restart: their runs are gone, so nothing can act on an answer any more.
  const leftovers = state.data.approvals.filter((r) => r.status === 'pending');
  if (leftovers.length) {
    state.update((d) => {
      for (const r of d.approvals) {
        if (r.status !== 'pending') continue;
        r.status = 'expired';
        r.decidedBy = 'system:restart';
        r.decidedAt = clock.now();
      }
    });
    for (const r of leftovers) {
      const rec = find(r.id)!;
      background(notifier.notifyOrigin(rec.origin, decisionText(rec)), 'restart notice', { id: rec.id });
    }
  }

  const remember = (runId: string, command: string, o: ExecApprovalOutcome) => {
    let m = runMemory.get(runId);
    if (!m) {
      m = new Map();
      runMemory.set(runId, m);
      if (runMemory.size > MAX_REMEMBERED_RUNS) runMemory.delete(runMemory.keys().next().value!);
    }
    m.set(command, o);
  };

  const outcomeOf = (rec: ApprovalRecord): ExecApprovalOutcome => {
    const base = { approvalId: rec.id };
    if (rec.status === 'allow-once' || rec.status === 'allow-always') {
      return { ...base, allowed: true, decision: `approved:${rec.decidedBy}`, message: '' };
    }
    if (rec.status === 'expired') {
      return { ...base, allowed: false, decision: 'expired', message: `approval ${rec.id} was not answered in time; the command did not run` };
    }
    const by = rec.decidedBy ?? 'unknown';
    const message =
      by === 'system:undeliverable'
        ? 'the approval prompt could not be delivered to any approver; the command did not run'
        : `the owner (${by}) denied this command; do not retry it`;
    return { ...base, allowed: false, decision: `denied:${by}`, message };
  };

  /** Moves a pending record to its final status and wakes the waiting run. */
  function settle(id: string, status: Exclude<ApprovalRecord['status'], 'pending'>, by: string): ApprovalRecord | undefined {
    const rec = find(id);
    if (rec?.status !== 'pending') return undefined;
    state.update((d) => {
      const r = d.approvals.find((x) => x.id === rec.id)!;
      r.status = status;
      r.decidedBy = by;
      r.decidedAt = clock.now();
      if (status === 'allow-always') {
        const list = (d.execAllowlist[r.agentId] ??= []);
        const pattern = exactPattern(r.command);
        if (!list.includes(pattern)) list.push(pattern);
      }
      // Keep every pending record and only the latest decided ones.
      const decided = d.approvals.filter((x) => x.status !== 'pending');
      if (decided.length > KEEP_DECIDED) {
        const drop = new Set(decided.slice(0, decided.length - KEEP_DECIDED));
        d.approvals = d.approvals.filter((x) => !drop.has(x));
      }
    });
    const final = find(rec.id) ?? rec;
    const w = waiters.get(rec.id);
    if (w) {
      waiters.delete(rec.id);
      clock.clearTimeout(w.timer);
      w.resolve(outcomeOf(final));
    }
    try {
      deps.onSettled?.(final);
    } catch (err) {
      log.warn('approvals: settle listener failed', { id: final.id, err });
    }
    audit({ event: 'decided', id: final.id, runId: final.runId, sessionKey: final.sessionKey, agentId: final.agentId, command: final.command, status, by });
    background(notifier.notifyOrigin(final.origin, decisionText(final)), 'origin notice', { id: final.id });
    return final;
  }

  function ask(req: ExecApprovalRequest, opts: { signal?: AbortSignal; onWait?: (id: string) => void }): Promise<ExecApprovalOutcome> {
    const owners = approvers();
    if (owners.length === 0) {
      return Promise.resolve({
        allowed: false,
        decision: 'denied:no-approvers',
        message: "this command needs the owner's approval, but no approvers are configured (commands.ownerAllowFrom)",
      });
    }
    const now = clock.now();
    const timeoutMs = deps.config().tools.exec.approvalTimeoutSeconds * 1000;
    let id = (deps.newId ?? newApprovalId)();
    while (find(id)) id = (deps.newId ?? newApprovalId)();
    const rec: ApprovalRecord = {
      id,
      runId: req.runId,
      sessionKey: req.sessionKey,
      agentId: req.agentId,
      tool: req.tool ?? 'exec',
      command: req.command,
      createdAt: now,
      expiresAt: now + timeoutMs,
      status: 'pending',
      promptRefs: [],
      origin: req.origin,
    };
    state.update((d) => void d.approvals.push(rec));
    const promise = new Promise<ExecApprovalOutcome>((resolve) => {
      waiters.set(id, { resolve, timer: clock.setTimeout(() => settle(id, 'expired', 'system:timeout'), timeoutMs) });
    });
    audit({ event: 'requested', id, runId: req.runId, sessionKey: req.sessionKey, agentId: req.agentId, command: req.command, approvers: owners });
    opts.onWait?.(id);

    const onAbort = () => settle(id, 'expired', 'system:aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => opts.signal?.removeEventListener('abort', onAbort));

    const sent = notifier.tellApprovers(promptText(rec), rec.origin).then(
      (refs) => refs,
      (err: unknown) => {
        log.warn('approvals: prompt not delivered', { id, err });
        return [] as string[];
      },
    );
    background(
      sent.then((refs) => {
        if (refs.length === 0) return void settle(id, 'deny', 'system:undeliverable');
        state.update((d) => void d.approvals.find((x) => x.id === id)?.promptRefs.push(...refs));
      }),
      'prompt delivery',
      { id },
    );
    background(notifier.notifyOrigin(rec.origin, waitingText(rec)), 'origin notice', { id });
    return promise;
  }

  return {
    async check(req, opts = {}) {
      const exec = deps.config().tools.exec;
      if (exec.security === 'deny') {
        return { allowed: false, decision: 'denied:security', message: 'exec is disabled here (tools.exec.security is "deny")' };
      }
      const remembered = runMemory.get(req.runId)?.get(req.command);
      if (remembered) {
        return remembered.allowed ? remembered : { ...remembered, message: `${remembered.message} (already refused earlier in this run)` };
      }
      const key = `${req.runId}\n${req.agentId}\n${req.command}`;
      const shared = inflight.get(key);
      if (shared) {
        opts.onWait?.(shared.id);
        return shared.promise;
      }
      const list = [...exec.allowlist, ...(state.data.execAllowlist[req.agentId] ?? [])];
      const allowlisted = findMatch(list, req.command) !== undefined;
      const mustAsk = exec.ask === 'always' || (exec.ask === 'on-miss' && !allowlisted);
      if (!mustAsk) {
        if (exec.ask === 'off' && exec.security === 'full') return { allowed: true, decision: 'full', message: '' };
        if (allowlisted) return { allowed: true, decision: 'allowlisted', message: '' };
        return {
          allowed: false,
          decision: 'denied:not-allowlisted',
          message: 'this command is not in the exec allowlist, and asking the owner is off (tools.exec.ask)',
        };
      }
      let approvalId = '';
      const promise = ask(req, {
        signal: opts.signal,
        onWait: (id) => {
          approvalId = id;
          opts.onWait?.(id);
        },
      });
      if (approvalId) inflight.set(key, { id: approvalId, promise });
      try {
        const outcome = await promise;
        remember(req.runId, req.command, outcome);
        return outcome;
      } finally {
        inflight.delete(key);
      }
    },

    handleReply(from) {
      const decision = parseReply(from.text);
      if (!decision) return false;
      const who = `${from.channel}:${from.senderId}`;
      const via = { channel: from.channel, accountId: from.accountId };
      const ref = from.replyToMessageId && promptRef(from.channel, from.accountId, from.chatId, from.replyToMessageId);
      let rec = ref ? state.data.approvals.find((r) => r.promptRefs.includes(ref)) : undefined;
      if (!rec) {
        // Not a reply to a prompt: from an approver's DM, a plain answer settles the only pending approval.
        if (!from.direct || !isApprover(who)) return false;
        const pending = state.data.approvals.filter((r) => r.status === 'pending');
        if (pending.length === 0) return false;
        if (pending.length > 1) {
          const ids = pending.map((r) => r.id).join(', ');
          background(
            notifier.tellApprover(
              who,
              `${pending.length} approvals are waiting (${ids}): reply to the request you mean, or send /approve <id> allow-once|allow-always|deny.`,
              via,
            ),
            'which-one answer',
            { ids },
          );
          return true;
        }
        rec = pending[0];
      }
      if (!isApprover(who)) {
        log.warn('approvals: reply from a non-approver ignored', { id: rec.id, from: who });
        return false;
      }
      const settled = rec.status === 'pending' ? settle(rec.id, decision, who) : undefined;
      const confirmation = settled ? decisionText(settled) : `Approval ${rec.id} was already settled: ${decisionText(rec)}`;
      background(notifier.tellApprover(who, confirmation, via), 'confirmation', { id: rec.id });
      return true;
    },

    decide(id, decision, by, opts) {
      const rec = find(id);
      if (!rec) return { ok: false, message: `no approval with id ${id.trim().toUpperCase()}` };
      if (!opts?.authorised && !isApprover(by)) return { ok: false, message: 'only approvers (commands.ownerAllowFrom) can answer approvals' };
      if (rec.status !== 'pending') return { ok: false, message: `approval ${rec.id} was already settled: ${decisionText(rec)}` };
      const settled = settle(rec.id, decision, by)!;
      return { ok: true, message: decisionText(settled) };
    },

    listPending: () => state.data.approvals.filter((r) => r.status === 'pending'),

    allowlist: (agentId) => ({
      configured: [...deps.config().tools.exec.allowlist],
      stored: [...(state.data.execAllowlist[agentId] ?? [])],
    }),

    removeStoredPattern(agentId, pattern) {
      if (!(state.data.execAllowlist[agentId] ?? []).includes(pattern)) return false;
      state.update((d) => {
        d.execAllowlist[agentId] = (d.execAllowlist[agentId] ?? []).filter((p) => p !== pattern);
      });
      return true;
    },

    isApprover,
    endRun: (runId) => void runMemory.delete(runId),
    async drain() {
      while (busy.size) await Promise.all([...busy]);
    },
    dispose() {
      for (const w of waiters.values()) clock.clearTimeout(w.timer);
    },
  };
}
