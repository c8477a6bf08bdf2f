// health, status, agents.list, models.list, config.get, channels.status: what the gateway is and how it is doing.
import { z } from 'zod';
import { agentModelCandidates, agentWorkspace, defaultAgentId } from '../../config/agents.js';
import { formatModelRef } from '../../types/provider.js';
import { method, type MethodDef, type PlaneServices } from '../types.js';

const none = z.object({});

export function systemMethods(s: PlaneServices): MethodDef[] {
  return [
    method({
      name: 'health',
      roles: ['operator', 'webchat'],
      params: none,
      run: async () => ({ ok: true, ready: s.gateway()?.ready ?? false, ts: s.clock.now() }),
    }),
    method({
      name: 'status',
      roles: ['operator'],
      params: none,
      run: async () => {
        const config = s.config();
        const sessions = config.agents.list.reduce((n, a) => n + s.sessions.list(a.id).length, 0);
        return {
          ready: s.gateway()?.ready ?? false,
          version: s.version,
          pid: process.pid,
          uptimeMs: s.clock.now() - s.startedAt,
          seq: s.hub.seq(),
          channels: s.channels.list(),
          agents: config.agents.list.map((a) => a.id),
          sessions,
          activeRuns: s.runs.active(),
          pendingApprovals: s.approvals()?.listPending().length ?? 0,
          connections: s.connections(),
          webchatUsers: s.webchatUsers.list().length,
          memory: { rssBytes: process.memoryUsage().rss },
        };
      },
    }),
    method({
      name: 'agents.list',
      roles: ['operator'],
      params: none,
      run: async () => {
        const config = s.config();
        const def = defaultAgentId(config);
        return {
          agents: config.agents.list.map((a) => {
            const first = agentModelCandidates(config, a.id)[0];
            return { id: a.id, name: a.name, default: a.id === def, workspace: agentWorkspace(config, a.id, s.home), model: first ? formatModelRef(first) : undefined };
          }),
        };
      },
    }),
    method({
      name: 'models.list',
      roles: ['operator'],
      params: none,
      run: async () => {
        const config = s.config();
        return {
          providers: s.providerIds(),
          agents: config.agents.list.map((a) => ({ agentId: a.id, candidates: agentModelCandidates(config, a.id).map(formatModelRef) })),
          profiles: s.profileHealth(),
        };
      },
    }),
    method({
      name: 'config.get',
      roles: ['operator'],
      params: none,
      // Tokens and keys are replaced by "[redacted]"; the rest is the config in force (defaults filled in).
      run: async () => ({ config: s.redact(s.config()) }),
    }),
    method({
      name: 'channels.status',
      roles: ['operator'],
      params: none,
      run: async () => ({ channels: s.channels.list() }),
    }),
  ];
}
