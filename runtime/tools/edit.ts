// `edit`: replace one exact, unique occurrence of a string in a workspace file. Uniqueness is required so an
// edit never lands somewhere the model did not mean; it is told to add context when the text repeats.
import { requiredString } from './args.js';
import type { Tool } from './types.js';
import { openWorkspaceFile, replaceContent } from './workspace-open.js';
import { MAX_WRITE_BYTES } from './write.js';

function countOccurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) n++;
  return n;
}

export function editTool(): Tool {
  return {
    group: 'fs',
    spec: {
      name: 'edit',
      description:
        'Replace exactly one occurrence of oldText with newText in a workspace file. oldText must match the file ' +
        'exactly (whitespace included) and occur only once; add surrounding lines to make it unique.',
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'File path, relative to the workspace' },
          oldText: { type: 'string', description: 'Exact text to replace (must occur exactly once)' },
          newText: { type: 'string', description: 'Replacement text' },
        },
        required: ['path', 'oldText', 'newText'],
        additionalProperties: false,
      },
    },
    async run(args, ctx) {
      const p = requiredString(args, 'path');
      const oldText = requiredString(args, 'oldText');
      const newText = requiredString(args, 'newText');
      if (oldText === '') return { content: 'oldText is empty; give the exact text to replace', isError: true };
      const { fh, stat: st, display } = await openWorkspaceFile(ctx.workspace, p, 'update');
      try {
        if (!st.isFile()) return { content: `"${display}" is not a regular file`, isError: true };
        if (st.size > MAX_WRITE_BYTES) {
          return { content: `"${display}" is ${st.size} bytes; edit handles files up to ${MAX_WRITE_BYTES}`, isError: true };
        }
        const before = await fh.readFile('utf8');
        const n = countOccurrences(before, oldText);
        if (n === 0) {
          return { content: `oldText was not found in ${display}; read the file and copy the text exactly`, isError: true };
        }
        if (n > 1) {
          return {
            content: `oldText occurs ${n} times in ${display}; include more surrounding text so it matches once`,
            isError: true,
          };
        }
        const i = before.indexOf(oldText);
        await replaceContent(fh, before.slice(0, i) + newText + before.slice(i + oldText.length));
        const line = before.slice(0, i).split('\n').length;
        return { content: `edited ${display}: replaced 1 occurrence at line ${line}` };
      } finally {
        await fh.close();
      }
    },
  };
}
