// memory_search and memory_get: the agent's way into its memory files (MEMORY.md and memory/*.md), and nothing
// else. MEMORY.md holds the owner's private notes: outside the owner's private session it is neither searched nor
// read, like it is not injected there.
import { readFile, stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { optionalInt, requiredString, ToolArgError } from '../../tools/args.js';
import type { Tool } from '../../tools/types.js';
import { resolveInWorkspace } from '../../tools/workspace-path.js';
import { headOf } from '../../text-cut.js';
import { isMemoryPath, MAX_MEMORY_FILE_BYTES, MEMORY_FILE } from './files.js';
import type { MemoryService } from './service.js';

const DEFAULT_RESULTS = 6;
const MAX_RESULTS = 20;
const DEFAULT_LINES = 200;
const MAX_LINES = 2_000;
const MAX_GET_CHARS = 20_000;

export function memoryTools(service: MemoryService): Tool[] {
  const search: Tool = {
    group: 'memory',
    spec: {
      name: 'memory_search',
      description:
        'Search your memory files (MEMORY.md and memory/*.md) by meaning and by keyword. Returns snippets with ' +
        'their path, line range and score; read more with memory_get.',
      parameters: {
        type: 'object',
        properties: {
          query: { type: 'string', description: 'What to look for: words, a question, an identifier' },
          maxResults: { type: 'integer', minimum: 1, maximum: MAX_RESULTS, description: `How many results (default ${DEFAULT_RESULTS})` },
        },
        required: ['query'],
        additionalProperties: false,
      },
    },
    async run(args, ctx) {
      const query = requiredString(args, 'query').trim();
      if (query === '') throw new ToolArgError('argument "query" must not be empty');
      const maxResults = optionalInt(args, 'maxResults', { min: 1, max: MAX_RESULTS }) ?? DEFAULT_RESULTS;
      const res = await service.indexFor(ctx.agentId, ctx.workspace).search(query.slice(0, 1000), { maxResults, includePrivate: ctx.privateSession === true });
      const how = res.mode === 'hybrid' ? 'keyword + vector' : 'keyword only';
      if (res.hits.length === 0) return { content: `No memory matches "${query.slice(0, 100)}" (${how}).` };
      const blocks = res.hits.map((h) => `${h.path}:${h.startLine}-${h.endLine} (score ${h.score})\n${h.snippet}`);
      return { content: `${res.hits.length} result${res.hits.length === 1 ? '' : 's'} (${how}):\n\n${blocks.join('\n\n---\n\n')}` };
    },
  };

  const get: Tool = {
    group: 'memory',
    spec: {
      name: 'memory_get',
      description: 'Read lines of a memory file (MEMORY.md or memory/<name>.md), e.g. around a memory_search hit.',
      parameters: {
        type: 'object',
        properties: {
          path: { type: 'string', description: 'MEMORY.md or memory/<name>.md' },
          from: { type: 'integer', minimum: 1, description: 'First line (1-based, default 1)' },
          lines: { type: 'integer', minimum: 1, maximum: MAX_LINES, description: `How many lines (default ${DEFAULT_LINES})` },
        },
        required: ['path'],
        additionalProperties: false,
      },
    },
    async run(args, ctx) {
      const p = requiredString(args, 'path').trim().replace(/^\.\//, '');
      const from = optionalInt(args, 'from', { min: 1 }) ?? 1;
      const count = optionalInt(args, 'lines', { min: 1, max: MAX_LINES }) ?? DEFAULT_LINES;
      if (!isMemoryPath(p)) throw new ToolArgError(`"${p}" is not a memory file: use MEMORY.md or memory/<name>.md`);
      // Resolved through links too: what is read must be that memory file inside the workspace.
      const target = await resolveInWorkspace(ctx.workspace, p, 'exist');
      const rel = relative(await resolveInWorkspace(ctx.workspace, '.', 'exist').then((r) => r.real), target.real)
        .split(sep)
        .join('/');
      if (!isMemoryPath(rel)) throw new ToolArgError(`"${p}" leads to ${rel}, which is not a memory file`);
      if (rel === MEMORY_FILE && ctx.privateSession !== true) {
        return { content: 'MEMORY.md is private to the owner and can only be read in their own direct messages.', isError: true };
      }
      const st = await stat(target.real);
      if (!st.isFile()) throw new ToolArgError(`"${p}" is not a file`);
      if (st.size > MAX_MEMORY_FILE_BYTES) return { content: `"${p}" is ${st.size} bytes; memory files are read up to ${MAX_MEMORY_FILE_BYTES}`, isError: true };
      const all = (await readFile(target.real, 'utf8')).split('\n');
      if (from > all.length) return { content: `"${p}" has ${all.length} lines; from ${from} is past the end`, isError: true };
      const picked = all.slice(from - 1, from - 1 + count);
      const to = from + picked.length - 1;
      let text = picked.join('\n');
      let note = to < all.length ? `\n[lines ${to + 1}-${all.length} follow; continue with from=${to + 1}]` : '';
      if (text.length > MAX_GET_CHARS) {
        text = headOf(text, MAX_GET_CHARS);
        note = `\n[cut at ${MAX_GET_CHARS} characters; ask for fewer lines]`;
      }
      return { content: `${rel}:${from}-${to}\n${text}${note}` };
    },
  };

  return [search, get];
}
