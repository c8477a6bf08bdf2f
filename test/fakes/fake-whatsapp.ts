// A stand-in for WhatsApp's side of a Baileys socket. No fake server can complete WhatsApp's certificate-pinned Noise
// handshake, so tests drive the adapter through the socket seam instead, with Baileys' own parts wherever they
// matter: the event emitter is Baileys' makeEventBuffer, inbound messages are built by proto.WebMessageInfo.fromObject
// (field names checked against the real protobuf), and sends are encoded by Baileys' generateWAMessage exactly as
// sendMessage does before it encrypts.
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BufferJSON,
  generateWAMessage,
  initAuthCreds,
  makeEventBuffer,
  proto,
  type AnyMessageContent,
  type AuthenticationState,
  type BaileysEventMap,
  type MiscMessageGenerationOptions,
  type SocketConfig,
  type WAMessage,
  type WAMessageKey,
  type WAPresence,
} from '@whiskeysockets/baileys';
import type { LoginSocket, SocketFactory, SocketRequest } from '../../bots/whatsapp/socket.js';

/** The linked number in tests, in both address forms (as Baileys puts them in sock.user, with a device suffix). */
export const BOT_PN = '15550001111@s.whatsapp.net';
export const BOT_LID = '99000111@lid';

const quiet: SocketConfig['logger'] = {
  level: 'silent',
  child: () => quiet,
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

/** A close error as Baileys makes them: a Boom whose output carries the status code. */
export function closeError(statusCode: number, message = 'Connection Failure'): Error {
  return Object.assign(new Error(message), { isBoom: true, output: { statusCode, payload: { statusCode, message } } });
}

export class FakeWaSocket implements LoginSocket {
  readonly ev = makeEventBuffer(quiet);
  user: LoginSocket['user'] = { id: '15550001111:7@s.whatsapp.net', lid: '99000111:7@lid' };
  readonly sent: { jid: string; message: WAMessage; options: MiscMessageGenerationOptions }[] = [];
  readonly presences: { type: WAPresence; jid: string | undefined }[] = [];
  readonly reads: WAMessageKey[][] = [];
  readonly pairingRequests: string[] = [];
  /** What Baileys' LID store would answer. */
  readonly lidMap = new Map<string, string>();
  readonly signalRepository = { lidMapping: { getPNForLID: async (lid: string) => this.lidMap.get(lid) ?? null } };
  /** Errors the next sendMessage calls throw, in order. */
  readonly sendFailures: Error[] = [];
  ended = false;

  constructor(readonly req?: SocketRequest) {}

  sendMessage = async (jid: string, content: AnyMessageContent, options: MiscMessageGenerationOptions = {}): Promise<WAMessage> => {
    const failure = this.sendFailures.shift();
    if (failure) throw failure;
    const message = await generateWAMessage(jid, content, {
      ...options,
      userJid: this.user!.id,
      logger: quiet,
      upload: async () => {
        throw new Error('the fake socket uploads no media');
      },
    });
    this.sent.push({ jid, message, options });
    return message;
  };

  readMessages = async (keys: WAMessageKey[]): Promise<void> => {
    this.reads.push(keys);
  };

  sendPresenceUpdate = async (type: WAPresence, jid?: string): Promise<void> => {
    this.presences.push({ type, jid });
  };

  requestPairingCode = async (phone: string): Promise<string> => {
    this.pairingRequests.push(phone);
    return 'ABCD2345';
  };

  end = async (error: Error | undefined): Promise<void> => {
    if (this.ended) return;
    this.ended = true;
    this.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } });
  };

  open(): void {
    this.ev.emit('connection.update', { connection: 'open' });
  }

  close(statusCode: number): void {
    this.ended = true;
    this.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error: closeError(statusCode), date: new Date() } });
  }

  upsert(messages: WAMessage[], type: BaileysEventMap['messages.upsert']['type'] = 'notify'): void {
    this.ev.emit('messages.upsert', { messages, type });
  }

  /** The text of each message sent, in order. */
  texts(): string[] {
    return this.sent.map((s) => s.message.message?.extendedTextMessage?.text ?? s.message.message?.conversation ?? '');
  }
}

/** A factory that records every socket it makes; `onCreate` may open or close them. */
export function fakeSocketFactory(onCreate?: (s: FakeWaSocket, n: number) => void): SocketFactory<FakeWaSocket> & { sockets: FakeWaSocket[] } {
  const sockets: FakeWaSocket[] = [];
  const factory = (req: SocketRequest) => {
    const s = new FakeWaSocket(req);
    sockets.push(s);
    onCreate?.(s, sockets.length);
    return s;
  };
  return Object.assign(factory, { sockets });
}

/** Fields of a message key that Baileys adds beside the protobuf's own (remoteJidAlt, participantAlt, …). */
export type KeyExtras = Pick<WAMessageKey, 'remoteJidAlt' | 'participantAlt' | 'addressingMode'>;

/**
 * A received message as Baileys emits it: the protobuf part through WebMessageInfo.fromObject, which must round-trip
 * (a misspelt field would silently vanish otherwise), plus Baileys' own key fields.
 */
export function waMessage(info: Record<string, unknown>, keyExtras: KeyExtras = {}): WAMessage {
  const m = proto.WebMessageInfo.fromObject(info) as WAMessage;
  const back = proto.WebMessageInfo.toObject(m as proto.WebMessageInfo, { longs: Number, enums: Number, bytes: String });
  if (JSON.stringify(sortKeys(back)) !== JSON.stringify(sortKeys(info))) {
    throw new Error(`fixture does not round-trip through proto.WebMessageInfo (a field name or type is wrong):\n${JSON.stringify(info)}\n${JSON.stringify(back)}`);
  }
  Object.assign(m.key, keyExtras);
  return m;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
  );
}

let seq = 0;
/** A text message from a person (DM) or in a group, with the given context. */
export function textFrom(
  from: { jid: string; alt?: string; group?: string; name?: string },
  text: string,
  opts: { id?: string; contextInfo?: Record<string, unknown>; ephemeral?: number } = {},
): WAMessage {
  const id = opts.id ?? `3EB0${(++seq).toString(16).padStart(8, '0').toUpperCase()}`;
  const key: Record<string, unknown> = { remoteJid: from.group ?? from.jid, fromMe: false, id };
  if (from.group) key.participant = from.jid;
  const contextInfo = { ...(opts.contextInfo ?? {}), ...(opts.ephemeral ? { expiration: opts.ephemeral } : {}) };
  let message: Record<string, unknown> = Object.keys(contextInfo).length ? { extendedTextMessage: { text, contextInfo } } : { conversation: text };
  if (opts.ephemeral) message = { ephemeralMessage: { message } };
  const info: Record<string, unknown> = { key, message, messageTimestamp: 1767225600, pushName: from.name ?? 'Ana' };
  const extras: KeyExtras = from.alt ? (from.group ? { participantAlt: from.alt } : { remoteJidAlt: from.alt }) : {};
  return waMessage(info, extras);
}

export interface WaFixture {
  name: string;
  about: string;
  upsertType?: 'notify' | 'append';
  message: Record<string, unknown>;
  key?: KeyExtras;
  expect: Record<string, unknown> | null;
}

export function loadWaFixtures(): WaFixture[] {
  const dir = new URL('../fixtures/whatsapp/', import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ''), ...(JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Omit<WaFixture, 'name'>) }));
}

/** Writes credentials as a finished link leaves them (what `login` produces), so the gateway starts the account. */
export async function writeLinkedCreds(dir: string, phoneJid = '15550001111:7@s.whatsapp.net'): Promise<void> {
  const creds = initAuthCreds();
  creds.me = { id: phoneJid, lid: '99000111:7@lid', name: 'Switchyard' };
  creds.account = proto.ADVSignedDeviceIdentity.fromObject({ details: Buffer.from('test'), accountSignatureKey: Buffer.alloc(32) });
  creds.registered = true;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'creds.json'), JSON.stringify(creds, BufferJSON.replacer));
}

/** An in-memory auth state (for tests that need no credential files). */
export function memoryAuth(): { state: AuthenticationState; saveCreds: () => Promise<void>; saves: number } {
  const keys: Record<string, Record<string, unknown>> = {};
  const out = {
    saves: 0,
    state: {
      creds: initAuthCreds(),
      keys: {
        get: async (type: string, ids: string[]) => Object.fromEntries(ids.map((id) => [id, keys[type]?.[id]])),
        set: async (data: Record<string, Record<string, unknown>>) => {
          for (const [type, values] of Object.entries(data)) keys[type] = { ...keys[type], ...values };
        },
      },
    } as unknown as AuthenticationState,
    saveCreds: async () => {
      out.saves++;
    },
  };
  return out;
}
