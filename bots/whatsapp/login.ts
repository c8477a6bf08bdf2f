// Linking a WhatsApp number from a terminal, screen or not: the QR code is drawn in the terminal (scan it under
// Linked devices → Link a device), and with a phone number an 8-character pairing code is printed as well (typed on
// the phone under Linked devices → Link with phone number instead). After the phone confirms, WhatsApp closes the
// connection with 515 "restart required"; a new socket then logs in with the new credentials, and once it is open
// the number is linked. Baileys and qrcode are imported only when this runs.
import { rm } from 'node:fs/promises';
import type { Logger } from '../../runtime/types/channel.js';
import type { ChannelLogin, LoginIo, LoginRequest } from '../../runtime/types/login.js';
import { credentialsDir, ensureCredentialsDir, phoneOf, readLinkState } from './credentials.js';
import { LOGGED_OUT, RESTART_REQUIRED, closeCode, type AuthOpener, type LoginSocket, type SocketFactory } from './socket.js';

/** WhatsApp stops offering QR codes after about two minutes; this bounds the wait if something else stalls. */
export const LOGIN_TIMEOUT_MS = 5 * 60_000;
/** A number of 515 restarts no real link needs; beyond it something loops. */
const MAX_RESTARTS = 5;

export interface LoginDeps {
  makeSocket?: SocketFactory<LoginSocket>;
  openAuth?: AuthOpener;
  /** The QR payload → text to print (qrcode's terminal rendering by default). */
  renderQr?: (qr: string) => Promise<string>;
  log?: Logger;
  timeoutMs?: number;
  setTimer?: (fn: () => void, ms: number) => () => void;
}

export function createWhatsAppLogin(deps: LoginDeps = {}): ChannelLogin {
  return { channel: 'whatsapp', run: (req, io) => linkWhatsApp(req, io, deps) };
}

export const whatsappLogin = createWhatsAppLogin();

export async function linkWhatsApp(req: LoginRequest, io: LoginIo, deps: LoginDeps = {}): Promise<number> {
  const say = (s: string) => void io.stdout.write(`${s}\n`);
  const fail = (s: string) => {
    io.stderr.write(`${s}\n`);
    return 1;
  };
  let digits: string | undefined;
  if (req.phone !== undefined) {
    const p = req.phone.replace(/[\s().-]/g, '');
    if (!/^\+[1-9]\d{5,14}$/.test(p)) return fail(`--phone ${req.phone}: expected the number in E.164 form with its country code, like +15551234567`);
    digits = p.slice(1);
  }
  const dir = credentialsDir(req.home, req.accountId);
  const before = await readLinkState(dir);
  if (before.linked) {
    say(`WhatsApp account "${req.accountId}" is already linked as ${before.phone} (${dir}).`);
    say('To link another number, use --account <id>; to link this account again, move that folder away first.');
    return 0;
  }
  if (before.why === 'unreadable') return fail(`${dir} holds credentials that cannot be read (${before.detail}): move the folder away and run this again`);
  // A pairing that was started but never confirmed leaves creds naming a number with no keys for it; Baileys would
  // try to log in with them instead of offering a new link.
  if (before.why === 'unfinished') await rm(dir, { recursive: true, force: true });
  await ensureCredentialsDir(dir);

  const log = deps.log ?? silentLog;
  const real = deps.makeSocket && deps.openAuth ? undefined : await import('./real-socket.js');
  const makeSocket = deps.makeSocket ?? real!.makeBaileysSocket;
  const openAuth = deps.openAuth ?? real!.openMultiFileAuth;
  const renderQr = deps.renderQr ?? terminalQr;
  const auth = await openAuth(dir, log);

  say(digits ? `Linking WhatsApp account "${req.accountId}" to +${digits}…` : `Linking WhatsApp account "${req.accountId}"…`);
  return new Promise<number>((resolve) => {
    let done = false;
    let restarts = 0;
    let qrShown = 0;
    let codeAsked = false;
    let sock: LoginSocket | undefined;
    const setTimer =
      deps.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      });
    const cancelTimer = setTimer(() => finish(fail('No link within 5 minutes; run the command again.')), deps.timeoutMs ?? LOGIN_TIMEOUT_MS);

    function finish(code: number) {
      if (done) return;
      done = true;
      cancelTimer();
      const s = sock;
      sock = undefined;
      // end() closes the connection only; the link stays (logout() would remove the device).
      void Promise.resolve(s?.end(undefined))
        .catch(() => {})
        .then(() => auth.saveCreds())
        .catch((err: unknown) => io.stderr.write(`Could not save the credentials in ${dir}: ${(err as Error).message}\n`))
        .then(() => resolve(code));
    }

    async function open() {
      const s = await makeSocket({ accountId: req.accountId, auth: auth.state, log });
      sock = s;
      s.ev.on('creds.update', () => {
        auth.saveCreds().catch((err: unknown) => io.stderr.write(`Could not save the credentials in ${dir}: ${(err as Error).message}\n`));
      });
      s.ev.on('connection.update', (u) => {
        if (done || sock !== s) return;
        if (u.qr) void showQr(s, u.qr);
        if (u.connection === 'open') {
          const id = s.user?.id ?? auth.state.creds.me?.id;
          say(`\n✅ WhatsApp linked as ${id ? phoneOf(id) : 'an unknown number'}. Credentials are in ${dir}.`);
          if (req.accountId !== 'default') say(`List it in switchyard.json as channels.whatsapp.accounts.${req.accountId}: {} (beside the others).`);
          say('Start (or restart) the gateway to connect it.');
          finish(0);
        } else if (u.connection === 'close') {
          const code = closeCode(u.lastDisconnect);
          if (code === RESTART_REQUIRED && restarts++ < MAX_RESTARTS) {
            say('The phone confirmed the link; reconnecting…');
            open().catch((err: unknown) => finish(fail(`Could not reconnect after linking: ${(err as Error).message}`)));
          } else if (code === LOGGED_OUT) {
            finish(fail('WhatsApp refused the link (401). Check the phone shows no error, then run the command again.'));
          } else {
            const why = (u.lastDisconnect?.error as Error | undefined)?.message ?? 'connection closed';
            const hint = /QR refs attempts ended/i.test(why) ? 'the QR code expired without being scanned' : `${why}${code ? ` (${code})` : ''}`;
            finish(fail(`Linking stopped: ${hint}. Run the command again.`));
          }
        }
      });
    }

    async function showQr(s: LoginSocket, qr: string) {
      // With a phone number the first QR stays on screen under the pairing code; a new QR every 20 s would push the
      // code out of view, and the code stays valid.
      if (qrShown === 0 || !digits) {
        qrShown++;
        const art = await renderQr(qr).catch((err: unknown) => `(the QR code could not be drawn: ${(err as Error).message})`);
        say(`\nScan this with WhatsApp on the phone: Settings → Linked devices → Link a device.\n${art}`);
      }
      if (digits && !codeAsked) {
        codeAsked = true;
        try {
          const code = await s.requestPairingCode(digits);
          say(`Or, on the phone: Linked devices → Link a device → Link with phone number instead, and enter this code:\n\n    ${code.slice(0, 4)}-${code.slice(4)}\n`);
        } catch (err) {
          io.stderr.write(`The pairing code could not be requested (${(err as Error).message}); scan the QR code instead.\n`);
        }
      }
    }

    open().catch((err: unknown) => finish(fail(`Could not connect to WhatsApp: ${(err as Error).message}`)));
  });
}

/** The QR code as terminal text (half-height blocks, so it fits an 80×24 terminal). */
export async function terminalQr(qr: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toString(qr, { type: 'terminal', small: true });
}

const silentLog: Logger = { info: () => {}, warn: () => {}, error: () => {} };

export type { LoginIo, LoginRequest };
