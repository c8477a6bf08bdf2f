// A consistent copy of a state directory that a running gateway keeps writing, for `switchyard backup`.
// The gateway writes JSON documents atomically (temp file + rename) and appends JSONL lines, so each file read
// through one open descriptor is whole — except a JSONL file caught in the middle of an append, which is cut back
// to its last complete line (that line had not been written yet, as far as the snapshot is concerned). Files are
// copied in the order that keeps references valid: state.json first (a Telegram update offset is saved only
// after the journal holds the update, so the journal copied after it holds every update the offset confirms),
// then sessions.json (before the transcripts it names), then the journal, then everything else.
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, truncate } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

export interface SnapshotResult {
  /** Relative paths copied, in copy order. */
  files: string[];
  /** Bytes copied. */
  bytes: number;
  /** Skipped entries (symlinks, sockets, temp files), relative paths. */
  skipped: string[];
}

/** Files left behind by atomic writes in progress or by a crash; never part of a backup. */
const TEMP = /(^|\/)\.[^/]*\.tmp$|\.tmp-[^/]*$|\.tmp$/;

function rank(rel: string): number {
  if (rel === 'state.json') return 0;
  if (/^agents\/[^/]+\/sessions\/sessions\.json$/.test(rel)) return 1;
  if (rel.startsWith('journal/')) return 2;
  return 3;
}

async function walk(root: string, dir: string, files: string[], skipped: string[], exclude: Set<string>): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const abs = join(dir, e.name);
    const rel = relative(root, abs).split(sep).join('/');
    if (exclude.has(abs)) continue;
    if (e.isDirectory()) await walk(root, abs, files, skipped, exclude);
    else if (e.isFile() && !TEMP.test(rel)) files.push(rel);
    else skipped.push(rel);
  }
}

/** Copies one file through a single descriptor; a .jsonl copy ends at its last newline. */
async function copyOne(src: string, dst: string): Promise<number> {
  await mkdir(dirname(dst), { recursive: true, mode: 0o700 });
  const from = await open(src, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await from.stat();
    const to = await open(dst, 'wx', st.mode & 0o777);
    let copied = 0;
    let lastNewline = -1;
    try {
      const buf = Buffer.allocUnsafe(64 * 1024);
      // Up to the size seen at open: an append racing the copy belongs to after the snapshot.
      while (copied < st.size) {
        const { bytesRead } = await from.read(buf, 0, Math.min(buf.length, st.size - copied), copied);
        if (bytesRead === 0) break;
        const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
        if (nl >= 0) lastNewline = copied + nl;
        await to.write(buf, 0, bytesRead);
        copied += bytesRead;
      }
    } finally {
      await to.close();
    }
    if (src.endsWith('.jsonl') && lastNewline + 1 < copied) {
      await truncate(dst, lastNewline + 1);
      copied = lastNewline + 1;
    }
    return copied;
  } finally {
    await from.close();
  }
}

/** Copies home into dest (which must not exist), leaving out `exclude` (absolute paths, e.g. the backup file). */
export async function snapshotHome(home: string, dest: string, exclude: string[] = []): Promise<SnapshotResult> {
  const files: string[] = [];
  const skipped: string[] = [];
  await walk(home, home, files, skipped, new Set(exclude));
  files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  await mkdir(dest, { mode: 0o700 });
  let bytes = 0;
  const copied: string[] = [];
  for (const rel of files) {
    try {
      bytes += await copyOne(join(home, rel), join(dest, rel));
      copied.push(rel);
    } catch (err) {
      // Gone between listing and copying (a journal compaction's temp file, an archived transcript): skip it.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
  }
  // Directory modes as in the home (credentials/ is 0700, for instance).
  for (const rel of new Set(copied.map((f) => dirname(f)).filter((d) => d !== '.'))) {
    const st = await lstat(join(home, rel)).catch(() => undefined);
    if (st?.isDirectory()) await chmod(join(dest, rel), st.mode & 0o777);
  }
  return { files: copied, bytes, skipped };
}
