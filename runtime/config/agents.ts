// Questions about agents answered from a validated Config: which is the default, which models to try in
// which order, where the workspace is.
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { type ModelRef, formatModelRef, parseModelRef } from '../types/provider.js';
import type { AgentConfig, Config } from './schema.js';

/** The agent marked `default: true`, else the first in agents.list. */
export function defaultAgentId(config: Config): string {
  const list = config.agents.list;
  const marked = list.find((a) => a.default === true);
  const agent = marked ?? list[0];
  if (!agent) throw new Error('config has no agents: add at least one entry to agents.list');
  return agent.id;
}

export function getAgent(config: Config, id: string): AgentConfig | undefined {
  return config.agents.list.find((a) => a.id === id);
}

/** Model guessed from credentials in the environment when no primary model is configured anywhere. */
export function guessModelFromEnv(env: NodeJS.ProcessEnv): ModelRef | undefined {
  const wanted = env.SWITCHYARD_MODEL?.trim();
  if (wanted?.includes('/')) {
    const ref = parseModelRef(wanted);
    if (ref) return ref;
  }
  // A bare SWITCHYARD_MODEL ("qwen2.5") names the model for whichever provider the credentials point at.
  const bare = wanted && !wanted.includes('/') ? wanted : undefined;
  if (env.ANTHROPIC_API_KEY) return { provider: 'anthropic', model: bare ?? 'claude-sonnet-4-6' };
  if (env.OPENAI_API_KEY) return { provider: 'openai', model: bare ?? 'gpt-4o-mini' };
  if (env.OPENAI_BASE_URL) return { provider: 'openai', model: bare ?? 'llama3.2' };
  return undefined;
}

/**
 * Models to try for an agent, in order: `override` (a session's /model choice) or the primary, then the
 * fallbacks. The agent's own `model` wins over agents.defaults.model key by key: its primary over the default
 * primary; its fallbacks over the default fallbacks when it lists any (an empty list inherits the defaults,
 * because the schema cannot tell "absent" from "[]"). With no primary configured anywhere the primary is
 * guessed from the environment (see guessModelFromEnv). Duplicates are dropped; no model at all → [].
 * `env` defaults to process.env.
 */
export function agentModelCandidates(config: Config, agentId: string, override?: string, env: NodeJS.ProcessEnv = process.env): ModelRef[] {
  const agentModel = getAgent(config, agentId)?.model;
  const defaults = config.agents.defaults.model;

  let primary: ModelRef | undefined;
  if (override !== undefined) {
    primary = parseModelRef(override) ?? undefined;
    if (!primary) throw new Error(`invalid model override ${JSON.stringify(override)}: expected "<provider>/<model>"`);
  } else {
    const configured = agentModel?.primary ?? defaults.primary;
    primary = configured !== undefined ? (parseModelRef(configured) ?? undefined) : guessModelFromEnv(env);
  }

  const fallbacks = agentModel && agentModel.fallbacks.length > 0 ? agentModel.fallbacks : defaults.fallbacks;
  const out: ModelRef[] = [];
  const seen = new Set<string>();
  const add = (ref: ModelRef | undefined | null) => {
    if (!ref) return;
    const key = formatModelRef(ref);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(ref);
  };
  add(primary);
  for (const f of fallbacks) add(parseModelRef(f));
  return out;
}

/**
 * The agent's workspace directory: agents.list[].workspace, else agents.defaults.workspace (shared: the
 * default agent uses it as is, every other agent gets `<dir>/<agentId>` so workspaces never overlap), else
 * `<home>/workspace` for the default agent and `<home>/workspace-<agentId>` for others. `~` is the user's
 * home directory; relative paths are resolved against `home` (where switchyard.json lives).
 */
export function agentWorkspace(config: Config, agentId: string, home: string, userHome: string = homedir()): string {
  const agent = getAgent(config, agentId);
  if (!agent) throw new Error(`unknown agent ${JSON.stringify(agentId)}: expected one of ${config.agents.list.map((a) => a.id).join(', ')}`);
  const isDefault = defaultAgentId(config) === agentId;
  const abs = (p: string) => {
    const expanded = p === '~' ? userHome : p.startsWith('~/') ? join(userHome, p.slice(2)) : p;
    return isAbsolute(expanded) ? expanded : resolve(home, expanded);
  };
  if (agent.workspace) return abs(agent.workspace);
  const shared = config.agents.defaults.workspace;
  if (shared) return isDefault ? abs(shared) : join(abs(shared), agentId);
  return join(home, isDefault ? 'workspace' : `workspace-${agentId}`);
}
