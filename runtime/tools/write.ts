// `write`: create or replace a file inside the workspace (parent directories are created).
import { requiredString } from './args.js';
import type { Tool } from './types.js';
import { openWorkspaceFile, replaceContent } from './workspace-open.js';

/** Largest content a single write accepts (bytes). */
export const MAX_WRITE_BYTES = 10 * 1024 * 1024;

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
      const { fh, stat: st, display } = await openWorkspaceFile(ctx.workspace, p, 'write');
      try {
        if (!st.isFile()) return { content: `"${display}" is not a regular file; refused`, isError: true };
        await replaceContent(fh, content);
      } finally {
        await fh.close();
      }
      return { content: `wrote ${bytes} bytes to ${display}` };
    },
  };
}
