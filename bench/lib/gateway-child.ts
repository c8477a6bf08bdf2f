// Entry of a gateway child process for the benchmark (run as `node dist/bench/lib/gateway-child.js zero|sdk`
// through child_process.fork): the whole gateway (startGateway, as runtime/main.ts's cli starts it) on
// $SWITCHYARD_HOME, in a process of its own so its memory and CPU are its own. `zero` replaces the model with an
// in-process zero-latency caller; `sdk` keeps the real providers (configure a fake server's baseUrl).
// Controlled over the IPC channel: `mem` (optionally after GC), `idle`, `invite` (personal web chat tokens), `stop`.
import { createWriteStream } from 'node:fs';
import { startGateway } from '../../runtime/main.js';
import { createLogger } from '../../runtime/log.js';
import { zeroLatencyCaller } from './zero-latency-caller.js';
import { streamingCaller } from './streaming-caller.js';
import { getGc, settle } from './memory.js';

export type ChildRequest = { type: 'mem'; gc: boolean } | { type: 'idle' } | { type: 'stop' } | { type: 'invite'; ids: string[] } | { type: 'seqTimes' };
export type ChildReply =
  | { type: 'ready'; port: number; token: string }
  | { type: 'mem'; rss: number; heapUsed: number; gc: boolean; cpuMs: number }
  | { type: 'idle'; calls: number }
  | { type: 'invited'; tokens: string[] }
  | { type: 'seqTimes'; times: [number, number][] }
  | { type: 'error'; message: string };

function send(m: ChildReply): void {
  process.send?.(m);
}

async function main(): Promise<void> {
  const model = process.argv[2];
  if (model !== 'zero' && model !== 'sdk' && model !== 'stream') throw new Error(`gateway-child: expected "zero", "sdk" or "stream", got ${String(model)}`);
  if (!process.send) throw new Error('gateway-child: start it with child_process.fork (it needs the IPC channel)');
  const gc = getGc();
  // Same logger and level as production (info), written to /dev/null instead of a terminal.
  const log = createLogger({ destination: createWriteStream('/dev/null') });
  const caller = model === 'zero' ? zeroLatencyCaller() : model === 'stream' ? streamingCaller() : undefined;
  const gw = await startGateway({ log, modelCaller: caller });
  // When each replayable event started going out to the clients (epoch ms, sub-ms precision): fan-out latency.
  const seqTimes = new Map<number, number>();
  if (model === 'stream') gw.plane.onEvent((e) => e.seq !== undefined && seqTimes.size < 1_000_000 && seqTimes.set(e.seq, performance.timeOrigin + performance.now()));
  process.on('message', (raw: ChildRequest) => {
    const handle = async () => {
      if (raw.type === 'mem') {
        if (raw.gc) await settle(gc);
        const m = process.memoryUsage();
        const cpu = process.cpuUsage();
        send({ type: 'mem', rss: m.rss, heapUsed: m.heapUsed, gc: raw.gc && gc !== undefined, cpuMs: (cpu.user + cpu.system) / 1000 });
      } else if (raw.type === 'idle') {
        await gw.gateway.lanes.idle();
        send({ type: 'idle', calls: caller?.calls ?? -1 });
      } else if (raw.type === 'invite') {
        // Personal web chat tokens (what /webchat invite makes), so each bench user is its own web chat identity.
        const tokens: string[] = [];
        for (const id of raw.ids) tokens.push((await gw.webchatUsers.invite(id, 'bench')).token);
        send({ type: 'invited', tokens });
      } else if (raw.type === 'seqTimes') {
        send({ type: 'seqTimes', times: [...seqTimes] });
      } else if (raw.type === 'stop') {
        await gw.stop();
        process.exit(0);
      }
    };
    handle().catch((err: unknown) => send({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
  });
  send({ type: 'ready', port: gw.http.port, token: gw.token });
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway-child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
