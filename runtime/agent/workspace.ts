// The agent's workspace files become its system prompt. Files are created with short defaults on first start,
// each is cut at 20,000 characters (head and tail kept, a marker between) and all of them at 150,000 in total.
import { mkdir, writeFile, access, lstat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { headOf, tailOf } from '../text-cut.js';
import { type OpenedFile, openWorkspaceFile } from '../tools/workspace-open.js';
import { WorkspacePathError } from '../tools/workspace-path.js';

export const WORKSPACE_FILES = ['AGENTS.md', 'SOUL.md', 'USER.md', 'IDENTITY.md', 'TOOLS.md'] as const;
export const PER_FILE_LIMIT = 20_000;
export const TOTAL_LIMIT = 150_000;

const DEFAULTS: Record<(typeof WORKSPACE_FILES)[number], string> = {
  'AGENTS.md':
    '# Agents\n\nYou are a helpful assistant reached through chat. Answer concisely; use tools when they help.\n\n' +
    '## Memory\n\nYour notes live in memory/YYYY-MM-DD.md (one file a day) and, for the owner, MEMORY.md. They are not ' +
    'in this prompt: before answering about earlier conversations, decisions, people or preferences, look with ' +
    "memory_search and read more with memory_get. Write what should outlast this conversation to today's " +
    'memory/YYYY-MM-DD.md (add to it; never remove what is there).\n',
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
  const marker = (cut: number) => `\n\n[… ${cut} characters cut …]\n\n`;
  const room = Math.max(0, limit - marker(text.length - limit).length);
  const head = headOf(text, Math.ceil(room * 0.7));
  const tail = tailOf(text, room - Math.ceil(room * 0.7));
  // The cuts may keep a unit less than asked (never half an emoji): the marker counts what was really cut.
  return { text: head + marker(text.length - head.length - tail.length) + tail, truncated: true };
}

// Runs happen per message, so the files are not re-read every time: a stat per file (in parallel) says whether
// the cached text is still current, and only a changed file is read again. Edits still apply on the next run.
// File timestamps are coarse (a kernel tick; whole seconds on some filesystems), so a same-size edit made just
// after a read could look unchanged ("racily clean", as git calls it): the cache is trusted only for a file last
// modified well before it was read. This compares with file timestamps, hence wall time, not the injected Clock.
const rawCache = new Map<string, { version: string; mtimeMs: number; readAt: number; raw: string }>();
const RAW_CACHE_LIMIT = 1000;
const RACY_MS = 2000;

// The agent's exec can write the workspace, so a file here may be a symbolic link planted to pull a file from
// outside (the config, say) into the prompt: files are opened the way the file tools open them, and one that
// leads outside is replaced by a note saying why. Other errors (EACCES, a directory) fail the run as before.
/**
 * What the cache saves and what it compares with: reading an opened file, and the wall time file timestamps are
 * compared with. Tests wrap the real ones to count the reads the cache saved.
 */
export interface WorkspaceIo {
  read(path: string, fh: FileHandle): Promise<string>;
  now(): number;
}

const realIo: WorkspaceIo = { read: (_path, fh) => fh.readFile('utf8'), now: () => Date.now() };

async function readCurrent(dir: string, name: string, io: WorkspaceIo): Promise<string | null> {
  const path = join(dir, name);
  const checkedAt = io.now();
  try {
    await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    rawCache.delete(path);
    return null;
  }
  let opened: OpenedFile;
  try {
    opened = await openWorkspaceFile(dir, name, 'read');
  } catch (err) {
    if (err instanceof WorkspacePathError && err.code === 'ENOENT') {
      rawCache.delete(path); // removed between the two looks
      return null;
    }
    if (!(err instanceof WorkspacePathError) || !err.escape) throw err;
    rawCache.delete(path);
    return `[${name} was not read: ${err.message}]`;
  }
  const { fh, stat: st } = opened;
  try {
    if (!st.isFile()) throw Object.assign(new Error(`${path} is not a regular file; make it one`), { code: st.isDirectory() ? 'EISDIR' : 'EINVAL' });
    const version = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const hit = rawCache.get(path);
    if (hit?.version === version && hit.mtimeMs < hit.readAt - RACY_MS) return hit.raw;
    const raw = await io.read(path, fh);
    if (rawCache.size >= RAW_CACHE_LIMIT) rawCache.delete(rawCache.keys().next().value as string);
    rawCache.set(path, { version, mtimeMs: Math.max(st.mtimeMs, st.ctimeMs), readAt: checkedAt, raw });
    return raw;
  } finally {
    await fh.close();
  }
}

export async function loadWorkspaceFiles(dir: string, io: WorkspaceIo = realIo): Promise<WorkspaceFile[]> {
  const raws = await Promise.all(WORKSPACE_FILES.map((name) => readCurrent(dir, name, io)));
  const out: WorkspaceFile[] = [];
  let budget = TOTAL_LIMIT;
  for (const [i, name] of WORKSPACE_FILES.entries()) {
    const raw = raws[i];
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

/** MEMORY.md, cut like the other files; undefined when there is none (it is only read for the owner's own DMs). */
export async function loadMemoryFile(dir: string, io: WorkspaceIo = realIo): Promise<WorkspaceFile | undefined> {
  const raw = await readCurrent(dir, 'MEMORY.md', io);
  if (raw === null) return undefined;
  const cut = truncateMiddle(raw, PER_FILE_LIMIT);
  return { name: 'MEMORY.md', missing: false, rawChars: raw.length, injectedChars: cut.text.length, truncated: cut.truncated, content: cut.text };
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
  /** More named parts after the workspace files (the skills list, MEMORY.md); empty ones are left out. */
  extra?: { name: string; text: string }[];
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
  for (const p of input.extra ?? []) if (p.text.trim() !== '') parts.push(p);
  return {
    text: parts.map((p) => p.text).join('\n\n'),
    parts: parts.map((p) => ({ name: p.name, chars: p.text.length })),
  };
}
