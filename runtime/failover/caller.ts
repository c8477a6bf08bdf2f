// The ModelCaller with self-healing: auth-profile rotation with cooldowns, then the model fallback chain.
//
// Within one call (one model round of a run): candidates are tried in order (primary, then fallbacks); for each,
// its provider's usable profiles in order (sticky, auth.order, tokens first, least recently used). A failover-class
// error (classes.ts) updates the profile's health (health.ts; persisted in state.json, so a restart does not
// hammer a cooling key) and moves on at once; any other error ends the call as it is. When a round saw a server
// fault, the round is repeated after a short doubling pause (TRANSIENT_ROUNDS at most): one bad response from a
// server is retried, not turned into "unavailable". When no profile is usable, a profile cooling after server
// faults may take one probe call (health.ts probeAt). When nothing is left, one `unavailable` event names the
// soonest time a profile is usable (or may be probed) again; the session runner keeps the message queued until then.
//
// Streamed text and failover: text deltas are passed on as they come, also from an attempt that then fails
// mid-stream; that attempt still fails over. A `failover` event therefore means "everything streamed since the
// start of this call or the previous failover is void": consumers that show deltas live reset on it. Nothing is
// sent twice to a chat because channels only ever receive the final `done` text (the deltas go to the event
// bus), and `done` carries only the text of the attempt that succeeded. Buffering deltas until an attempt ends
// would be the alternative, but it would take live streaming away from every run to protect the rare failing one.
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../types/channel.js';
import type { Credential, ModelError, ModelErrorKind, ModelRef, Provider, ProviderEvent } from '../types/provider.js';
import { formatModelRef } from '../types/provider.js';
import type { AuditLog, GatewayState, JsonDoc, ProfileHealth } from '../types/storage.js';
import { missingCredentialHint, type ModelCallEvent, type ModelCaller, type ModelCallRequest } from '../agent/model-caller.js';
import { sleep } from '../clock.js';
import { isFailoverKind, isTransientKind } from './classes.js';
import { availableAt, blockedReason, isUsable, probeAt, recordFailure, recordSuccess, recordUse } from './health.js';
import { orderProfiles, providerProfiles, type AuthProfile, type StickyProfiles } from './order.js';

export interface FailoverDeps {
  providers: Map<string, Provider>;
  credentials: Map<string, Credential[]>;
  config: () => Config;
  state: JsonDoc<GatewayState>;
  sticky: StickyProfiles;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
}

interface Plan {
  ref: ModelRef;
  provider: Provider;
  profiles: AuthProfile[];
}

type Outcome = { done: Extract<ProviderEvent, { type: 'done' }> } | { error: ModelError };

const KINDS: readonly ModelErrorKind[] = [
  'rate_limit',
  'overloaded',
  'auth',
  'auth_permanent',
  'billing',
  'timeout',
  'server_error',
  'context_overflow',
  'bad_request',
  'aborted',
];

function asKind(s: string | undefined): ModelErrorKind {
  return KINDS.find((k) => k === s) ?? 'rate_limit';
}

/** Rounds over the candidates within one call when server faults occur (the first try plus retries). */
export const TRANSIENT_ROUNDS = 3;
/** The pause before the first retry round; it doubles for each further round. */
export const RETRY_BASE_MS = 500;

export function attemptLabel(ref: ModelRef, profileId: string): string {
  return `${formatModelRef(ref)}@${profileId}`;
}

function clip(s: string, n = 300): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

export function createFailoverModelCaller(deps: FailoverDeps): ModelCaller {
  const { clock, log } = deps;
  const warned = new Set<string>();
  const health = (id: string): ProfileHealth | undefined => deps.state.data.profiles[id];
  const setHealth = (id: string, h: ProfileHealth) => deps.state.update((d) => void (d.profiles[id] = h));

  const audit = async (rec: Record<string, unknown>) => {
    try {
      await deps.audit.append({ kind: 'failover', ...rec });
    } catch (err) {
      // The switch already happened; a lost audit line must not fail the run.
      log.warn('failover: could not write the audit line', { err, ...rec });
    }
  };

  /** Provider and profiles for each candidate; candidates that cannot be called at all are reported and skipped. */
  function plan(candidates: ModelRef[]): { plans: Plan[]; setupErrors: ModelError[] } {
    const plans: Plan[] = [];
    const setupErrors: ModelError[] = [];
    for (const ref of candidates) {
      const name = formatModelRef(ref);
      const provider = deps.providers.get(ref.provider);
      let problem: ModelError | undefined;
      if (!provider) {
        problem = {
          kind: 'bad_request',
          message: `model ${name}: no provider '${ref.provider}' — add models.providers.${ref.provider} or fix the model name in agents.defaults.model`,
        };
      } else {
        const profiles = providerProfiles(provider, deps.credentials);
        if (profiles.length > 0) plans.push({ ref, provider, profiles });
        else problem = { kind: 'auth', message: `model ${name}: no credential for provider '${ref.provider}' — ${missingCredentialHint(ref.provider)}` };
      }
      if (problem) {
        setupErrors.push(problem);
        if (!warned.has(problem.message)) {
          warned.add(problem.message);
          log.warn(`failover: skipping a model candidate: ${problem.message}`);
        }
      }
    }
    return { plans, setupErrors };
  }

  // An API (or a proxy, or a local server) may echo the credential in its error text, and that text reaches the
  // chat, the log and the audit: every configured secret long enough to be a real one is cut out of it here.
  const secrets = [...deps.credentials.values()]
    .flat()
    .map((c) => c.secret)
    .filter((s) => s.length >= 12);
  const scrub = (error: ModelError): ModelError => {
    const message = secrets.reduce((m, secret) => m.split(secret).join('[redacted]'), error.message);
    return message === error.message ? error : { ...error, message };
  };

  async function* attempt(p: Plan, profile: AuthProfile, req: ModelCallRequest): AsyncGenerator<ModelCallEvent, Outcome, undefined> {
    try {
      for await (const e of p.provider.stream({
        model: p.ref.model,
        system: req.system,
        messages: req.messages,
        tools: req.tools,
        maxTokens: req.maxTokens,
        credential: profile.credential,
        signal: req.signal,
      })) {
        if (e.type === 'text') yield e;
        else if (e.type === 'done') return { done: e };
        else return { error: scrub(e.error) };
      }
      return { error: { kind: 'server_error', message: `provider '${p.provider.id}' ended its stream without a result` } };
    } catch (err) {
      // Providers must not throw; if one does anyway (a bug), treat it like a server failure of this attempt.
      const why = err instanceof Error ? err.message : String(err);
      return { error: scrub({ kind: 'server_error', message: `provider '${p.provider.id}' threw: ${why}` }) };
    }
  }

  /** The soonest time any profile of any callable candidate is usable again, or may be probed. */
  function soonest(plans: Plan[], now: number): number {
    let at = Number.POSITIVE_INFINITY;
    for (const p of plans) {
      for (const prof of p.profiles) {
        const h = health(prof.id);
        const usable = Math.max(now, availableAt(h));
        const probe = probeAt(h, now);
        at = Math.min(at, probe === undefined ? usable : Math.min(usable, Math.max(now, probe)));
      }
    }
    return at;
  }

  /** The error to report when no profile could even be tried: the block that ends soonest. */
  function blockedError(plans: Plan[], now: number): ModelError {
    const blocks = plans.flatMap((p) =>
      p.profiles.map((prof) => ({ label: attemptLabel(p.ref, prof.id), until: availableAt(health(prof.id)), why: blockedReason(health(prof.id), now) })),
    );
    blocks.sort((a, b) => a.until - b.until);
    const list = blocks.map((b) => `${b.label} until ${new Date(b.until).toISOString()} (${b.why ?? 'blocked'})`).join('; ');
    return { kind: asKind(blocks[0]?.why), message: `every model candidate is cooling down or disabled: ${list}` };
  }

  type Step = 'done' | 'stop' | 'next';

  return {
    async *stream(req) {
      if (req.candidates.length === 0) {
        yield { type: 'error', error: { kind: 'bad_request', message: 'no model configured — set agents.defaults.model.primary' } };
        return;
      }
      const config = deps.config();
      const ids = { runId: req.runId, sessionKey: req.sessionKey, agentId: req.agentId };
      const { plans, setupErrors } = plan(req.candidates);
      if (plans.length === 0) {
        yield { type: 'error', error: setupErrors[0]! };
        return;
      }
      let sticky = deps.sticky.get(req.agentId, req.sessionKey);
      const dropSticky = (id: string) => {
        if (sticky !== id) return;
        sticky = undefined;
        deps.sticky.set(req.agentId, req.sessionKey, undefined);
      };
      let last: { label: string; error: ModelError } | undefined;
      let transient = false;
      const stopped = (): ModelCallEvent => ({ type: 'error', error: { kind: 'aborted', message: 'the run was stopped' } });

      /** One attempt on one profile: 'done' (answered), 'stop' (an error that ends the call), 'next' (fail over). */
      async function* tryProfile(p: Plan, profile: AuthProfile): AsyncGenerator<ModelCallEvent, Step, undefined> {
        const label = attemptLabel(p.ref, profile.id);
        if (last) {
          yield { type: 'failover', from: last.label, to: label, reason: last.error.kind };
          await audit({ ...ids, from: last.label, to: label, reason: last.error.kind, status: last.error.status });
        }
        setHealth(profile.id, recordUse(health(profile.id), clock.now()));
        const outcome = yield* attempt(p, profile, req);

        if ('done' in outcome) {
          setHealth(profile.id, recordSuccess(health(profile.id), clock.now()));
          if (sticky !== profile.id) deps.sticky.set(req.agentId, req.sessionKey, profile.id);
          yield outcome.done;
          return 'done';
        }
        const error = outcome.error;
        if (req.signal?.aborted || error.kind === 'aborted') {
          // The user's /stop (or the run's own timeout): never a reason to try elsewhere, nor the profile's fault.
          yield { type: 'error', error: error.kind === 'aborted' ? error : { ...error, kind: 'aborted' } };
          return 'stop';
        }
        if (!isFailoverKind(error.kind)) {
          yield { type: 'error', error };
          return 'stop';
        }
        const h = recordFailure(health(profile.id), error, clock.now());
        setHealth(profile.id, h);
        if (isTransientKind(error.kind)) transient = true;
        else dropSticky(profile.id);
        log.warn('failover: model call failed, trying again or the next profile or model', {
          ...ids,
          attempt: label,
          kind: error.kind,
          status: error.status,
          availableAt: new Date(Math.max(clock.now(), availableAt(h))).toISOString(),
          error: clip(error.message),
        });
        last = { label, error };
        return 'next';
      }

      // Rounds: every usable profile of every candidate in order; when a round saw a server fault, the next one
      // starts after a short, doubling pause (server faults are not the key's fault, so it is still usable).
      for (let round = 0; ; round++) {
        transient = false;
        let tried = false;
        for (const p of plans) {
          const ordered = orderProfiles(p.profiles, { order: config.auth.order[p.ref.provider], health: deps.state.data.profiles, sticky });
          for (const profile of ordered) {
            if (req.signal?.aborted) {
              yield stopped();
              return;
            }
            if (!isUsable(health(profile.id), clock.now())) {
              dropSticky(profile.id); // a cooling sticky profile is let go: the session moves on and sticks anew
              continue;
            }
            tried = true;
            const step = yield* tryProfile(p, profile);
            if (step !== 'next') return;
          }
        }
        if (!tried && round === 0) {
          // Everything is cooling down: one call may probe a profile that cools after server faults (at most
          // every PROBE_INTERVAL_MS per profile), so a recovered server is noticed without waiting it out.
          const probe = findProbe(plans, clock.now());
          if (probe) {
            const step = yield* tryProfile(probe.plan, probe.profile);
            if (step !== 'next') return;
          }
        }
        // Another round only after a server fault, and only when some profile is usable by then (a failed
        // probe leaves none).
        const pause = RETRY_BASE_MS * 2 ** round;
        const usableThen = plans.some((p) => p.profiles.some((prof) => isUsable(health(prof.id), clock.now() + pause)));
        if (!transient || round + 1 >= TRANSIENT_ROUNDS || !usableThen) break;
        try {
          await sleep(clock, pause, req.signal);
        } catch {
          yield stopped(); // the run was stopped during the pause
          return;
        }
      }

      const now = clock.now();
      const retryAt = soonest(plans, now);
      const error = last?.error ?? blockedError(plans, now);
      await audit({ ...ids, from: last?.label ?? null, to: null, reason: error.kind, outcome: 'unavailable', retryAt: new Date(retryAt).toISOString() });
      yield { type: 'unavailable', retryAt, error };
    },
  };

  function findProbe(plans: Plan[], now: number): { plan: Plan; profile: AuthProfile } | undefined {
    for (const p of plans) {
      for (const profile of p.profiles) {
        const at = probeAt(health(profile.id), now);
        if (at !== undefined && at <= now) return { plan: p, profile };
      }
    }
    return undefined;
  }
}
