// state.json: what the gateway learns while running (chat-made bindings, pairings, approvals, cooldowns,
// channel offsets). Older files get their missing keys filled; a key of the wrong type makes the file
// unusable, so it is moved aside whole (see json-doc) rather than half-kept.
import type { GatewayState, JsonDoc } from '../runtime/types/storage.js';
import { openJsonDoc, UnsupportedVersionError } from './json-doc.js';
import type { Clock } from '../runtime/types/clock.js';
import { isRecord, type Log } from './jsonl.js';
import { statePaths } from './paths.js';

export const STATE_VERSION = 1;

export function defaultGatewayState(): GatewayState {
  return {
    version: STATE_VERSION,
    bindings: [],
    pairedSenders: [],
    pairingRequests: [],
    approvals: [],
    execAllowlist: {},
    profiles: {},
    channelOffsets: {},
    webchatUsers: [],
  };
}

const ARRAY_KEYS = ['bindings', 'pairedSenders', 'pairingRequests', 'approvals', 'webchatUsers'] as const;
const RECORD_KEYS = ['execAllowlist', 'profiles', 'channelOffsets'] as const;

/** Decodes state.json as found on disk. Items inside the arrays/records are trusted (we wrote them). */
export function migrateGatewayState(raw: unknown, file = 'state.json'): GatewayState {
  if (!isRecord(raw)) throw new Error('expected a JSON object at the top level');
  const version = raw.version ?? STATE_VERSION;
  if (typeof version !== 'number') throw new Error(`"version" should be a number, found ${JSON.stringify(version)}`);
  if (version > STATE_VERSION) throw new UnsupportedVersionError(file, version, STATE_VERSION);
  const state = { ...raw, ...defaultGatewayState() } as GatewayState & Record<string, unknown>;
  // Keep unknown top-level keys (spread above) and every known key that is present with the right type.
  for (const key of ARRAY_KEYS) {
    const v = raw[key];
    if (v === undefined) continue;
    if (!Array.isArray(v)) throw new Error(`"${key}" should be an array`);
    (state as Record<string, unknown>)[key] = v;
  }
  for (const key of RECORD_KEYS) {
    const v = raw[key];
    if (v === undefined) continue;
    if (!isRecord(v)) throw new Error(`"${key}" should be an object`);
    (state as Record<string, unknown>)[key] = v;
  }
  state.version = STATE_VERSION;
  return state;
}

export interface StateStoreOptions {
  coalesceMs?: number;
  clock?: Clock;
}

export function openStateStore(home: string, log: Log, opts: StateStoreOptions = {}): Promise<JsonDoc<GatewayState>> {
  const file = statePaths(home).state;
  return openJsonDoc(file, defaultGatewayState, { log, ...opts, migrate: (raw) => migrateGatewayState(raw, file) });
}
