// The gateway's model caller (failover) over given providers and credentials, with in-memory state, sticky
// profiles and audit: for tests that exercise providers or the agent loop rather than failover itself.
import type { ModelCaller } from '../../runtime/agent/model-caller.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import { configSchema, type Config } from '../../runtime/config/schema.js';
import { createFailoverModelCaller } from '../../runtime/failover/caller.js';
import { memorySticky } from '../../runtime/failover/order.js';
import type { AuditLog, AuditRecord, Credential, Provider } from '../../runtime/types/index.js';
import { memoryState } from './memory-doc.js';

export function memoryAudit(): AuditLog & { records: AuditRecord[] } {
  const records: AuditRecord[] = [];
  return {
    records,
    append: async (rec) => void records.push({ ts: Date.now(), ...rec } as AuditRecord),
    tail: async (n) => records.slice(-n),
  };
}

export function testModelCaller(deps: { providers: Map<string, Provider>; credentials: Map<string, Credential[]>; config?: Config; clock?: Clock }): ModelCaller {
  const config = deps.config ?? configSchema.parse({});
  return createFailoverModelCaller({
    providers: deps.providers,
    credentials: deps.credentials,
    config: () => config,
    state: memoryState(),
    sticky: memorySticky(),
    audit: memoryAudit(),
    clock: deps.clock ?? systemClock,
    log: { info: () => {}, warn: () => {}, error: () => {} },
  });
}
