// `read`: a text file inside the workspace, optionally from a line on; capped, and says where to go on.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { headOf } from '../text-cut.js';
import { optionalInt, requiredString } from './args.js';
import { FS_RESULT_CAP } from './output-cap.js';
import type { Tool } from './types.js';
import { resolveForRead } from './read-roots.js';

async function looksBinary(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).includes(0);
  } finally {
    await fh.close();
  }
}

export function readTool(cap = FS_RESULT_CAP): Tool {
  return {
    group: 'fs',
    spec: {
      name: 'read',
      description:
        `Read a text file in the workspace. Returns at most ${cap} characters; when cut, the result says which ` +
        'line to continue from (pass it as offset).',
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
      const target = await resolveForRead(ctx, p);
      const st = await stat(target.real);
      if (st.isDirectory()) return { content: `"${target.display}" is a directory; use the list tool`, isError: true };
      if (!st.isFile()) return { content: `"${target.display}" is not a regular file`, isError: true };
      if (await looksBinary(target.real)) {
        return { content: `"${target.display}" looks like a binary file (${st.size} bytes); not shown`, isError: true };
      }

      const stream = createReadStream(target.real, { encoding: 'utf8' });
      const rl = createInterface({ input: stream, crlfDelay: Infinity });
      const lines: string[] = [];
      let chars = 0;
      let lineNo = 0;
      let note = '';
      try {
        for await (const line of rl) {
          lineNo++;
          if (lineNo < offset) continue;
          if (limit !== undefined && lines.length >= limit) {
            note = `[more lines follow; continue with offset=${lineNo}]`;
            break;
          }
          if (chars + line.length + 1 > cap) {
            if (lines.length === 0) {
              const shown = headOf(line, cap);
              lines.push(shown);
              note = `[output cut: line ${lineNo} is ${line.length} characters long, only the first ${shown.length} are shown; continue with offset=${lineNo + 1}]`;
            } else {
              note = `[output cut at ${cap} characters; continue with offset=${lineNo}]`;
            }
            break;
          }
          lines.push(line);
          chars += line.length + 1;
        }
      } finally {
        rl.close();
        stream.destroy();
      }
      if (lineNo < offset && lines.length === 0) {
        return { content: `"${target.display}" has ${lineNo} lines; offset ${offset} is past the end`, isError: true };
      }
      const body = lines.join('\n');
      return { content: note ? `${body}\n${note}` : body };
    },
  };
}
