// In-process gateway scenario for per-message overhead: the whole gateway (startGateway, the composition root) on
// a temp home and port 0, driven by a real web chat WebSocket client in the same process, so the edges of a
// message (client send, model request, model reply, reply frame) are timed on one clock. The model is either a
// zero-latency in-process ModelCaller or the real Anthropic SDK against the fake Anthropic server on 127.0.0.1
// answering instantly.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type RunningGateway } from '../../runtime/main.js';
import { createLogger } from '../../runtime/log.js';
import type { QueueMode } from '../../runtime/config/schema.js';
import { startFakeAnthropic, type FakeModelServer } from '../../test/fakes/fake-anthropic.js';
import { zeroLatencyCaller } from './zero-latency-caller.js';
import { connectUsers, type ReplyFrame, type WebUser } from './web-users.js';

export type ModelVariant = 'zero' | 'sdk';

export const BENCH_KEY = 'bench-key';
export const BENCH_MODEL = 'anthropic/claude-bench';

/** The config every scenario runs with (in process and in the gateway child). */
export function benchConfig(mode: QueueMode, fakeUrl?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...(fakeUrl ? { models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: fakeUrl } } } } : {}),
    agents: { defaults: { model: { primary: BENCH_MODEL }, maxConcurrent: 4 } },
    messages: { queue: { mode } },
    ...extra,
  };
}

/** Edge timestamps (performance.now()) the model side reports: request arrived, reply handed back. */
export interface ModelEdges {
  onRequest(at: number): void;
  onReply(at: number): void;
}

export interface InProcessGateway {
  gw: RunningGateway;
  /** Model calls answered so far. */
  calls(): number;
  stop(): Promise<void>;
}

/**
 * Starts a gateway in this process. The logger is the product's pino logger writing to /dev/null, so logging
 * costs what it costs in production without flooding the terminal.
 */
export async function startInProcess(variant: ModelVariant, mode: QueueMode, edges?: Partial<ModelEdges>): Promise<InProcessGateway> {
  const home = await mkdtemp(join(tmpdir(), 'sy-bench-'));
  const sink = createWriteStream('/dev/null');
  const log = createLogger({ level: 'info', destination: sink });
  let fake: FakeModelServer | undefined;
  let calls = 0;
  let modelCaller: ReturnType<typeof zeroLatencyCaller> | undefined;
  if (variant === 'zero') {
    modelCaller = zeroLatencyCaller({ onRequest: (_r, at) => edges?.onRequest?.(at), onReply: (_r, at) => edges?.onReply?.(at) });
  } else {
    fake = await startFakeAnthropic({ record: false });
    fake.setDefault(() => {
      // A zero-latency model: the reply starts the moment the request is in, so both edges are this instant.
      const at = performance.now();
      calls++;
      edges?.onRequest?.(at);
      edges?.onReply?.(at);
      return { text: 'ok' };
    });
  }
  await writeFile(join(home, 'switchyard.json'), JSON.stringify(benchConfig(mode, fake?.url)));
  const gw = await startGateway({ home, env: { ANTHROPIC_API_KEY: BENCH_KEY }, port: 0, log, modelCaller });
  return {
    gw,
    calls: () => (modelCaller ? modelCaller.calls : calls),
    async stop() {
      await gw.stop();
      await fake?.close();
      sink.end();
      await rm(home, { recursive: true, force: true });
    },
  };
}

export interface OverheadSamples {
  /** Client send → model request arrives. */
  inToRequest: number[];
  /** Model reply handed back → reply frame at the client. */
  replyToOut: number[];
  /** Client send → reply frame at the client. */
  total: number[];
}

/**
 * Sequential messages (one in flight, so no queueing): `warmup` unmeasured, then `count` measured, spread
 * round-robin over `users` web chat sessions so transcripts grow as in real use.
 */
export async function measureOverhead(variant: ModelVariant, opts: { users: number; warmup: number; count: number }): Promise<OverheadSamples> {
  let tReq = NaN;
  let tRep = NaN;
  let onFrame: ((f: ReplyFrame) => void) | null = null;
  const g = await startInProcess(variant, 'followup', { onRequest: (at) => (tReq = at), onReply: (at) => (tRep = at) });
  const out: OverheadSamples = { inToRequest: [], replyToOut: [], total: [] };
  let users: WebUser[] = [];
  try {
    users = await connectUsers(
      g.gw.http.url,
      (ids) => Promise.all(ids.map(async (id) => (await g.gw.webchatUsers.invite(id, 'bench')).token)),
      opts.users,
      (f) => onFrame?.(f),
      'ov',
    );
    for (let i = 0; i < opts.warmup + opts.count; i++) {
      tReq = tRep = NaN;
      const frame = new Promise<ReplyFrame>((resolve) => (onFrame = resolve));
      const t0 = users[i % users.length].send(`message ${i}`);
      const f = await frame;
      if (i < opts.warmup) continue;
      if (!Number.isFinite(tReq) || !Number.isFinite(tRep)) throw new Error(`bench: message ${i} got a reply without a model call: ${f.text}`);
      out.inToRequest.push(tReq - t0);
      out.replyToOut.push(f.at - tRep);
      out.total.push(f.at - t0);
    }
  } finally {
    for (const u of users) u.close();
    await g.stop();
  }
  return out;
}
