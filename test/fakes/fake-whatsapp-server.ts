// Just enough of WhatsApp Web's server side for a real Baileys socket to offer a link: the Noise XX handshake and
// one `pair-device` stanza, after which Baileys itself produces the QR code (and answers pairing-code requests).
// Nothing further (no pairing, no messages): the adapter's message handling is tested through the socket seam.
//
// Baileys pins WhatsApp's certificate authority; a test installs its own (trustTestCa), the way TLS tests install a
// test CA, and the server presents a chain signed by it. Every primitive is Baileys' own (Curve, hkdf, AES-GCM,
// binary node codec), so the bytes on the wire are exactly what the real client sends and accepts.
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  Curve,
  NOISE_MODE,
  NOISE_WA_HEADER,
  WA_CERT_DETAILS,
  aesDecryptGCM,
  aesEncryptGCM,
  decodeBinaryNode,
  encodeBinaryNode,
  hkdf,
  proto,
  sha256,
  type BinaryNode,
} from '@whiskeysockets/baileys';

type KeyPair = ReturnType<typeof Curve.generateKeyPair>;

const ca: KeyPair = Curve.generateKeyPair();

/** The test CA's public key, for a process that installs it itself (the benchmark's child processes). */
export const testCaPublicKey = (): Buffer => Buffer.from(ca.public);

/** Makes Baileys trust this file's test CA instead of WhatsApp's; the returned function restores the real one. */
export function trustTestCa(): () => void {
  const real = { key: WA_CERT_DETAILS.PUBLIC_KEY, serial: WA_CERT_DETAILS.SERIAL };
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(ca.public);
  WA_CERT_DETAILS.SERIAL = 0;
  return () => {
    WA_CERT_DETAILS.PUBLIC_KEY = real.key;
    WA_CERT_DETAILS.SERIAL = real.serial;
  };
}

export interface FakeWaServer {
  url: string;
  /** Binary nodes the clients sent after their handshake, in order. */
  received: BinaryNode[];
  /** Bytes of the first frame of each connection (the Noise intro header and client hello). */
  hellos: Buffer[];
  /** The `ref`s offered in pair-device; Baileys turns each into one QR code. */
  refs: string[];
  closeClients(): void;
  close(): Promise<void>;
}

export async function startFakeWaServer(opts: { refs?: string[] } = {}): Promise<FakeWaServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const received: BinaryNode[] = [];
  const hellos: Buffer[] = [];
  const refs = opts.refs ?? ['2@test-ref-1', '2@test-ref-2'];
  wss.on('connection', (ws) => serve(ws, { received, hellos, refs }));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/ws/chat`,
    received,
    hellos,
    refs,
    closeClients: () => {
      for (const c of wss.clients) c.close();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

/** The server half of Baileys' Noise handshake (the mirror of Utils/noise-handler.js). */
class ServerNoise {
  private hash: Buffer = Buffer.from(NOISE_MODE);
  private salt: Buffer = this.hash;
  private key: Buffer = this.hash;
  private counter = 0;
  transport: { enc: Buffer; dec: Buffer; encN: number; decN: number } | undefined;

  authenticate(data: Uint8Array): void {
    this.hash = sha256(Buffer.concat([this.hash, data]));
  }
  encrypt(pt: Uint8Array): Buffer {
    const out = aesEncryptGCM(pt, this.key, iv(this.counter++), this.hash);
    this.authenticate(out);
    return out;
  }
  decrypt(ct: Uint8Array): Buffer {
    const out = aesDecryptGCM(Buffer.from(ct), this.key, iv(this.counter++), this.hash);
    this.authenticate(ct);
    return out;
  }
  mix(data: Uint8Array): void {
    const k = Buffer.from(hkdf(Buffer.from(data), 64, { salt: this.salt, info: '' }));
    this.salt = k.subarray(0, 32);
    this.key = k.subarray(32);
    this.counter = 0;
  }
  finish(): void {
    const k = Buffer.from(hkdf(Buffer.alloc(0), 64, { salt: this.salt, info: '' }));
    // The client writes with the first half and reads with the second.
    this.transport = { dec: k.subarray(0, 32), enc: k.subarray(32), encN: 0, decN: 0 };
  }
}

function iv(counter: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(counter, 8);
  return b;
}

function frame(data: Uint8Array): Buffer {
  const head = Buffer.alloc(3);
  head.writeUIntBE(data.length, 0, 3);
  return Buffer.concat([head, data]);
}

function certChain(serverStatic: KeyPair): Uint8Array {
  const inter = Curve.generateKeyPair();
  const Details = proto.CertChain.NoiseCertificate.Details;
  const interDetails = Details.encode({ serial: 1, issuerSerial: 0, key: inter.public }).finish();
  const leafDetails = Details.encode({ serial: 2, issuerSerial: 1, key: serverStatic.public }).finish();
  return proto.CertChain.encode({
    intermediate: { details: interDetails, signature: Curve.sign(ca.private, interDetails) },
    leaf: { details: leafDetails, signature: Curve.sign(inter.private, leafDetails) },
  }).finish();
}

function serve(ws: WebSocket, sink: { received: BinaryNode[]; hellos: Buffer[]; refs: string[] }): void {
  const noise = new ServerNoise();
  const eph = Curve.generateKeyPair();
  const stat = Curve.generateKeyPair();
  let inBytes = Buffer.alloc(0);
  let stage: 'intro' | 'hello' | 'finish' | 'transport' = 'intro';

  const sendNode = (node: BinaryNode) => {
    const t = noise.transport!;
    ws.send(frame(aesEncryptGCM(encodeBinaryNode(node), t.enc, iv(t.encN++), Buffer.alloc(0))));
  };

  const onFrame = async (data: Buffer) => {
    if (stage === 'hello') {
      const { clientHello } = proto.HandshakeMessage.decode(data);
      const clientEph = clientHello!.ephemeral!;
      noise.authenticate(NOISE_WA_HEADER);
      noise.authenticate(clientEph);
      noise.authenticate(eph.public);
      noise.mix(Curve.sharedKey(eph.private, clientEph));
      const staticEnc = noise.encrypt(stat.public);
      noise.mix(Curve.sharedKey(stat.private, clientEph));
      const payloadEnc = noise.encrypt(certChain(stat));
      ws.send(frame(proto.HandshakeMessage.encode({ serverHello: { ephemeral: eph.public, static: staticEnc, payload: payloadEnc } }).finish()));
      stage = 'finish';
    } else if (stage === 'finish') {
      const { clientFinish } = proto.HandshakeMessage.decode(data);
      const clientStatic = noise.decrypt(clientFinish!.static!);
      noise.mix(Curve.sharedKey(eph.private, clientStatic));
      proto.ClientPayload.decode(noise.decrypt(clientFinish!.payload!));
      noise.finish();
      stage = 'transport';
      sendNode({
        tag: 'iq',
        attrs: { from: 's.whatsapp.net', type: 'set', id: 'pair-1', xmlns: 'md' },
        content: [{ tag: 'pair-device', attrs: {}, content: sink.refs.map((r) => ({ tag: 'ref', attrs: {}, content: Buffer.from(r) })) }],
      });
    } else {
      const t = noise.transport!;
      const plain = aesDecryptGCM(data, t.dec, iv(t.decN++), Buffer.alloc(0));
      sink.received.push(await decodeBinaryNode(plain));
    }
  };

  let chain = Promise.resolve();
  ws.on('message', (raw: Buffer) => {
    if (stage === 'intro') sink.hellos.push(Buffer.from(raw));
    inBytes = Buffer.concat([inBytes, raw]);
    if (stage === 'intro') {
      if (inBytes.length < NOISE_WA_HEADER.length) return;
      if (!inBytes.subarray(0, NOISE_WA_HEADER.length).equals(NOISE_WA_HEADER)) return void ws.close();
      inBytes = inBytes.subarray(NOISE_WA_HEADER.length);
      stage = 'hello';
    }
    while (inBytes.length >= 3) {
      const size = inBytes.readUIntBE(0, 3);
      if (inBytes.length < size + 3) break;
      const data = inBytes.subarray(3, size + 3);
      inBytes = inBytes.subarray(size + 3);
      chain = chain.then(() => onFrame(Buffer.from(data))).catch(() => ws.close());
    }
  });
}
