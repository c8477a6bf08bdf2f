// switchyard send <sessionKey> <text…> | --to <channel>:<id> <text…>: a message into a session as the operator.
import type { CliCommand } from './types.js';
import { CliError, EXIT, withGateway } from './gateway-client.js';
import { painter, parse, printJson, help } from './output.js';

const usage = `Usage: switchyard send <sessionKey> <text…>
       switchyard send --to <channel>:<id> <text…>

Queues a message in a session (its answer goes where that session's messages go), or in the direct-message session
of <id> on <channel> (e.g. --to telegram:123456789). The text is the rest of the line.
  --json   the chat.send answer
`;

export const sendCommand: CliCommand = {
  name: 'send',
  summary: 'send a message into a session or to a chat',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { to: { type: 'string', short: 't' }, json: { type: 'boolean' } });
    if (values.help) return help(io, usage);
    const [first, ...rest] = positionals;
    const target = values.to ? { to: values.to } : { sessionKey: first };
    const text = (values.to ? positionals : rest).join(' ').trim();
    if (!values.to && !first?.startsWith('agent:')) {
      throw new CliError(
        `the first argument must be a session key (agent:<agentId>:…; \`switchyard sessions\` lists them) or use --to <channel>:<id>\n\n${usage}`,
        EXIT.usage,
      );
    }
    if (!text) throw new CliError(`no text to send\n\n${usage}`, EXIT.usage);
    const res = await withGateway(io, (g) => g.call('chat.send', { message: text, ...target, idempotencyKey: g.key() }));
    if (values.json) printJson(io, res);
    else io.stdout.write(`${painter(io)('green', '✓')} accepted into ${String(res.sessionKey)}\n`);
    return 0;
  },
};
