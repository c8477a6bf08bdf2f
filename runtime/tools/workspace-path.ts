// Confinement of file tools to the agent's workspace. A path is resolved against the workspace, then every
// symbolic link in it is resolved (realpath of the deepest existing ancestor, so a file about to be created
// is judged by the directory it lands in) and the result must still lie inside the workspace's realpath.
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';

export class WorkspacePathError extends Error {
  /**
   * `escape`: refused because it leads outside the workspace (or through a link that changed); `code`: the
   * file system's error code when one caused it.
   */
  constructor(
    message: string,
    readonly escape = false,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'WorkspacePathError';
  }
}

export interface ResolvedPath {
  /** Absolute path with all symbolic links resolved; the file tools operate on this. */
  real: string;
  /** Path relative to the workspace, for messages ('.' for the workspace itself). */
  display: string;
  /** The path (or, for writes, the deepest existing ancestor) exists. */
  exists: boolean;
}

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

export function isInside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** The workspace's own realpath; a missing workspace is an error the owner must fix. */
export async function workspaceRoot(workspace: string): Promise<string> {
  try {
    return await realpath(workspace);
  } catch (err) {
    throw new WorkspacePathError(`the agent workspace ${workspace} is not accessible (${errCode(err) ?? String(err)}); create it or fix agents.*.workspace`);
  }
}

/**
 * Resolves `p` (relative to the workspace, or absolute) for reading (`must: 'exist'`) or writing
 * (`must: 'parent'`: the file may be missing, its nearest existing ancestor decides). Throws
 * WorkspacePathError for anything outside the workspace, also when reached through a symbolic link.
 */
export async function resolveInWorkspace(workspace: string, p: string, must: 'exist' | 'parent'): Promise<ResolvedPath> {
  if (p.includes('\0')) throw new WorkspacePathError('path contains a NUL byte');
  const root = await workspaceRoot(workspace);
  const lexical = path.resolve(workspace, p === '' ? '.' : p);
  const outside = (resolved: string) =>
    isInside(path.resolve(workspace), lexical) || isInside(root, lexical)
      ? new WorkspacePathError(`path "${p}" leads through a symbolic link to ${resolved}, which is outside the workspace; refused`, true)
      : new WorkspacePathError(`path "${p}" is outside the workspace (${root}); only paths inside it are allowed`, true);

  // Walk up to the deepest ancestor that exists (lstat: a dangling symlink counts as existing).
  const missing: string[] = [];
  let cur = lexical;
  for (;;) {
    try {
      await lstat(cur);
      break;
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOTDIR') throw new WorkspacePathError(`path "${p}": a parent of it is a file, not a directory`);
      if (code !== 'ENOENT') throw new WorkspacePathError(`path "${p}": ${code ?? String(err)}`, false, code);
      const parent = path.dirname(cur);
      if (parent === cur) break;
      missing.unshift(path.basename(cur));
      cur = parent;
    }
  }

  let realAncestor: string;
  try {
    realAncestor = await realpath(cur);
  } catch (err) {
    // lstat saw it but realpath cannot follow it: a symbolic link to nowhere (or a loop). Writing through it
    // would create its target wherever it points, so it is refused rather than followed.
    throw new WorkspacePathError(`path "${p}" is (or goes through) a symbolic link whose target cannot be resolved (${errCode(err) ?? String(err)}); refused`, true);
  }
  const real = path.join(realAncestor, ...missing);
  if (!isInside(root, real)) throw outside(real);

  const exists = missing.length === 0;
  if (must === 'exist' && !exists) throw new WorkspacePathError(`no such file or directory: "${p}"`, false, 'ENOENT');
  return { real, display: path.relative(root, real) || '.', exists };
}
