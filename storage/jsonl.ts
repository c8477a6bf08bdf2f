// Shared mechanics of the append-only JSONL files (transcripts, audit, journal): one writer at a time per
// file, appends that never glue a new line onto a torn one, tolerant reads, and atomic rewrites.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Where storage reports what it repaired or could not do; a failure comes with its error (stack and cause). */
export type Log = (msg: string, data?: { err: unknown }) => void;

export const defaultLog: Log = (msg, data) => (data ? console.warn(msg, data.err) : console.warn(msg));

// Keyed by path for the whole process, not per store, so two stores opened on the same home (tests, tools)
// still never interleave writes to one file. An entry lives only while work on that file is queued.
const queues = new Map<string, Promise<void>>();

/** Runs fn after every earlier job on the same file has settled (whatever their outcome). */
export function serialised<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(file) ?? Promise.resolve();
  const run = prev.then(fn);
  const tail = run.then(
    () => undefined,
    () => undefined, // the caller of `run` receives the error; the queue only needs to know it settled
  );
  queues.set(file, tail);
  void tail.then(() => {
    if (queues.get(file) === tail) queues.delete(file);
  });
  return run;
}

/** True when err is a Node system error with this code (ENOENT, EEXIST, …). */
export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

export interface AppendOptions {
  /** Create the file (and its directory) when missing; otherwise a missing file is an error. */
  create: boolean;
  /** fdatasync before resolving: the line is on disk, not just in the page cache. */
  sync: boolean;
  log: Log;
}

/**
 * Appends already-serialised lines (each without '\n'). Not serialised by itself: call inside serialised().
 * If the file ends in a partial line (a crash mid-write), a '\n' is written first so the new line stands
 * on its own and the torn fragment stays one unparseable line that readers skip.
 */
export async function appendLinesNow(file: string, lines: string[], opts: AppendOptions): Promise<void> {
  const flags = constants.O_RDWR | constants.O_APPEND | (opts.create ? constants.O_CREAT : 0);
  let fh: FileHandle;
  try {
    fh = await open(file, flags, 0o600);
  } catch (err) {
    if (!opts.create || !isErrno(err, 'ENOENT')) throw err;
    await mkdir(dirname(file), { recursive: true });
    fh = await open(file, flags, 0o600);
  }
  try {
    const { size } = await fh.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) {
        prefix = '\n';
        opts.log(`storage: ${file} ended in a partial line (interrupted write?); starting a new line after it`);
      }
    }
    await fh.appendFile(prefix + lines.map((l) => l + '\n').join(''), 'utf8');
    if (opts.sync) await fh.datasync();
  } finally {
    await fh.close();
  }
}

export interface JsonlLine {
  /** 1-based line number in the file. */
  line: number;
  value: unknown;
}

/**
 * Parses a JSONL file; null when it does not exist. Lines that are not JSON are skipped with a log line
 * naming the file and line: at the end that is a torn write, elsewhere damage worth a look.
 */
export async function readJsonl(file: string, log: Log): Promise<JsonlLine[] | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
  const parts = text.split('\n');
  const out: JsonlLine[] = [];
  parts.forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      out.push({ line: i + 1, value: JSON.parse(raw) });
    } catch {
      const where = i === parts.length - 1 ? 'a torn last line (interrupted write)' : 'a line that is not JSON';
      const preview = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
      log(`storage: ${file}:${i + 1} is ${where}; skipped it: ${preview}`);
    }
  });
  return out;
}

/**
 * Removes temp files writeFileAtomicNow left next to `file` when the process was killed between writing and
 * renaming them. Call it where no write of `file` of this process can be in flight (serialised on the file).
 */
export async function removeStaleTemps(file: string, log: Log): Promise<void> {
  const prefix = `${basename(file)}.tmp-`;
  let names: string[];
  try {
    names = await readdir(dirname(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // no directory, no leftovers
    throw err;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    await rm(join(dirname(file), name), { force: true });
    log(`storage: removed ${join(dirname(file), name)}, left by a write that was interrupted (the file it was for is intact)`);
  }
}

/** Writes a whole file atomically (temp file + fsync + rename). Not serialised by itself. */
export async function writeFileAtomicNow(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    // Leave no half-written temp file behind; the original file is untouched.
    await rm(tmp, { force: true });
    throw err;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
