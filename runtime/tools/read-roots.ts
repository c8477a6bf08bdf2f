// Folders the read tool may read besides the workspace (read-only): the shared skills folder of the state
// directory, so the model can open a shared skill's SKILL.md by the absolute path the skills list gives it.
import { isAbsolute, relative } from 'node:path';
import type { ToolContext } from './types.js';
import { resolveInWorkspace, type ResolvedPath } from './workspace-path.js';

/** An absolute path inside one of ctx.readRoots is resolved (and confined) there; anything else in the workspace. */
export async function resolveForRead(ctx: Pick<ToolContext, 'workspace' | 'readRoots'>, p: string): Promise<ResolvedPath> {
  if (isAbsolute(p)) {
    for (const root of ctx.readRoots ?? []) {
      const rel = relative(root, p);
      if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) {
        const r = await resolveInWorkspace(root, rel, 'exist');
        return { ...r, display: p };
      }
    }
  }
  return resolveInWorkspace(ctx.workspace, p, 'exist');
}
