// The real thing: Baileys' makeWASocket over the account's multi-file credentials. Imported only when an account
// is configured and linked (or by the login command), so a gateway without WhatsApp never loads Baileys.
import { Browsers, makeCacheableSignalKeyStore, makeWASocket, useMultiFileAuthState, type SocketConfig } from '@whiskeysockets/baileys';
import type { Logger } from '../../runtime/types/channel.js';
import { ensureCredentialsDir } from './credentials.js';

/** Baileys' logger shape (its ILogger, which the package does not export). */
type ILogger = SocketConfig['logger'];
import type { AuthOpener, LoginSocket, SocketRequest } from './socket.js';

/**
 * The account's credentials: Baileys' files in `dir` (owner-only), with its in-memory key cache in front so that
 * the many small key reads of a busy chat do not each hit the disk (an SD card lasts longer).
 */
export const openMultiFileAuth: AuthOpener = async (dir, log) => {
  await ensureCredentialsDir(dir);
  const { state, saveCreds } = await useMultiFileAuthState(dir);
  return { state: { creds: state.creds, keys: makeCacheableSignalKeyStore(state.keys, baileysLogger(log)) }, saveCreds };
};

/** Options a caller may set beyond the defaults (the login smoke test points the socket at a local server). */
export type SocketOptions = Partial<Pick<SocketConfig, 'waWebSocketUrl' | 'connectTimeoutMs' | 'qrTimeout'>>;

export function makeBaileysSocket(req: SocketRequest, options: SocketOptions = {}): LoginSocket {
  return makeWASocket({
    auth: req.auth,
    logger: baileysLogger(req.log, { accountId: req.accountId }),
    // The name the phone shows under Linked devices.
    browser: Browsers.ubuntu('Switchyard'),
    // Staying "offline" keeps notifications on the phone of the person whose number this is.
    markOnlineOnConnect: false,
    // Old chats are not answered; a full history sync would only cost a Pi memory and time.
    syncFullHistory: false,
    generateHighQualityLinkPreview: false,
    ...options,
  });
}

/**
 * Baileys logs pino-style (`obj, msg`) and a lot of it. Its errors become our warnings, its warnings our debug
 * lines; only the message and an error's text are passed on (its objects can hold protocol nodes and keys).
 */
export function baileysLogger(log: Logger, bindings: Record<string, unknown> = {}): ILogger {
  const line = (obj: unknown, msg?: string) => {
    const text = typeof obj === 'string' ? obj : (msg ?? 'baileys');
    const o = (typeof obj === 'object' && obj !== null ? obj : {}) as Record<string, unknown>;
    const err = o.err ?? o.error;
    const data: Record<string, unknown> = { ...bindings };
    if (err instanceof Error) data.err = err;
    else if (err !== undefined) data.detail = String((err as { message?: unknown })?.message ?? err).slice(0, 300);
    return [`whatsapp (baileys): ${text}`, data] as const;
  };
  return {
    level: 'warn',
    child: (more) => baileysLogger(log, { ...bindings, ...pick(more) }),
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: (obj, msg) => log.debug?.(...line(obj, msg)),
    error: (obj, msg) => log.warn(...line(obj, msg)),
  };
}

/** Child bindings Baileys adds (class names, message ids) are short strings; anything else is left out. */
function pick(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'string' && v.length <= 64) out[k] = v;
  return out;
}
