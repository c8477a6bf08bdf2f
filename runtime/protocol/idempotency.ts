// Side-effecting requests carry an idempotencyKey: the first answer is kept (fsync'd in control/idempotency.jsonl
// before the client gets it) and a retry with the same key — on this connection, another one, or after a restart —
// gets that answer again instead of acting twice. A retry that arrives while the first is still running waits for
// it. Retryable failures are not kept (trying again is the point). Keys are per principal.
import type { Clock, IdempotencyRecord, IdempotencyStore, Logger } from '../types/index.js';
import { RequestError, type ErrorShape } from './frames.js';

export type Answer = { ok: true; payload: unknown } | { ok: false; error: ErrorShape };

export interface Idempotency {
  init(): Promise<void>;
  run(principal: string, key: string, method: string, act: () => Promise<Answer>): Promise<Answer>;
}

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
/** Keys kept at most (oldest go first); with the TTL this bounds memory and the file. */
export const IDEMPOTENCY_MAX_KEYS = 20_000;

export function createIdempotency(deps: { store: IdempotencyStore; clock: Clock; log: Logger; ttlMs?: number; maxKeys?: number }): Idempotency {
  const ttl = deps.ttlMs ?? IDEMPOTENCY_TTL_MS;
  const maxKeys = deps.maxKeys ?? IDEMPOTENCY_MAX_KEYS;
  const done = new Map<string, IdempotencyRecord>();
  const inflight = new Map<string, Promise<Answer>>();
  let appended = 0;

  const expire = () => {
    const cutoff = deps.clock.now() - ttl;
    for (const [k, rec] of done) {
      if (rec.ts >= cutoff && done.size <= maxKeys) break; // insertion order is time order
      done.delete(k);
    }
  };

  const answerOf = (rec: IdempotencyRecord): Answer =>
    rec.ok ? { ok: true, payload: rec.payload } : { ok: false, error: rec.error ?? { code: 'internal', message: 'failed' } };

  async function remember(rec: IdempotencyRecord) {
    done.set(rec.key, rec);
    expire();
    await deps.store.append(rec);
    if (++appended > Math.max(done.size, 1000)) {
      appended = 0;
      await deps.store.rewrite([...done.values()]);
    }
  }

  return {
    async init() {
      const loaded = await deps.store.load();
      for (const rec of loaded) done.set(rec.key, rec);
      const before = done.size;
      expire();
      if (done.size !== loaded.length || before !== loaded.length) await deps.store.rewrite([...done.values()]);
    },

    run(principal, key, method, act) {
      const k = `${principal}\n${key}`;
      expire();
      const prior = done.get(k);
      if (prior) {
        if (prior.method !== method) {
          return Promise.resolve({
            ok: false,
            error: { code: 'conflict', message: `idempotencyKey ${key} was already used for ${prior.method}; use a new key for a new action` },
          });
        }
        return Promise.resolve(answerOf(prior));
      }
      const running = inflight.get(k);
      if (running) return running;
      const p = (async (): Promise<Answer> => {
        const answer = await act();
        if (answer.ok || !answer.error.retryable) {
          const rec: IdempotencyRecord = { key: k, ts: deps.clock.now(), method, ok: answer.ok, ...(answer.ok ? { payload: answer.payload } : { error: answer.error }) };
          try {
            await remember(rec);
          } catch (err) {
            // The action happened; only its record is missing. Say so rather than pretend nothing was done.
            deps.log.error('idempotency record could not be written', { method, err });
            throw new RequestError('internal', `${method} was done, but its idempotency record could not be saved: do not retry blindly; check the state`);
          }
        }
        return answer;
      })().finally(() => inflight.delete(k));
      inflight.set(k, p);
      return p;
    },
  };
}
