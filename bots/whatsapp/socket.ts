// The part of a Baileys socket the adapter uses, and how a socket is made. Types only (no Baileys import at run
// time), so the module entry can name them without loading Baileys.
//
// The seam: everything above the socket (connection loop, decoding, sending) is given a socket by a factory. The
// gateway's factory is Baileys' own makeWASocket (real-socket.ts). Tests pass a factory that returns a socket whose
// event emitter is Baileys' own (`makeEventBuffer`) and whose sendMessage encodes through Baileys'
// `generateWAMessage`, because no fake WhatsApp server can complete the certificate-pinned Noise handshake.
import type { AuthenticationState, WASocket } from '@whiskeysockets/baileys';
import type { Logger } from '../../runtime/types/channel.js';

export type WaSocket = Pick<WASocket, 'ev' | 'sendMessage' | 'readMessages' | 'sendPresenceUpdate' | 'end' | 'user'> & {
  /** Baileys' LID ↔ phone-number store, asked when a message names a person by LID only. */
  signalRepository?: { lidMapping: Pick<WASocket['signalRepository']['lidMapping'], 'getPNForLID'> };
};

/** What login needs on top: the pairing-code request. */
export type LoginSocket = WaSocket & Pick<WASocket, 'requestPairingCode'>;

export interface SocketRequest {
  accountId: string;
  /** The account's credentials (files in its credentials folder, behind Baileys' key cache). */
  auth: AuthenticationState;
  log: Logger;
}

export type SocketFactory<S extends WaSocket = WaSocket> = (req: SocketRequest) => S | Promise<S>;

/** Opens an account's credentials: the state Baileys mutates, and the function that writes creds.json. */
export type AuthOpener = (dir: string, log: Logger) => Promise<{ state: AuthenticationState; saveCreds: () => Promise<void> }>;

/** The close code of a `connection.update`: Baileys closes with a Boom error whose output carries it. */
export function closeCode(lastDisconnect: { error?: unknown } | undefined): number | undefined {
  const err = lastDisconnect?.error as { output?: { statusCode?: unknown } } | undefined;
  const code = err?.output?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Baileys' DisconnectReason values we act on (repeated here so this file needs no Baileys import). */
export const LOGGED_OUT = 401;
export const RESTART_REQUIRED = 515;
export const CONNECTION_REPLACED = 440;
export const CONNECTION_CLOSED = 428;
