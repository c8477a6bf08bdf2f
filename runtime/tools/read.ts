// `read`: a text file inside the workspace, optionally from a line on; capped, and says where to go on. Memory
// stays bounded whatever the file's shape (see line-window.ts).
import type { FileHandle } from 'node:fs/promises';
import { optionalInt, requiredString } from './args.js';
import { readLineWindow } from './line-window.js';
import { FS_RESULT_CAP } from './output-cap.js';
import type { Tool } from './types.js';
import { openForRead } from './read-roots.js';

async function looksBinary(fh: FileHandle): Promise<boolean> {
  const buf = Buffer.alloc(8192);
  const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
  return buf.subarray(0, bytesRead).includes(0);
}

export function readTool(cap = FS_RESULT_CAP): Tool {
  return {
    group: 'fs',
    spec: {
      name: 'read',
      description:
        `Read a text file in the workspace. Returns at most ${cap} characters; when cut, the result says which ` + 'line to continue from (pass it as offset).',
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'File path, relative to the workspace' },
          offset: { type: 'integer', minimum: 1, description: 'First line to return (1-based). Default 1.' },
          limit: { type: 'integer', minimum: 1, description: 'Maximum number of lines to return.' },
        },
        required: ['path'],
        additionalProperties: false,
      },
    },
    async run(args, ctx) {
      const p = requiredString(args, 'path');
      const offset = optionalInt(args, 'offset', { min: 1 }) ?? 1;
      const limit = optionalInt(args, 'limit', { min: 1 });
      const { fh, stat: st, display } = await openForRead(ctx, p);
      let lines: string[] = [];
      let lineNo = 0;
      let note = '';
      try {
        if (st.isDirectory()) return { content: `"${display}" is a directory; use the list tool`, isError: true };
        if (!st.isFile()) return { content: `"${display}" is not a regular file`, isError: true };
        if (await looksBinary(fh)) {
          return { content: `"${display}" looks like a binary file (${st.size} bytes); not shown`, isError: true };
        }
        ({ lines, note, lineNo } = await readLineWindow(fh, { offset, limit, cap, signal: ctx.signal }));
      } finally {
        await fh.close();
      }
      if (lineNo < offset && lines.length === 0) {
        return { content: `"${display}" has ${lineNo} lines; offset ${offset} is past the end`, isError: true };
      }
      const body = lines.join('\n');
      return { content: note ? `${body}\n${note}` : body };
    },
  };
}
