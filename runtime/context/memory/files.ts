// The memory files of a workspace: MEMORY.md and memory/**/*.md. Symbolic links are not followed (a link could
// lead the index, and so the search tool, out of the workspace). Bounded in number, depth and size.
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export const MEMORY_FILE = 'MEMORY.md';
export const MAX_MEMORY_FILES = 2_000;
export const MAX_MEMORY_FILE_BYTES = 1_000_000;
const MAX_DEPTH = 4;

export interface MemoryFileStat {
  /** Relative to the workspace, with '/' separators. */
  rel: string;
  abs: string;
  size: number;
  mtimeMs: number;
}

/** A path the memory tools may touch: MEMORY.md, or a .md file under memory/ (no '..', no absolute path). */
export function isMemoryPath(rel: string): boolean {
  if (rel === MEMORY_FILE) return true;
  const parts = rel.split('/');
  return parts[0] === 'memory' && parts.length >= 2 && rel.endsWith('.md') && parts.every((p) => p !== '' && p !== '.' && p !== '..');
}

export async function listMemoryFiles(workspace: string): Promise<MemoryFileStat[]> {
  const out: MemoryFileStat[] = [];
  const consider = async (rel: string) => {
    const abs = join(workspace, rel);
    try {
      const st = await lstat(abs);
      if (st.isFile() && st.size <= MAX_MEMORY_FILE_BYTES) out.push({ rel, abs, size: st.size, mtimeMs: st.mtimeMs });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  };
  await consider(MEMORY_FILE);
  const walk = async (relDir: string, depth: number): Promise<void> => {
    let dirents: Dirent[];
    try {
      dirents = await readdir(join(workspace, relDir), { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw err;
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of dirents) {
      if (out.length >= MAX_MEMORY_FILES) return;
      const rel = `${relDir}/${d.name}`;
      if (d.isDirectory() && depth < MAX_DEPTH) await walk(rel, depth + 1);
      else if (d.isFile() && d.name.endsWith('.md')) await consider(rel);
    }
  };
  const top = await lstat(join(workspace, 'memory')).catch(() => null);
  if (top?.isDirectory()) await walk('memory', 1);
  return out;
}
