// `list`: directory entries inside the workspace. Symbolic links are shown, never followed, so a listing
// cannot wander outside the workspace; each directory is read through the descriptor it was opened as, so a
// directory swapped for a link meanwhile is not listed either.
import type { Dirent } from 'node:fs';
import { lstat, readdir, readlink, type FileHandle } from 'node:fs/promises';
import { optionalInt, optionalString } from './args.js';
import { FS_RESULT_CAP } from './output-cap.js';
import type { Tool } from './types.js';
import { inDir, openChildDir, openWorkspaceFile } from './workspace-open.js';

/** Directories shown but not descended into: their contents are huge and rarely what the agent wants. */
const NOT_EXPANDED = new Set(['.git', 'node_modules']);
const MAX_ENTRIES = 2000;

export function listTool(cap = FS_RESULT_CAP): Tool {
  return {
    group: 'fs',
    spec: {
      name: 'list',
      description: 'List a directory in the workspace (directories end with "/", files show their size, links their target). ' + 'depth > 1 lists subdirectories too.',
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'Directory, relative to the workspace. Default: the workspace.' },
          depth: { type: 'integer', minimum: 1, maximum: 5, description: 'How many levels to list. Default 1.' },
        },
        additionalProperties: false,
      },
    },
    async run(args, ctx) {
      const p = optionalString(args, 'path') ?? '.';
      const depth = optionalInt(args, 'depth', { min: 1, max: 5 }) ?? 1;
      const target = await openWorkspaceFile(ctx.workspace, p, 'read');
      if (!target.stat.isDirectory()) {
        await target.fh.close();
        return { content: `"${target.display}" is not a directory; use the read tool`, isError: true };
      }
      const out: string[] = [];
      let chars = 0;
      let cut = false;
      const add = (line: string): boolean => {
        if (out.length >= MAX_ENTRIES || chars + line.length + 1 > cap) {
          cut = true;
          return false;
        }
        out.push(line);
        chars += line.length + 1;
        return true;
      };
      // Each directory is read through its open descriptor and its subdirectories are opened relative to it.
      const walk = async (dir: FileHandle, level: number, indent: string): Promise<void> => {
        let entries: Dirent[];
        try {
          entries = await readdir(inDir(dir), { withFileTypes: true });
        } catch (err) {
          add(`${indent}[cannot list: ${(err as Error).message}]`);
          return;
        }
        entries.sort((a, b) => a.name.localeCompare(b.name));
        for (const e of entries) {
          if (cut) return;
          if (e.isDirectory()) {
            const skipped = level < depth && NOT_EXPANDED.has(e.name);
            const expand = level < depth && !skipped;
            if (!add(`${indent}${e.name}/${skipped ? ' (not expanded)' : ''}`)) return;
            if (!expand) continue;
            let sub: FileHandle;
            try {
              sub = await openChildDir(dir, e.name);
            } catch (err) {
              add(`${indent}  [cannot list: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}]`);
              continue;
            }
            try {
              await walk(sub, level + 1, indent + '  ');
            } finally {
              await sub.close();
            }
          } else if (e.isSymbolicLink()) {
            const to = await readlink(inDir(dir, e.name)).catch((err: Error) => `? (${err.message})`);
            if (!add(`${indent}${e.name} -> ${to}`)) return;
          } else {
            const size = await lstat(inDir(dir, e.name)).then(
              (s) => s.size,
              () => undefined,
            );
            if (!add(`${indent}${e.name}${size === undefined ? '' : ` (${size} bytes)`}`)) return;
          }
        }
      };
      try {
        await walk(target.fh, 1, '');
      } finally {
        await target.fh.close();
      }
      const head = `${target.display === '.' ? 'workspace' : target.display}/:`;
      const body = out.length ? out.join('\n') : '(empty)';
      const note = cut ? `\n[listing cut after ${out.length} entries; list a subdirectory or lower depth]` : '';
      return { content: `${head}\n${body}${note}` };
    },
  };
}
