// `read` with bounded memory: the line window agrees with readline's view of lines (\n, \r\n, lone \r,
// multi-byte characters across chunk boundaries) for random files, offsets, limits and caps; and reading a
// huge one-line file in a child process raises its resident memory by a few MB at most, not by the line.
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLineWindow, type LineWindowRequest } from '../../runtime/tools/line-window.js';
import { headOf } from '../../runtime/text-cut.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sy-read-bounded-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What `read` returned before it was bounded: readline over the whole file (the reference, not the product). */
async function reference(file: string, req: LineWindowRequest): Promise<{ lines: string[]; note: string; lineNo: number }> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const lines: string[] = [];
  let chars = 0;
  let lineNo = 0;
  let note = '';
  try {
    for await (const line of rl) {
      lineNo++;
      if (lineNo < req.offset) continue;
      if (req.limit !== undefined && lines.length >= req.limit) {
        note = `[more lines follow; continue with offset=${lineNo}]`;
        break;
      }
      if (chars + line.length + 1 > req.cap) {
        if (lines.length === 0) {
          const shown = headOf(line, req.cap);
          lines.push(shown);
          note = `[output cut: line ${lineNo} is ${line.length} characters long, only the first ${shown.length} are shown; continue with offset=${lineNo + 1}]`;
        } else {
          note = `[output cut at ${req.cap} characters; continue with offset=${lineNo}]`;
        }
        break;
      }
      lines.push(line);
      chars += line.length + 1;
    }
  } finally {
    rl.close();
    stream.destroy();
  }
  return { lines, note, lineNo };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('line window', () => {
  it('agrees with readline for random files, offsets, limits and caps', async () => {
    const pieces = ['a', 'bc', ' ', 'é', '€', '😀', '\n', '\r\n', '\r', '\n\n', 'x'.repeat(70_000)];
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const parts: string[] = [];
      const n = Math.floor(r() * 400);
      for (let i = 0; i < n; i++) parts.push(pieces[Math.floor(r() * (r() < 0.02 ? pieces.length : pieces.length - 1))]!);
      // A 4-byte character right across the 64 KiB chunk boundary.
      if (seed % 5 === 0) parts.unshift('y'.repeat(65_535 - (seed % 3)) + '😀');
      const file = path.join(dir, `f${seed}.txt`);
      await writeFile(file, parts.join(''));
      const req: LineWindowRequest = {
        offset: 1 + Math.floor(r() * 5),
        limit: r() < 0.5 ? undefined : 1 + Math.floor(r() * 20),
        cap: [5, 40, 1000, 50_000][Math.floor(r() * 4)]!,
      };
      const fh = await open(file, 'r');
      try {
        expect(await readLineWindow(fh, req), `seed ${seed} ${JSON.stringify(req)}`).toEqual(await reference(file, req));
      } finally {
        await fh.close();
      }
    }
  });
});

// The child reads the file through the real read tool and samples its RSS while it does.
const CHILD = `
import { readTool } from ${JSON.stringify(path.join(ROOT, 'runtime', 'tools', 'read.ts'))};
const [dir] = process.argv.slice(1);
const ctx = { runId: 'r', sessionKey: 's', agentId: 'main', workspace: dir, isOwnerMain: false,
  origin: { channel: 'webchat', accountId: 'default', chat: { kind: 'direct', id: '1' }, senderId: '1' },
  signal: new AbortController().signal };
const tool = readTool();
await tool.run({ path: 'small.txt' }, ctx); // warm up: code compiled, buffers allocated
globalThis.gc();
const before = process.memoryUsage().rss;
let peak = before;
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 2);
const out = await tool.run({ path: 'huge.txt' }, ctx);
peak = Math.max(peak, process.memoryUsage().rss);
clearInterval(sampler);
console.log(JSON.stringify({ before, peak, chars: out.content.length, tail: out.content.slice(-160) }));
`;

function runChild(): Promise<{ before: number; peak: number; chars: number; tail: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', CHILD, dir],
      { cwd: ROOT, maxBuffer: 1 << 20, timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
      },
    );
  });
}

describe('read: memory', () => {
  it('a 128 MB one-line file raises the reading process RSS by a few MB at most', { timeout: 180_000 }, async () => {
    await writeFile(path.join(dir, 'small.txt'), 'hello\nworld\n');
    const fh = await open(path.join(dir, 'huge.txt'), 'w');
    const block = Buffer.alloc(1 << 20, 'abcdefgh');
    for (let i = 0; i < 128; i++) await fh.write(block);
    await fh.close();
    const r = await runChild();
    const growthMb = (r.peak - r.before) / 2 ** 20;
    expect(r.tail).toMatch(/line 1 is 134217728 characters long, only the first 50000 are shown; continue with offset=2\]$/);
    expect(growthMb).toBeLessThan(8);
  });
});
