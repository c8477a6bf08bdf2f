// Where everything lives in the state directory. The only place that knows the layout, so nothing else
// builds paths by hand (and ids that end up in paths are checked here, once).
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export interface StatePaths {
  home: string;
  config: string;
  state: string;
  agentsDir: string;
  agentDir(agentId: string): string;
  sessionsDir(agentId: string): string;
  sessionsJson(agentId: string): string;
  transcript(agentId: string, sessionId: string): string;
  auditDir: string;
  /** `date` is a UTC day, 'YYYY-MM-DD'. */
  auditFile(date: string): string;
  journal: string;
  /** control/events.jsonl: the control plane's replayable events. */
  controlEvents: string;
  /** control/idempotency.jsonl: first answers to side-effecting control requests. */
  idempotency: string;
  // Workspaces are not state: where they live is config (runtime/config/agents.ts agentWorkspace).
}

/** Same rule as agent ids in the config schema: they become directory names, so no '/', '.', or '..'. */
const AGENT_ID = /^[a-z0-9][a-z0-9_-]*$/i;
/** Session ids become file names; runtime/ids.ts newSessionId() produces `[0-9A-Za-z-]`. */
const SESSION_ID = /^[a-z0-9][a-z0-9_-]*$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function isAgentId(agentId: string): boolean {
  return AGENT_ID.test(agentId) && agentId.length <= 64;
}

export function assertAgentId(agentId: string): void {
  if (!isAgentId(agentId)) {
    throw new Error(`invalid agent id ${JSON.stringify(agentId)}: expected letters, digits, - and _ (max 64)`);
  }
}

export function assertSessionId(sessionId: string): void {
  if (!SESSION_ID.test(sessionId) || sessionId.length > 128) {
    throw new Error(`invalid session id ${JSON.stringify(sessionId)}: expected letters, digits, - and _ (max 128)`);
  }
}

export function statePaths(home: string): StatePaths {
  const root = resolve(home);
  const agentsDir = join(root, 'agents');
  const agentDir = (agentId: string): string => {
    assertAgentId(agentId);
    return join(agentsDir, agentId);
  };
  const sessionsDir = (agentId: string): string => join(agentDir(agentId), 'sessions');
  const auditDir = join(root, 'audit');
  return {
    home: root,
    config: join(root, 'switchyard.json'),
    state: join(root, 'state.json'),
    agentsDir,
    agentDir,
    sessionsDir,
    sessionsJson: (agentId) => join(sessionsDir(agentId), 'sessions.json'),
    transcript: (agentId, sessionId) => {
      assertSessionId(sessionId);
      return join(sessionsDir(agentId), `${sessionId}.jsonl`);
    },
    auditDir,
    auditFile: (date) => {
      if (!DAY.test(date)) throw new Error(`invalid audit date ${JSON.stringify(date)}: expected YYYY-MM-DD`);
      return join(auditDir, `${date}.jsonl`);
    },
    journal: join(root, 'journal', 'inbound.jsonl'),
    controlEvents: join(root, 'control', 'events.jsonl'),
    idempotency: join(root, 'control', 'idempotency.jsonl'),
  };
}

/** The state directory: $SWITCHYARD_HOME (absolute, or relative to cwd; `~/` expanded) or ~/.switchyard. */
export function resolveHome(env: Record<string, string | undefined> = process.env, home: string = homedir()): string {
  const fromEnv = env.SWITCHYARD_HOME?.trim();
  if (!fromEnv) return join(home, '.switchyard');
  if (fromEnv === '~') return home;
  if (fromEnv.startsWith('~/')) return join(home, fromEnv.slice(2));
  return isAbsolute(fromEnv) ? fromEnv : resolve(fromEnv);
}
