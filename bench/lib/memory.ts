// Memory readings for benchmarks: a forced GC when the runtime allows it, and the RSS of this or another process.
import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFn = () => void;

/**
 * The GC function: global gc under --expose-gc, else one obtained by turning the flag on at runtime (V8 allows it
 * for new contexts). Undefined when neither works; readings are then labelled "no GC".
 */
export function getGc(): GcFn | undefined {
  const g = (globalThis as { gc?: GcFn }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as GcFn) : undefined;
  } catch (err) {
    console.warn(`bench: cannot force GC (${String(err)}); RSS readings include garbage`);
    return undefined;
  }
}

/** Full GC a few times with turns of the event loop between, so finalisers and freed pages settle. */
export async function settle(gc: GcFn | undefined, rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface MemReading {
  rss: number;
  heapUsed: number;
}

export function readSelf(): MemReading {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

/** Resident set size of another process in bytes (Linux /proc), or NaN where /proc is not available. */
export async function rssOfPid(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  } catch (err) {
    console.warn(`bench: cannot read RSS of pid ${pid}: ${String(err)}`);
    return NaN;
  }
}
