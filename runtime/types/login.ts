// Linking the gateway to a platform account from a terminal (`login <channel>`): the platform's adapter folder
// implements it, the CLI command parses the arguments and hands over. Only platforms whose link is made outside a
// config file (WhatsApp: a QR code or pairing code confirmed on the phone) have one.
import type { ChannelId } from './channel.js';

export interface LoginRequest {
  /** The account to link (`default` unless `--account` says otherwise). */
  accountId: string;
  /** `--phone`: the number to link by pairing code, in E.164 (`+15551234567`). */
  phone?: string;
  /** The state directory; credentials go under it. */
  home: string;
}

export interface LoginIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  isTTY: boolean;
}

export interface ChannelLogin {
  channel: ChannelId;
  /** Waits until the account is linked (or linking failed); resolves to the process exit code. */
  run(req: LoginRequest, io: LoginIo): Promise<number>;
}
