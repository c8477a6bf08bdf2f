// Folders the read tool may read besides the workspace (read-only): the shared skills folder of the state
// directory, so the model can open a shared skill's SKILL.md by the absolute path the skills list gives it.
import { isAbsolute, relative } from 'node:path';
import type { ToolContext } from './types.js';
import { openWorkspaceFile, type OpenedFile } from './workspace-open.js';

/** An absolute path inside one of ctx.readRoots is opened (and confined) there; anything else in the workspace. */
export async function openForRead(ctx: Pick<ToolContext, 'workspace' | 'readRoots'>, p: string): Promise<OpenedFile> {
  if (isAbsolute(p)) {
    for (const root of ctx.readRoots ?? []) {
      const rel = relative(root, p);
      if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) {
        const opened = await openWorkspaceFile(root, rel, 'read');
        return { ...opened, display: p };
      }
    }
  }
  return openWorkspaceFile(ctx.workspace, p, 'read');
}
