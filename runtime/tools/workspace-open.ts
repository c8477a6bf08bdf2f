// Opening workspace files so that what is opened is what was checked. The agent's own exec can change the
// workspace at any moment (swap a directory for a symbolic link to the state directory, say), so a path that
// was checked and then opened again by name may lead somewhere else by the time it is opened. Here the path is
// resolved once (resolveInWorkspace: symbolic links that stay inside are allowed and resolved), and then opened
// one component at a time from the workspace root, each relative to the directory opened before it (through
// /proc/self/fd/N/<name>, Linux's openat) and with O_NOFOLLOW: no symbolic link is followed on the way, so a
// swap can only make the open fail. The real path of the opened descriptor is checked once more at the end.
import { constants, type Stats } from 'node:fs';
import { mkdir, open, readlink, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isInside, resolveInWorkspace, workspaceRoot, WorkspacePathError } from './workspace-path.js';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;
const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
/** O_NONBLOCK: a FIFO planted in the workspace fails or opens at once instead of blocking a libuv thread. */
const FILE_FLAGS = { read: O_RDONLY, write: O_WRONLY | O_CREAT, update: O_RDWR } as const;

export type FileMode = keyof typeof FILE_FLAGS;

export interface OpenedFile {
  fh: FileHandle;
  stat: Stats;
  /** Path relative to the workspace, for messages. */
  display: string;
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** The path that names `name` inside the already opened directory `dir` (or `dir` itself). */
export function inDir(dir: FileHandle, name?: string): string {
  return name === undefined ? `/proc/self/fd/${dir.fd}` : `/proc/self/fd/${dir.fd}/${name}`;
}

let procProblem: Promise<string | null> | undefined;
/** The descriptor-relative opens need Linux's /proc; without it the file tools refuse rather than race. */
async function requireProc(): Promise<void> {
  procProblem ??= stat('/proc/self/fd').then(
    (st) => (st.isDirectory() ? null : 'not a directory'),
    (err: unknown) => errCode(err) ?? String(err),
  );
  const problem = await procProblem;
  if (problem !== null) {
    throw new WorkspacePathError(`the file tools need Linux's /proc/self/fd to open workspace files safely (${problem}); run the gateway on Linux`);
  }
}

function changedUnderfoot(p: string, at: string, err: unknown): WorkspacePathError {
  const code = errCode(err);
  if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'EMLINK') {
    return new WorkspacePathError(`path "${p}": "${at}" is a symbolic link or not a directory (it changed while being opened); refused`, true);
  }
  if (code === 'ENOENT') return new WorkspacePathError(`no such file or directory: "${p}" (missing: "${at}")`, false, code);
  return new WorkspacePathError(`path "${p}": cannot open "${at}" (${code ?? String(err)})`, false, code);
}

async function closeQuietly(fh: FileHandle): Promise<void> {
  await fh.close().catch(() => undefined); // closing a descriptor we are abandoning; nothing to recover
}

/** Opens a subdirectory of an opened directory without following a symbolic link; creates it when asked. */
export async function openChildDir(dir: FileHandle, name: string, create = false): Promise<FileHandle> {
  try {
    return await open(inDir(dir, name), DIR_FLAGS);
  } catch (err) {
    if (!create || errCode(err) !== 'ENOENT') throw err;
  }
  // mkdir never follows a symbolic link in its last component: one planted meanwhile makes it fail (EEXIST),
  // and the open after it refuses the link.
  await mkdir(inDir(dir, name)).catch((err: unknown) => {
    if (errCode(err) !== 'EEXIST') throw err;
  });
  return open(inDir(dir, name), DIR_FLAGS);
}

/** Checks the real path of an opened descriptor: it must lie in the workspace (defence in depth). */
async function verifyInside(fh: FileHandle, root: string, p: string): Promise<string> {
  const real = await readlink(inDir(fh));
  if (!isInside(root, real)) {
    throw new WorkspacePathError(`path "${p}" was opened at ${real}, which is outside the workspace; refused`, true);
  }
  return real;
}

/** Opens the directories from the workspace root down `parts`, one at a time; the caller closes the result. */
async function walk(root: string, parts: string[], p: string, create: boolean): Promise<FileHandle> {
  let cur: FileHandle;
  try {
    cur = await open(root, DIR_FLAGS);
  } catch (err) {
    throw changedUnderfoot(p, '.', err);
  }
  for (const [i, part] of parts.entries()) {
    let next: FileHandle;
    try {
      next = await openChildDir(cur, part, create);
    } catch (err) {
      await closeQuietly(cur);
      throw changedUnderfoot(p, parts.slice(0, i + 1).join('/'), err);
    }
    await closeQuietly(cur);
    cur = next;
  }
  return cur;
}

function relativeParts(root: string, real: string): string[] {
  const rel = path.relative(root, real);
  return rel === '' ? [] : rel.split(path.sep);
}

/**
 * Opens a workspace file: `read` (must exist; a directory opens too, the caller checks `stat`), `update`
 * (read-write, must exist) or `write` (created when missing, missing parent directories too; not truncated,
 * the caller does that once it knows it is a regular file). The caller closes `fh`. Throws WorkspacePathError
 * for anything outside the workspace, however it is reached.
 */
export async function openWorkspaceFile(workspace: string, p: string, mode: FileMode): Promise<OpenedFile> {
  await requireProc();
  const target = await resolveInWorkspace(workspace, p, mode === 'write' ? 'parent' : 'exist');
  const root = await workspaceRoot(workspace);
  const parts = relativeParts(root, target.real);
  const name = parts.pop();
  let fh: FileHandle;
  if (name === undefined) {
    if (mode !== 'read') throw new WorkspacePathError(`"${p}" is the workspace directory itself; give a file path`);
    fh = await walk(root, [], p, false);
  } else {
    const dir = await walk(root, parts, p, mode === 'write');
    try {
      fh = await open(inDir(dir, name), FILE_FLAGS[mode] | O_NOFOLLOW | O_NONBLOCK, 0o644);
    } catch (err) {
      const code = errCode(err);
      if (code === 'EISDIR') throw new WorkspacePathError(`"${target.display}" is a directory; give a file path`);
      if (code === 'ENXIO') throw new WorkspacePathError(`"${target.display}" is not a regular file; refused`);
      throw changedUnderfoot(p, target.display, err);
    } finally {
      await closeQuietly(dir);
    }
  }
  try {
    await verifyInside(fh, root, p);
    return { fh, stat: await fh.stat(), display: target.display };
  } catch (err) {
    await closeQuietly(fh);
    throw err;
  }
}

/** Writes all of `data` at offset 0 of an opened file and cuts the file there. */
export async function replaceContent(fh: FileHandle, data: string | Buffer): Promise<void> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  await fh.truncate(0);
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, done);
    done += bytesWritten;
  }
}
