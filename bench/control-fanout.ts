// Control-plane fan-out: 200 operator clients connected to a gateway (in its own process) watch the events of
// runs (lifecycle, a tool call, streamed text) that a web chat user triggers. Prints, per event, the latency from
// the moment the gateway starts sending it (after it is on disk) to its arrival at each client (p50/p99 over all
// client × event pairs), the end-to-end latency of agent events from the runtime emitting them, and the gateway's
// RSS idle, with the clients connected and after the runs.
//
//   npx tsx bench/control-fanout.ts [--clients 200] [--runs 20]
//
// Traffic goes only to 127.0.0.1. Every loop is bounded; the script exits by itself.
import { execFileSync, fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { Child } from './lib/child-load.js';
import { childEnv } from './lib/cold-start.js';
import { benchConfig } from './lib/in-process.js';
import { markdownTable, mib, ms, summarize } from './lib/stats.js';
import { WebUser } from './lib/web-users.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { clients: { type: 'string', default: '200' }, runs: { type: 'string', default: '20' } } });
const CLIENTS = Math.min(1000, Math.max(1, Number(values.clients)));
const RUNS = Math.min(200, Math.max(1, Number(values.runs)));
const say = (s: string) => process.stderr.write(`${s}\n`);
const now = () => performance.timeOrigin + performance.now();

interface Received {
  seq: number;
  at: number;
  event: string;
  emittedAt?: number;
}

async function operator(url: string, token: string, sink: Received[]): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data) => {
      const at = now();
      const f = JSON.parse(data.toString()) as { type: string; id?: string; ok?: boolean; event?: string; seq?: number; payload?: { ts?: number; stream?: string } };
      if (f.type === 'event' && f.seq !== undefined) {
        sink.push({ seq: f.seq, at, event: f.event!, emittedAt: f.event === 'agent' && f.payload?.stream !== 'assistant' ? f.payload?.ts : undefined });
      } else if (f.type === 'res' && f.id === 'connect') {
        if (f.ok) resolve();
        else reject(new Error('operator connect refused'));
      }
    });
    ws.once('open', () =>
      ws.send(
        JSON.stringify({
          type: 'req',
          id: 'connect',
          method: 'connect',
          params: { minProtocol: 1, maxProtocol: 1, client: { id: 'bench-fanout', version: '1' }, role: 'operator', auth: { token } },
        }),
      ),
    );
  });
  return ws;
}

async function main(): Promise<void> {
  say('building dist/ (tsc)…');
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  const home = await mkdtemp(join(tmpdir(), 'sy-fanout-'));
  await writeFile(join(home, 'switchyard.json'), JSON.stringify(benchConfig('followup', undefined, { gateway: { port: 0 } })));
  const proc = fork(join(ROOT, 'dist/bench/lib/gateway-child.js'), ['stream'], {
    cwd: ROOT,
    env: childEnv(home),
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const child = new Child(proc);
  const sockets: WebSocket[] = [];
  try {
    const ready = await child.next('ready');
    const base = `http://127.0.0.1:${ready.port}`;
    const idle = await child.ask({ type: 'mem', gc: true }, 'mem');
    say(`connecting ${CLIENTS} operator clients…`);
    const sinks: Received[][] = [];
    for (let i = 0; i < CLIENTS; i += 50) {
      const batch = Array.from({ length: Math.min(50, CLIENTS - i) }, () => {
        const sink: Received[] = [];
        sinks.push(sink);
        return operator(`${base.replace('http', 'ws')}/ws`, ready.token, sink);
      });
      sockets.push(...(await Promise.all(batch)));
    }
    const connected = await child.ask({ type: 'mem', gc: true }, 'mem');
    const [token] = (await child.ask({ type: 'invite', ids: ['fan'] }, 'invited')).tokens;
    let replies = 0;
    const user = await WebUser.connect(base, token, 'fan', () => replies++);
    for (const s of sinks) s.length = 0;
    say(`${RUNS} runs (a tool call, then 40 text deltas 5 ms apart), watched by ${CLIENTS} clients…`);
    const started = performance.now();
    for (let r = 0; r < RUNS; r++) {
      const want = r + 1;
      user.send(`run ${r}`);
      const deadline = Date.now() + 30_000;
      while (replies < want) {
        if (Date.now() > deadline) throw new Error(`bench: run ${r} not answered in 30 s`);
        await new Promise((res) => setTimeout(res, 5));
      }
    }
    // Let the last events reach every client.
    await new Promise((res) => setTimeout(res, 500));
    const elapsed = performance.now() - started;
    const after = await child.ask({ type: 'mem', gc: false }, 'mem');
    const afterGc = await child.ask({ type: 'mem', gc: true }, 'mem');
    const times = new Map((await child.ask({ type: 'seqTimes' }, 'seqTimes')).times);
    const fan: number[] = [];
    const e2e: number[] = [];
    let missing = 0;
    const seqs = new Set<number>();
    for (const sink of sinks) {
      for (const r of sink) {
        seqs.add(r.seq);
        const t = times.get(r.seq);
        if (t === undefined) missing++;
        else fan.push(r.at - t);
        if (r.emittedAt !== undefined) e2e.push(r.at - r.emittedAt);
      }
    }
    const complete = sinks.filter((s) => s.length === seqs.size).length;
    const f = summarize(fan);
    const e = summarize(e2e);
    const rows = [
      ['events per client', String(seqs.size), ''],
      ['clients that got every event', `${complete} / ${CLIENTS}`, ''],
      ['fan-out: sending starts → client has it (p50 / p99 / max)', `${ms(f.p50)} / ${ms(f.p99)} / ${ms(f.max)}`, `n = ${f.n}`],
      ['agent events: runtime emits → client has it (p50 / p99 / max)', `${ms(e.p50)} / ${ms(e.p99)} / ${ms(e.max)}`, `n = ${e.n}, ms-resolution origin`],
      ['runs', `${RUNS} in ${(elapsed / 1000).toFixed(1)} s`, ''],
      ['gateway RSS idle (after GC)', mib(idle.rss), `heap ${mib(idle.heapUsed)}`],
      [`gateway RSS with ${CLIENTS} clients (after GC)`, mib(connected.rss), `heap ${mib(connected.heapUsed)}`],
      ['gateway RSS after the runs (before / after GC)', `${mib(after.rss)} / ${mib(afterGc.rss)}`, `heap ${mib(afterGc.heapUsed)}`],
    ];
    if (missing) rows.push(['received seqs with no send time', String(missing), '']);
    const when = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · nproc ${cpus().length} · node ${process.version} · load ${loadavg()[0].toFixed(2)}`;
    process.stdout.write(`\n### Control-plane fan-out — ${when}\n\n${markdownTable(['what', 'figure', 'note'], rows)}\n`);
    user.close();
  } finally {
    for (const s of sockets) s.close();
    await child.ask({ type: 'stop' }, 'idle').catch(() => undefined);
    proc.kill();
    await rm(home, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
