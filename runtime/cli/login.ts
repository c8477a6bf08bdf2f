// `login <channel> [--account <id>] [--phone +15551234567]`: links the gateway to a platform account that is
// linked on the phone rather than by a token in the config (WhatsApp). The platforms' link flows are given in by the
// composition root, so this file knows no platform.
import type { ChannelId } from '../types/channel.js';
import type { ChannelLogin } from '../types/login.js';
import type { CliCommand, CliIo } from './types.js';

const usage = (names: string) => `Usage: login <channel> [--account <id>] [--phone +15551234567]

  <channel>        the platform to link: ${names}
  --account <id>   which account (default: "default"); more numbers are more accounts
                   (channels.whatsapp.accounts.<id> in switchyard.json)
  --phone <number> also print an 8-character pairing code for this number (E.164, with country code),
                   to type on the phone instead of scanning the QR code

Credentials go to $SWITCHYARD_HOME/credentials/<channel>/<account>/ (default ~/.switchyard).
`;

export interface LoginCommandDeps {
  /** The platforms that can be linked from a terminal. */
  logins: readonly ChannelLogin[];
  /** The state directory for an environment (SWITCHYARD_HOME or ~/.switchyard). */
  home: (env: CliIo['env']) => string;
}

export function createLoginCommand(deps: LoginCommandDeps): CliCommand {
  const names = deps.logins.map((l) => l.channel).join(', ');
  return {
    name: 'login',
    summary: 'Link a WhatsApp number (QR code in the terminal, or a pairing code)',
    usage: usage(names),
    async run(argv: string[], io: CliIo): Promise<number> {
      const parsed = parseArgs(argv);
      if ('help' in parsed) {
        io.stdout.write(usage(names));
        return 0;
      }
      if ('error' in parsed) {
        io.stderr.write(`${parsed.error}\n\n${usage(names)}`);
        return 2;
      }
      const login = deps.logins.find((l) => l.channel === parsed.channel);
      if (!login) {
        io.stderr.write(`login: "${parsed.channel}" cannot be linked from here (only ${names}); other platforms take a token in switchyard.json\n`);
        return 2;
      }
      return login.run({ accountId: parsed.account, phone: parsed.phone, home: deps.home(io.env) }, io);
    },
  };
}

type Parsed = { help: true } | { error: string } | { channel: ChannelId; account: string; phone?: string };

function parseArgs(argv: string[]): Parsed {
  let channel: string | undefined;
  let account = 'default';
  let phone: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (name: string): string | undefined => {
      if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) return undefined;
      i++;
      return v;
    };
    if (a === '--help' || a === '-h') return { help: true };
    if (a === '--account' || a.startsWith('--account=')) {
      const v = value('--account');
      if (!v) return { error: 'login: --account needs an id, e.g. --account work' };
      if (!/^[a-z0-9][a-z0-9_-]{0,63}$/i.test(v)) return { error: `login: --account ${v}: expected letters, digits, - and _ (it names a folder)` };
      account = v;
    } else if (a === '--phone' || a.startsWith('--phone=')) {
      const v = value('--phone');
      if (!v) return { error: 'login: --phone needs a number, e.g. --phone +15551234567' };
      phone = v;
    } else if (a.startsWith('-')) {
      return { error: `login: unknown option ${a}` };
    } else if (channel === undefined) {
      channel = a.toLowerCase();
    } else {
      return { error: `login: unexpected argument ${a}` };
    }
  }
  if (!channel) return { error: 'login: which platform? e.g. login whatsapp' };
  return { channel: channel as ChannelId, account, phone };
}
