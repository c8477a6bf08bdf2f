// One measurement of bench/whatsapp.ts in a fresh process (run compiled: node --expose-gc
// dist/bench/lib/whatsapp-child.js <mode> [args]), so each figure starts from the same empty heap:
//   bare      node alone
//   module    the WhatsApp registry entry imported and asked for channels with WhatsApp configured but not linked
//   baileys   import('@whiskeysockets/baileys') alone
//   socket    the adapter's real socket (Baileys + credentials folder) connected to a local WhatsApp Web handshake
//             (argv: ws URL, test CA public key hex, temp home), measured once Baileys offered its QR code
// Prints one JSON line: { mode, rss, heapUsed (bytes), ms, cpuMs, baileysLoaded, sharpLoaded }. cpuMs is the
// process's CPU time (user + system, all threads) when measured: on a busy machine it moves far less than ms.
import { createRequire } from 'node:module';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../runtime/types/channel.js';
import { getGc, settle } from './memory.js';

const require = createRequire(import.meta.url);
/** Baileys is ESM, but its protobuf and Signal libraries are CommonJS: they show in the require cache once it loads. */
const loaded = (re: RegExp) => Object.keys(require.cache).some((k) => re.test(k));
const quiet: Logger = { info() {}, warn() {}, error() {} };

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  const gc = getGc();
  let ms = 0;
  const t0 = performance.now();
  if (mode === 'module') {
    const { whatsappModule } = await import('../../bots/whatsapp/module.js');
    const home = await mkdtemp(join(tmpdir(), 'sy-bench-wa-'));
    const clock = { now: Date.now, setTimeout, clearTimeout } as never;
    const cfg = whatsappModule.configSchema.safeParse({});
    if (!cfg.success) throw new Error('bench: the empty WhatsApp config did not parse');
    const channels = await whatsappModule.create(cfg.data, { log: quiet, env: {}, home, clock, offsets: { get: () => undefined, set: () => {} } });
    if (channels.length !== 0) throw new Error('bench: an unlinked account produced a channel');
    ms = performance.now() - t0;
  } else if (mode === 'baileys') {
    await import('@whiskeysockets/baileys');
    ms = performance.now() - t0;
  } else if (mode === 'socket') {
    const [url, caHex, home] = args;
    const baileys = await import('@whiskeysockets/baileys');
    baileys.WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(caHex, 'hex');
    const { openMultiFileAuth, makeBaileysSocket } = await import('../../bots/whatsapp/real-socket.js');
    const auth = await openMultiFileAuth(join(home, 'credentials', 'whatsapp', 'default'), quiet);
    const sock = makeBaileysSocket({ accountId: 'default', auth: auth.state, log: quiet }, { waWebSocketUrl: url });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('bench: no QR within 20 s')), 20_000);
      sock.ev.on('connection.update', (u) => {
        if (u.qr) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    ms = performance.now() - t0;
    await settle(gc);
    report(mode, ms);
    await sock.end(undefined);
    return;
  } else if (mode !== 'bare') {
    throw new Error(`whatsapp-child: unknown mode ${String(mode)} (bare | module | baileys | socket)`);
  }
  await settle(gc);
  report(mode, ms);
}

function report(mode: string, ms: number): void {
  const m = process.memoryUsage();
  const line = {
    mode,
    rss: m.rss,
    heapUsed: m.heapUsed,
    ms,
    cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    baileysLoaded: loaded(/[\\/]node_modules[\\/](protobufjs|libsignal)[\\/]/),
    sharpLoaded: loaded(/[\\/]node_modules[\\/](sharp|@img)[\\/]/),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`whatsapp-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
