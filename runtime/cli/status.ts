// switchyard status [--json]: is the gateway ready, its channels, runs, approvals and connections.
import type { CliCommand } from './types.js';
import { withGateway } from './gateway-client.js';
import { ago, painter, parse, printJson, table, help } from './output.js';

const usage = `Usage: switchyard status [--json]

Whether the gateway is ready, each channel's state, active runs, pending approvals and connected clients.
  --json   the status object (ready, version, channels[…], activeRuns, …) for scripts
`;

interface Status {
  ready: boolean;
  version: string;
  uptimeMs: number;
  channels: { channel: string; accountId: string; state: string; lastEventAt?: number; lastError?: { message: string; at: number } }[];
  agents: string[];
  sessions: number;
  activeRuns: { runId: string; sessionKey: string; startedAt: number }[];
  pendingApprovals: number;
  connections: { operator: number; webchat: number };
  memory: { rssBytes: number };
}

export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'is the gateway ready; channels, runs, approvals',
  usage,
  async run(argv, io) {
    const { values } = parse(argv, { json: { type: 'boolean' } }, false);
    if (values.help) return help(io, usage);
    const s = (await withGateway(io, (g) => g.call('status'))) as unknown as Status;
    if (values.json) {
      printJson(io, s);
      return 0;
    }
    const c = painter(io);
    const state = (st: string) => c(st === 'connected' ? 'green' : st === 'error' ? 'red' : 'yellow', st);
    io.stdout.write(
      `${c('bold', 'Switchyard')} ${s.version}  ${s.ready ? c('green', '● ready') : c('yellow', '● starting')}  up ${Math.round(s.uptimeMs / 1000)}s  ` +
        `rss ${Math.round(s.memory.rssBytes / 1024 / 1024)} MB\n`,
    );
    io.stdout.write(
      `agents ${s.agents.join(', ')} · sessions ${s.sessions} · runs ${s.activeRuns.length} · approvals waiting ${s.pendingApprovals} · ` +
        `clients ${s.connections.operator} operator, ${s.connections.webchat} web chat\n\n`,
    );
    const rows = [['CHANNEL', 'STATE', 'LAST EVENT', 'LAST ERROR'].map((h) => c('dim', h))];
    for (const ch of s.channels) {
      rows.push([`${ch.channel}:${ch.accountId}`, state(ch.state), ago(ch.lastEventAt), ch.lastError ? c('red', ch.lastError.message) : '']);
    }
    io.stdout.write(table(rows));
    return 0;
  },
};
