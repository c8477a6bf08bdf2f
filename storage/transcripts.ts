// agents/<agentId>/sessions/<sessionId>.jsonl: one JSON object per line, the first a versioned header.
// Append-only; entries of types this version does not know are returned as they are (consumers skip them),
// so a file written by a newer version loses nothing when an older one appends to it.
//
// Appends are not fsync'd: the inbound journal is the crash-safety record; a transcript line lost to a
// power cut costs context, not a message or a repeated side effect.
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  TRANSCRIPT_VERSION,
  type TranscriptEntry,
  type TranscriptHeader,
  type TranscriptStore,
} from '../runtime/types/storage.js';
import { appendLinesNow, defaultLog, isErrno, isRecord, readJsonl, serialised, type Log } from './jsonl.js';
import { statePaths } from './paths.js';

export function createTranscriptStore(home: string, log: Log = defaultLog): TranscriptStore {
  const paths = statePaths(home);

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
      const lines = await serialised(file, () => readJsonl(file, log));
      if (!lines) return [];
      const out: TranscriptEntry[] = [];
      lines.forEach(({ line, value }, i) => {
        if (i === 0 && isRecord(value) && value.type === 'header') {
          if (typeof value.version === 'number' && value.version > TRANSCRIPT_VERSION) {
            log(
              `storage: ${file} has transcript version ${value.version} (this build knows ${TRANSCRIPT_VERSION}); ` +
                `entries of unknown types are kept but skipped`,
            );
          }
          return;
        }
        if (i === 0) log(`storage: ${file} does not start with a header line; reading its entries anyway`);
        if (isRecord(value) && typeof value.type === 'string') {
          out.push(value as TranscriptEntry);
        } else {
          log(`storage: ${file}:${line} is JSON but not an entry (no "type"); skipped it`);
        }
      });
      return out;
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
