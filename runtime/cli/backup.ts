// `switchyard backup [file]`: a tar.gz of the state directory (config, state, sessions and transcripts, journal,
// audit, credentials, workspaces under it), readable only by its owner (mode 600: it holds tokens and keys).
// Safe while the gateway runs: the files are first copied into a consistent snapshot (see snapshot.ts), then
// archived, so the archive never holds half a line or a sessions.json newer than its transcripts.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import type { CliCommand, CliIo } from './types.js';
import { cliHome } from './home.js';
import { snapshotHome } from './snapshot.js';

// tar is CommonJS-first; require() avoids the ESM loader's export scan (it is only loaded by this command).
const loadTar = () => createRequire(import.meta.url)('tar') as typeof import('tar');

/** The file inside every backup that says what it is; restore refuses an archive without it. */
export const MANIFEST = 'switchyard-backup.json';

export interface BackupManifest {
  format: 1;
  createdAt: string;
  home: string;
  files: number;
  bytes: number;
}

const USAGE = `Usage: switchyard backup [file]

Writes a tar.gz of the state directory ($SWITCHYARD_HOME, default ~/.switchyard) to file
(default ./switchyard-backup-<date>.tar.gz), mode 600. Safe while the gateway runs.
The archive contains secrets (bot tokens, API keys in the config, WhatsApp credentials): keep it private.
Restore it with: switchyard restore <file>   (into an empty SWITCHYARD_HOME)
`;

function defaultName(now: Date): string {
  return `switchyard-backup-${now.toISOString().slice(0, 19).replace(/[:T]/g, '-')}.tar.gz`;
}

export async function writeBackup(home: string, out: string, now = new Date()): Promise<{ files: number; bytes: number; skipped: string[] }> {
  const target = resolve(out);
  const work = await mkdtemp(join(dirname(target), '.switchyard-backup-'));
  const partial = join(work, 'archive.tar.gz');
  try {
    const snap = await snapshotHome(home, join(work, 'home'), [target, work]);
    const manifest: BackupManifest = { format: 1, createdAt: now.toISOString(), home, files: snap.files.length, bytes: snap.bytes };
    await writeFile(join(work, 'home', MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
    const tar = loadTar();
    await pipeline(tar.c({ gzip: true, cwd: join(work, 'home'), portable: true }, [MANIFEST, ...snap.files]), createWriteStream(partial, { mode: 0o600, flags: 'wx' }));
    await rename(partial, target);
    return { files: snap.files.length, bytes: snap.bytes, skipped: snap.skipped };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export const backupCommand: CliCommand = {
  name: 'backup',
  summary: 'write a tar.gz of the state directory (safe while the gateway runs)',
  usage: USAGE,
  async run(argv: string[], io: CliIo): Promise<number> {
    let positionals: string[];
    try {
      ({ positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} }));
    } catch (err) {
      io.stderr.write(`backup: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    if (positionals.length > 1) {
      io.stderr.write(`backup: expected at most one file name, got ${positionals.length}\n${USAGE}`);
      return 2;
    }
    const home = cliHome(io.env);
    const st = await stat(home).catch(() => undefined);
    if (!st?.isDirectory()) {
      io.stderr.write(`backup: the state directory ${home} does not exist: set SWITCHYARD_HOME to the directory to back up\n`);
      return 1;
    }
    const out = resolve(positionals[0] ?? defaultName(new Date()));
    if (await stat(out).catch(() => undefined)) {
      io.stderr.write(`backup: ${out} already exists: choose another file name (a backup never overwrites a file)\n`);
      return 1;
    }
    try {
      const r = await writeBackup(home, out);
      const skipped = r.skipped.length ? ` (left out ${r.skipped.length}: ${r.skipped.slice(0, 5).join(', ')}${r.skipped.length > 5 ? ', …' : ''})` : '';
      io.stdout.write(
        `Backed up ${home} to ${out}: ${r.files} files, ${(r.bytes / 1048576).toFixed(1)} MB before compression${skipped}.\n` +
          `It contains secrets (tokens, keys, WhatsApp credentials) and is readable only by you (mode 600): keep it private.\n`,
      );
      return 0;
    } catch (err) {
      io.stderr.write(`backup: could not write ${out}: ${(err as Error).message}\n`);
      return 1;
    }
  },
};
