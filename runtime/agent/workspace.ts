// The agent's workspace files become its system prompt. Files are created with short defaults on first start,
// each is cut at 20,000 characters (head and tail kept, a marker between) and all of them at 150,000 in total.
import { mkdir, readFile, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';

export const WORKSPACE_FILES = ['AGENTS.md', 'SOUL.md', 'USER.md', 'IDENTITY.md', 'TOOLS.md'] as const;
export const PER_FILE_LIMIT = 20_000;
export const TOTAL_LIMIT = 150_000;

const DEFAULTS: Record<(typeof WORKSPACE_FILES)[number], string> = {
  'AGENTS.md': '# Agents\n\nYou are a helpful assistant reached through chat. Answer concisely; use tools when they help.\n',
  'SOUL.md': '# Soul\n\nBe direct, friendly and honest. Say when you do not know.\n',
  'USER.md': '# User\n\n(Describe the people this agent serves here.)\n',
  'IDENTITY.md': '# Identity\n\nName: Switchyard assistant.\n',
  'TOOLS.md': '# Tools\n\n(Notes on how to use the available tools.)\n',
};

export interface WorkspaceFile {
  name: string;
  missing: boolean;
  rawChars: number;
  injectedChars: number;
  truncated: boolean;
  content: string;
}

export async function ensureWorkspace(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const name of WORKSPACE_FILES) {
    const p = join(dir, name);
    try {
      await access(p);
    } catch {
      // Missing file: write the default, but never overwrite one the user created meanwhile.
      await writeFile(p, DEFAULTS[name], { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
    }
  }
}

/** Keeps the head and tail of a long text with a marker saying how much was cut. */
export function truncateMiddle(text: string, limit: number): { text: string; truncated: boolean } {
  if (text.length <= limit) return { text, truncated: false };
  const marker = `\n\n[… ${text.length - limit} characters cut …]\n\n`;
  const room = Math.max(0, limit - marker.length);
  const head = Math.ceil(room * 0.7);
  const tail = room - head;
  return { text: text.slice(0, head) + marker + (tail > 0 ? text.slice(text.length - tail) : ''), truncated: true };
}

export async function loadWorkspaceFiles(dir: string): Promise<WorkspaceFile[]> {
  const out: WorkspaceFile[] = [];
  let budget = TOTAL_LIMIT;
  for (const name of WORKSPACE_FILES) {
    let raw: string | null = null;
    try {
      raw = await readFile(join(dir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (raw === null) {
      out.push({ name, missing: true, rawChars: 0, injectedChars: 0, truncated: false, content: '' });
      continue;
    }
    const cut = truncateMiddle(raw, Math.min(PER_FILE_LIMIT, budget));
    budget -= cut.text.length;
    out.push({
      name,
      missing: false,
      rawChars: raw.length,
      injectedChars: cut.text.length,
      truncated: cut.truncated,
      content: cut.text,
    });
  }
  return out;
}

export interface SystemPromptPart {
  name: string;
  chars: number;
}

export function buildSystemPrompt(input: {
  agentId: string;
  files: WorkspaceFile[];
  now: number;
  channel?: string;
}): { text: string; parts: SystemPromptPart[] } {
  const parts: { name: string; text: string }[] = [];
  parts.push({
    name: 'base',
    text:
      `You are agent "${input.agentId}" of a Switchyard gateway, talking with people through chat` +
      (input.channel ? ` (this conversation is on ${input.channel})` : '') +
      '. Reply in plain Markdown. If a message needs no reply, answer exactly NO_REPLY.',
  });
  parts.push({ name: 'time', text: `Current time (UTC): ${new Date(input.now).toISOString()}` });
  for (const f of input.files) {
    if (f.missing || f.content.trim() === '') continue;
    parts.push({ name: f.name, text: `## ${f.name}\n\n${f.content}` });
  }
  return {
    text: parts.map((p) => p.text).join('\n\n'),
    parts: parts.map((p) => ({ name: p.name, chars: p.text.length })),
  };
}
