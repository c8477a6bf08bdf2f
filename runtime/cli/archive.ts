// `switchyard archive [--older-than 90d] [--dry-run]`: moves old transcripts out of the sessions directories into
// one tar.gz under $SWITCHYARD_HOME/archive/. Transcripts are the users' history, so nothing is deleted that is not
// in a written and re-read archive first, and a session's current transcript (the one sessions.json points to) is
// never archived, however old: the gateway may append to it. Safe while the gateway runs.
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand, CliIo } from './types.js';
import { cliHome } from './home.js';

const loadTar = () => createRequire(import.meta.url)('tar') as typeof import('tar');

const USAGE = `Usage: switchyard archive [--older-than 90d] [--dry-run]

Packs transcripts not written to for longer than --older-than (d = days, h = hours; default 90d) into
$SWITCHYARD_HOME/archive/transcripts-<date>.tar.gz (mode 600) and removes them from agents/*/sessions/.
A session's current transcript is always kept. --dry-run lists what would be archived.
Read an archived transcript with: tar -xzf <archive> -O agents/<agent>/sessions/<id>.jsonl
`;

const TRANSCRIPT = /^[a-z0-9][a-z0-9_-]*\.jsonl$/i;

export function parseAge(s: string): number | undefined {
  const m = /^(\d+)\s*([dh])$/i.exec(s.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2].toLowerCase() === 'd' ? 86_400_000 : 3_600_000);
}

/** Session ids that sessions.json points to (any entry's sessionId), read loosely: a file in use is never guessed unused. */
async function currentSessionIds(sessionsDir: string): Promise<Set<string> | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(sessionsDir, 'sessions.json'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    return undefined; // unreadable: archive nothing from this agent
  }
  const ids = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 6 || v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'sessionId' && typeof x === 'string') ids.add(x);
      else visit(x, depth + 1);
    }
  };
  visit(raw, 0);
  return ids;
}

export interface ArchivePlan {
  files: string[];
  bytes: number;
  skippedAgents: string[];
}

export async function planArchive(home: string, olderThanMs: number, now: number): Promise<ArchivePlan> {
  const plan: ArchivePlan = { files: [], bytes: 0, skippedAgents: [] };
  const agents = await readdir(join(home, 'agents')).catch(() => [] as string[]);
  for (const agent of agents.sort()) {
    const dir = join(home, 'agents', agent, 'sessions');
    const current = await currentSessionIds(dir);
    if (!current) {
      plan.skippedAgents.push(agent);
      continue;
    }
    for (const f of (await readdir(dir).catch(() => [] as string[])).sort()) {
      if (!TRANSCRIPT.test(f) || current.has(f.slice(0, -'.jsonl'.length))) continue;
      const st = await stat(join(dir, f));
      if (!st.isFile() || now - st.mtimeMs < olderThanMs) continue;
      plan.files.push(`agents/${agent}/sessions/${f}`);
      plan.bytes += st.size;
    }
  }
  return plan;
}

export const archiveCommand: CliCommand = {
  name: 'archive',
  summary: 'pack old transcripts into a tar.gz under the state directory (current ones are kept)',
  usage: USAGE,
  async run(argv: string[], io: CliIo): Promise<number> {
    let values: { 'older-than'?: string; 'dry-run'?: boolean };
    try {
      ({ values } = parseArgs({ args: argv, options: { 'older-than': { type: 'string' }, 'dry-run': { type: 'boolean' } } }));
    } catch (err) {
      io.stderr.write(`archive: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    const age = parseAge(values['older-than'] ?? '90d');
    if (age === undefined) {
      io.stderr.write(`archive: --older-than ${values['older-than']} is not an age such as 90d or 12h\n`);
      return 2;
    }
    const home = cliHome(io.env);
    const now = Date.now();
    const plan = await planArchive(home, age, now);
    for (const a of plan.skippedAgents) io.stderr.write(`archive: agents/${a}/sessions/sessions.json cannot be read; left that agent's transcripts alone\n`);
    const mb = (plan.bytes / 1048576).toFixed(1);
    if (plan.files.length === 0) {
      io.stdout.write(`Nothing to archive: no transcript other than a current one is older than ${values['older-than'] ?? '90d'}.\n`);
      return 0;
    }
    if (values['dry-run']) {
      io.stdout.write(`Would archive ${plan.files.length} transcripts (${mb} MB):\n${plan.files.map((f) => `  ${f}`).join('\n')}\n`);
      return 0;
    }
    await mkdir(join(home, 'archive'), { recursive: true, mode: 0o700 });
    const out = join(home, 'archive', `transcripts-${new Date(now).toISOString().slice(0, 19).replace(/[:T]/g, '-')}.tar.gz`);
    const tar = loadTar();
    try {
      await tar.c({ gzip: true, cwd: home, portable: true, file: out, mode: 0o600 }, plan.files);
      // Read it back before deleting anything: every file must be in it, whole.
      const seen = new Map<string, number>();
      await tar.t({ file: out, onReadEntry: (e) => void seen.set(e.path, e.size ?? -1) });
      for (const f of plan.files) {
        const st = await stat(join(home, f));
        if (seen.get(f) !== st.size) throw new Error(`${f} is not whole in ${out}`);
      }
    } catch (err) {
      await rm(out, { force: true });
      io.stderr.write(`archive: could not write ${out} (${(err as Error).message}); nothing was removed\n`);
      return 1;
    }
    for (const f of plan.files) await rm(join(home, f));
    io.stdout.write(`Archived ${plan.files.length} transcripts (${mb} MB) into ${out}.\n`);
    return 0;
  },
};
