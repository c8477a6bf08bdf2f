// agents/<agentId>/sessions/sessions.json: sessionKey → SessionEntry, one coalesced JSON doc per agent.
//
// SessionStore.get/list/put are synchronous (the hot path should not await a disk read), so an agent's
// doc must be loaded before use: openSessionStore() loads the agents it is given (default: every agent
// that has a directory under agents/), and `await store.load(agentId)` loads one more later (an agent
// added at runtime). Touching an agent that is not loaded throws instead of answering "no session",
// which would quietly start a new session over an existing one.
import { readdir } from 'node:fs/promises';
import type { JsonDoc, SessionEntry, SessionStore } from '../runtime/types/storage.js';
import { openJsonDoc } from './json-doc.js';
import type { Clock } from '../runtime/types/clock.js';
import { isErrno, isRecord, type Log } from './jsonl.js';
import { assertAgentId, isAgentId, statePaths } from './paths.js';

type Sessions = Record<string, SessionEntry>;

export interface LoadableSessionStore extends SessionStore {
  /** Opens the agent's sessions.json (once; later calls return the same load). */
  load(agentId: string): Promise<void>;
  /** Agents whose sessions are loaded. */
  loadedAgents(): string[];
}

export interface SessionStoreOptions {
  coalesceMs?: number;
  clock?: Clock;
}

/** Keeps well-formed entries; drops (and names) the others — one bad entry must not cost every session. */
function decodeSessions(raw: unknown, agentId: string, file: string, log: Log): Sessions {
  if (!isRecord(raw)) throw new Error('expected a JSON object of sessionKey → session entry');
  const out: Sessions = {};
  for (const [key, v] of Object.entries(raw)) {
    if (isRecord(v) && typeof v.sessionId === 'string' && typeof v.createdAt === 'number') {
      // Key and agent come from where the entry is stored, which is what lookups use.
      out[key] = { ...(v as unknown as SessionEntry), sessionKey: key, agentId };
    } else {
      log(`storage: ${file}: dropped the entry for ${JSON.stringify(key)}: not a session entry: ${JSON.stringify(v)}`);
    }
  }
  return out;
}

async function agentsOnDisk(home: string): Promise<string[]> {
  try {
    const dirents = await readdir(statePaths(home).agentsDir, { withFileTypes: true });
    return dirents.filter((d) => d.isDirectory() && isAgentId(d.name)).map((d) => d.name);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return []; // fresh home: no agents yet
    throw err;
  }
}

export async function openSessionStore(home: string, log: Log, agentIds?: string[], opts: SessionStoreOptions = {}): Promise<LoadableSessionStore> {
  const paths = statePaths(home);
  const loading = new Map<string, Promise<JsonDoc<Sessions>>>();
  const docs = new Map<string, JsonDoc<Sessions>>();

  const doc = (agentId: string): JsonDoc<Sessions> => {
    const d = docs.get(agentId);
    if (!d) {
      throw new Error(`sessions of agent "${agentId}" are not loaded: ` + `pass it to openSessionStore() or await store.load("${agentId}") first`);
    }
    return d;
  };

  const load = (agentId: string): Promise<void> => {
    assertAgentId(agentId);
    let p = loading.get(agentId);
    if (!p) {
      const file = paths.sessionsJson(agentId);
      p = openJsonDoc<Sessions>(file, () => ({}), {
        log,
        ...opts,
        migrate: (raw) => decodeSessions(raw, agentId, file, log),
      });
      loading.set(agentId, p);
      p.then(
        (d) => docs.set(agentId, d),
        () => loading.delete(agentId), // let a later load() try again; the caller of this one gets the error
      );
    }
    return p.then(() => undefined);
  };

  await Promise.all((agentIds ?? (await agentsOnDisk(home))).map(load));

  return {
    load,
    loadedAgents: () => [...docs.keys()],
    // Copies in and out: a caller mutating an entry it holds must not change the doc without a write.
    get: (agentId, sessionKey) => {
      const e = doc(agentId).data[sessionKey];
      return e ? structuredClone(e) : undefined;
    },
    put: (entry) => {
      const copy = structuredClone(entry);
      doc(entry.agentId).update((d) => {
        d[entry.sessionKey] = copy;
      });
    },
    list: (agentId) => Object.values(doc(agentId).data).map((e) => structuredClone(e)),
    flush: async () => {
      await Promise.all([...docs.values()].map((d) => d.flush()));
    },
  };
}
