// switchyard approvals [--json] and switchyard approve <id> once|always|deny: exec approvals from the terminal.
import type { CliCommand } from './types.js';
import { CliError, EXIT, withGateway } from './gateway-client.js';
import { ago, painter, parse, printJson, help } from './output.js';

const listUsage = `Usage: switchyard approvals [--json]

Commands waiting for the owner's approval: id, agent, session, the exact command, when it expires.
Answer with: switchyard approve <id> once|always|deny
`;

interface Approval {
  id: string;
  agentId: string;
  sessionKey: string;
  command: string;
  createdAt: number;
  expiresAt: number;
}

export const approvalsCommand: CliCommand = {
  name: 'approvals',
  summary: 'commands waiting for approval',
  usage: listUsage,
  async run(argv, io) {
    const { values } = parse(argv, { json: { type: 'boolean' } }, false);
    if (values.help) return help(io, listUsage);
    const res = await withGateway(io, (g) => g.call('approvals.list'));
    if (values.json) {
      printJson(io, res);
      return 0;
    }
    const list = res.approvals as Approval[];
    if (list.length === 0) {
      io.stdout.write('No approvals waiting.\n');
      return 0;
    }
    const c = painter(io);
    for (const a of list) {
      io.stdout.write(
        `${c('bold', a.id)}  ${a.agentId}  ${c('dim', a.sessionKey)}  asked ${ago(a.createdAt)}, expires in ${Math.max(0, Math.round((a.expiresAt - Date.now()) / 60_000))} min\n`,
      );
      io.stdout.write(`    ${c('cyan', a.command)}\n`);
    }
    return 0;
  },
};

const approveUsage = `Usage: switchyard approve <id> once|always|deny

  once     run this command this time
  always   run it, and add it to the agent's allowlist
  deny     refuse it
`;

const DECISIONS: Record<string, string> = {
  once: 'allow-once',
  'allow-once': 'allow-once',
  always: 'allow-always',
  'allow-always': 'allow-always',
  deny: 'deny',
  no: 'deny',
};

export const approveCommand: CliCommand = {
  name: 'approve',
  summary: 'answer an approval: once, always or deny',
  usage: approveUsage,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' } });
    if (values.help) return help(io, approveUsage);
    const [id, word, ...extra] = positionals;
    const decision = word ? DECISIONS[word.toLowerCase()] : undefined;
    if (!id || !decision || extra.length > 0) throw new CliError(`expected an approval id and once, always or deny\n\n${approveUsage}`, EXIT.usage);
    const res = await withGateway(io, (g) => g.call('approvals.resolve', { id, decision, idempotencyKey: g.key() }));
    if (values.json) printJson(io, res);
    else io.stdout.write(`${String(res.message)}\n`);
    return 0;
  },
};
