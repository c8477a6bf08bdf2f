// `read` on a huge one-line file: how much the reading process's RSS grows while the tool runs, and how long it
// takes. `npx tsx bench/tools-read.ts [--mb 300]`. Prints figures; writes the file to a temp dir and removes it.
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readTool } from '../runtime/tools/read.js';
import type { ToolContext } from '../runtime/tools/types.js';
import { getGc, settle } from './lib/memory.js';

const mbArg = process.argv.indexOf('--mb');
const MB = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 300;

const dir = await mkdtemp(path.join(tmpdir(), 'sy-bench-read-'));
try {
  await writeFile(path.join(dir, 'small.txt'), 'warm\nup\n');
  const fh = await open(path.join(dir, 'huge.txt'), 'w');
  const block = Buffer.alloc(1 << 20, 'abcdefgh');
  for (let i = 0; i < MB; i++) await fh.write(block);
  await fh.close();

  const ctx: ToolContext = {
    runId: 'bench',
    sessionKey: 'bench',
    agentId: 'main',
    workspace: dir,
    origin: { channel: 'webchat', accountId: 'default', chat: { kind: 'direct', id: '1' }, senderId: '1' },
    isOwnerMain: false,
    signal: new AbortController().signal,
  };
  const tool = readTool();
  await tool.run({ path: 'small.txt' }, ctx);
  await settle(getGc());
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  const t0 = performance.now();
  const out = await tool.run({ path: 'huge.txt' }, ctx);
  const ms = performance.now() - t0;
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(sampler);
  const mib = (n: number) => (n / 2 ** 20).toFixed(1);
  console.log(`read of a ${MB} MiB one-line file: ${out.content.length} characters returned in ${ms.toFixed(0)} ms`);
  console.log(`RSS before ${mib(before)} MiB, peak ${mib(peak)} MiB, growth ${mib(peak - before)} MiB`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
