// agents/<agentId>/sessions/<sessionId>.jsonl: one JSON object per line, the first a versioned header.
// Append-only; entries of types this version does not know are returned as they are (consumers skip them),
// so a file written by a newer version loses nothing when an older one appends to it.
//
// Appends are not fsync'd: the inbound journal is the crash-safety record; a transcript line lost to a
// power cut costs context, not a message or a repeated side effect.
import { type FileHandle, mkdir, open, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TRANSCRIPT_VERSION, type TranscriptEntry, type TranscriptHeader, type TranscriptStore } from '../runtime/types/storage.js';
import { appendLinesNow, defaultLog, isErrno, isRecord, serialised, type Log } from './jsonl.js';
import { statePaths } from './paths.js';

/** Transcripts whose parsed entries are kept between reads, and the largest file kept (bounds on memory). */
const CACHED_TRANSCRIPTS = 32;
const MAX_CACHED_BYTES = 32 * 1024 * 1024;

interface Cached {
  ino: number;
  /** Bytes parsed: up to and including the last complete line. */
  size: number;
  lines: number;
  entries: TranscriptEntry[];
}

export function createTranscriptStore(home: string, log: Log = defaultLog): TranscriptStore {
  const paths = statePaths(home);
  // Every run reads its session's whole transcript; the file only grows, so after the first read only the lines
  // appended since are read and parsed (a file replaced or shortened by hand is read again in full).
  const cache = new Map<string, Cached>();

  function decode(file: string, text: string, firstLine: number, into: TranscriptEntry[], torn = false): number {
    const parts = text.split('\n');
    parts.forEach((raw, i) => {
      const line = firstLine + i;
      if (raw.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        const preview = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
        const what = torn ? 'a torn last line (interrupted write)' : 'a line that is not JSON';
        log(`storage: ${file}:${line} is ${what}; skipped it: ${preview}`);
        return;
      }
      if (line === 1 && isRecord(value) && value.type === 'header') {
        if (typeof value.version === 'number' && value.version > TRANSCRIPT_VERSION) {
          log(`storage: ${file} has transcript version ${value.version} (this build knows ${TRANSCRIPT_VERSION}); ` + `entries of unknown types are kept but skipped`);
        }
        return;
      }
      if (line === 1) log(`storage: ${file} does not start with a header line; reading its entries anyway`);
      if (isRecord(value) && typeof value.type === 'string') into.push(value as TranscriptEntry);
      else log(`storage: ${file}:${line} is JSON but not an entry (no "type"); skipped it`);
    });
    return parts.length - 1;
  }

  async function readCached(file: string): Promise<TranscriptEntry[]> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) {
        cache.delete(file);
        return [];
      }
      throw err;
    }
    try {
      const st = await fh.stat();
      let tail: TranscriptEntry[] = [];
      let c = cache.get(file);
      if (!c || c.ino !== st.ino || st.size < c.size) c = { ino: st.ino, size: 0, lines: 0, entries: [] };
      if (st.size > c.size) {
        const buf = Buffer.alloc(st.size - c.size);
        const { bytesRead } = await fh.read(buf, 0, buf.length, c.size);
        // Only complete lines are kept: a last line without its newline (a crash mid-append, an edit by hand) is
        // read again next time, after the next append has put a newline after it.
        const end = buf.lastIndexOf(0x0a, bytesRead - 1);
        if (end >= 0) {
          c.lines += decode(file, buf.subarray(0, end + 1).toString('utf8'), c.lines + 1, c.entries);
          c.size += end + 1;
        }
        if (end + 1 < bytesRead) decode(file, buf.subarray(end + 1, bytesRead).toString('utf8'), c.lines + 1, (tail = []), true);
      }
      cache.delete(file);
      if (st.size <= MAX_CACHED_BYTES) {
        cache.set(file, c);
        if (cache.size > CACHED_TRANSCRIPTS) cache.delete(cache.keys().next().value as string);
      }
      // A copy of the list (entries are shared and never changed by readers), so callers may not grow the cache.
      return tail.length > 0 ? c.entries.concat(tail) : c.entries.slice();
    } finally {
      await fh.close();
    }
  }

  return {
    create(h) {
      const file = paths.transcript(h.agentId, h.sessionId);
      const header: TranscriptHeader = { type: 'header', version: TRANSCRIPT_VERSION, ...h };
      return serialised(file, async () => {
        await mkdir(dirname(file), { recursive: true });
        try {
          // 'wx': never truncate an existing transcript, even if two runs race to create it.
          await writeFile(file, JSON.stringify(header) + '\n', { flag: 'wx', mode: 0o600 });
        } catch (err) {
          if (!isErrno(err, 'EEXIST')) throw err;
        }
      });
    },

    append(agentId, sessionId, entry) {
      const file = paths.transcript(agentId, sessionId);
      if (entry.type === 'header') {
        return Promise.reject(new Error(`transcript ${file}: 'header' is written by create(), not append()`));
      }
      const line = JSON.stringify(entry);
      return serialised(file, async () => {
        try {
          await appendLinesNow(file, [line], { create: false, sync: false, log });
        } catch (err) {
          if (isErrno(err, 'ENOENT')) {
            const hint = `call create() for session ${sessionId} before append()`;
            throw new Error(`transcript ${file} does not exist: ${hint}`, { cause: err });
          }
          throw err;
        }
      });
    },

    async read(agentId, sessionId) {
      const file = paths.transcript(agentId, sessionId);
      // Through the queue, so a read never sees a line that is half appended.
      return serialised(file, () => readCached(file));
    },

    async bytes(agentId, sessionId) {
      try {
        return (await stat(paths.transcript(agentId, sessionId))).size;
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return 0;
        throw err;
      }
    },
  };
}
