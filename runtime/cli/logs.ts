// switchyard logs [-f] [-n n] [--json] and switchyard audit [-n n] [--json].
import type { CliCommand, CliIo } from './types.js';
import { CliError, EXIT, connectGateway, withGateway } from './gateway-client.js';
import { count, painter, parse, printJson, help } from './output.js';

const logsUsage = `Usage: switchyard logs [-f] [-n n] [--json]

The gateway's latest log lines (it keeps the last 1,000).
  -f, --follow   keep printing new lines until Ctrl-C
  -n n           how many to show first (default 50)
  --json         one JSON object per line
`;

interface Line {
  ts: number;
  level: string;
  msg: string;
  data?: unknown;
}

function printer(io: CliIo, json: boolean) {
  const c = painter(io);
  const colour = { error: 'red', warn: 'yellow', info: 'reset', debug: 'dim' } as const;
  return (l: Line) => {
    if (json) return void io.stdout.write(JSON.stringify(l) + '\n');
    const when = new Date(l.ts).toISOString().slice(11, 23);
    const data = l.data === undefined ? '' : ' ' + c('dim', typeof l.data === 'string' ? l.data : JSON.stringify(l.data));
    io.stdout.write(`${c('dim', when)} ${c(colour[l.level as keyof typeof colour] ?? 'reset', l.level.padEnd(5))} ${l.msg}${data}\n`);
  };
}

export const logsCommand: CliCommand = {
  name: 'logs',
  summary: 'the gateway log (-f to follow)',
  usage: logsUsage,
  async run(argv, io) {
    const { values } = parse(argv, { follow: { type: 'boolean', short: 'f' }, n: { type: 'string', short: 'n' }, json: { type: 'boolean' } }, false);
    if (values.help) return help(io, logsUsage);
    const limit = count(values.n, '-n', 1000, 50);
    const print = printer(io, values.json === true);
    if (!values.follow) {
      const res = await withGateway(io, (g) => g.call('logs.tail', { limit }));
      (res.lines as Line[]).forEach(print);
      return 0;
    }
    const g = await connectGateway(io.env);
    g.onEvent((e) => {
      if (e.event === 'log') print(e.payload as unknown as Line);
      if (e.event === 'shutdown') io.stderr.write(`the gateway is stopping (${String(e.payload.reason)})\n`);
    });
    const res = await g.call('logs.tail', { limit, follow: true });
    (res.lines as Line[]).forEach(print);
    const stop = new Promise<number>((resolve) => process.once('SIGINT', () => resolve(EXIT.ok)));
    const gone = g.closed.then(({ code }) => {
      io.stderr.write(`the gateway closed the connection (${code})\n`);
      return EXIT.failed;
    });
    const code = await Promise.race([stop, gone]);
    g.close();
    return code;
  },
};

const auditUsage = `Usage: switchyard audit [-n n] [--json]

The latest audit records (tool calls, approvals, admin commands, failovers), secrets scrubbed.
  -n n     how many (default 20, up to 1000)
  --json   the records as a JSON array
`;

export const auditCommand: CliCommand = {
  name: 'audit',
  summary: 'the latest audit records',
  usage: auditUsage,
  async run(argv, io) {
    const { values } = parse(argv, { n: { type: 'string', short: 'n' }, json: { type: 'boolean' } }, false);
    if (values.help) return help(io, auditUsage);
    const limit = count(values.n, '-n', 1000, 20);
    const res = await withGateway(io, (g) => g.call('audit.tail', { limit }));
    const records = res.records as Record<string, unknown>[];
    if (values.json) {
      printJson(io, records);
      return 0;
    }
    if (records.length === 0) {
      io.stdout.write('The audit log is empty.\n');
      return 0;
    }
    const c = painter(io);
    for (const r of records) {
      const { ts, kind, ...rest } = r;
      const fields = Object.entries(rest)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${c('dim', k + '=')}${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      io.stdout.write(`${c('dim', new Date(Number(ts)).toISOString().slice(0, 19).replace('T', ' '))} ${c('bold', String(kind))} ${fields}\n`);
    }
    return 0;
  },
};

export { CliError };
