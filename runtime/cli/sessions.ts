// switchyard sessions [--agent <id>] [--limit n] [--json]: sessions with their agent, channel, last activity, size.
import type { CliCommand } from './types.js';
import { withGateway } from './gateway-client.js';
import { ago, bytes, count, painter, parse, printJson, table, help } from './output.js';

const usage = `Usage: switchyard sessions [--agent <agentId>] [--limit n] [--json]

Sessions, most recently active first: key, agent, channel, last activity, transcript size, tokens.
  --agent <id>   only this agent's sessions
  --limit n      at most n (default 50, up to 1000)
  --json         the sessions.list payload
`;

interface Session {
  key: string;
  agentId: string;
  channel?: string;
  updatedAt: number;
  bytes: number;
  inputTokens: number;
  outputTokens: number;
  active: boolean;
  backlog: number;
}

export const sessionsCommand: CliCommand = {
  name: 'sessions',
  summary: 'sessions: agent, channel, last activity, size',
  usage,
  async run(argv, io) {
    const { values } = parse(argv, { agent: { type: 'string', short: 'a' }, limit: { type: 'string', short: 'n' }, json: { type: 'boolean' } }, false);
    if (values.help) return help(io, usage);
    const limit = count(values.limit, '--limit', 1000, 50);
    const res = await withGateway(io, (g) => g.call('sessions.list', { limit, ...(values.agent ? { agentId: values.agent } : {}) }));
    if (values.json) {
      printJson(io, res);
      return 0;
    }
    const sessions = res.sessions as Session[];
    if (sessions.length === 0) {
      io.stdout.write(values.agent ? `No sessions of agent ${values.agent} yet.\n` : 'No sessions yet.\n');
      return 0;
    }
    const c = painter(io);
    const rows = [['SESSION', 'AGENT', 'CHANNEL', 'ACTIVE', 'SIZE', 'TOKENS (IN/OUT)'].map((h) => c('dim', h))];
    for (const s of sessions) {
      rows.push([
        s.active ? c('green', s.key) : s.key,
        s.agentId,
        s.channel ?? '—',
        ago(s.updatedAt) + (s.backlog ? c('yellow', ` +${s.backlog} queued`) : ''),
        bytes(s.bytes),
        `${s.inputTokens}/${s.outputTokens}`,
      ]);
    }
    io.stdout.write(table(rows));
    return 0;
  },
};
