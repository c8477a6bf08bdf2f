// `write`: create or replace a file inside the workspace (parent directories are created).
import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { requiredString } from './args.js';
import type { Tool } from './types.js';
import { resolveInWorkspace } from './workspace-path.js';

/** Largest content a single write accepts (bytes). */
export const MAX_WRITE_BYTES = 10 * 1024 * 1024;

/**
 * Writes through O_NOFOLLOW (the path was resolved already, so a symlink appearing now is refused, not followed)
 * and O_NONBLOCK (a FIFO planted in the workspace fails instead of blocking a libuv thread forever).
 */
export async function writeResolved(real: string, data: string): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const fh = await open(real, flags, 0o644);
  try {
    await fh.writeFile(data, 'utf8');
  } finally {
    await fh.close();
  }
}

export function writeTool(): Tool {
  return {
    group: 'fs',
    spec: {
      name: 'write',
      description: 'Create or overwrite a text file in the workspace. Missing parent directories are created.',
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'File path, relative to the workspace' },
          content: { type: 'string', description: 'The complete new content of the file' },
        },
        required: ['path', 'content'],
        additionalProperties: false,
      },
    },
    async run(args, ctx) {
      const p = requiredString(args, 'path');
      const content = requiredString(args, 'content');
      const bytes = Buffer.byteLength(content, 'utf8');
      if (bytes > MAX_WRITE_BYTES) {
        return { content: `content is ${bytes} bytes; a single write accepts at most ${MAX_WRITE_BYTES}`, isError: true };
      }
      const target = await resolveInWorkspace(ctx.workspace, p, 'parent');
      if (target.exists) {
        const st = await stat(target.real);
        if (st.isDirectory()) return { content: `"${target.display}" is a directory; give a file path`, isError: true };
        if (!st.isFile()) return { content: `"${target.display}" is not a regular file; refused`, isError: true };
      }
      await mkdir(path.dirname(target.real), { recursive: true });
      await writeResolved(target.real, content);
      return { content: `wrote ${bytes} bytes to ${target.display}` };
    },
  };
}
