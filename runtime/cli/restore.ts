// `switchyard restore <file>`: unpacks a `switchyard backup` archive into an empty state directory. It refuses a
// directory that holds anything (it would mix two gateways' state) and any archive entry that is not a plain
// file or directory inside the home (no links, no absolute or `..` paths), and checks the archive is a backup.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand, CliIo } from './types.js';
import { cliHome } from './home.js';
import { MANIFEST, type BackupManifest } from './backup.js';

const loadTar = () => createRequire(import.meta.url)('tar') as typeof import('tar');

const USAGE = `Usage: switchyard restore <file>

Unpacks a backup made by \`switchyard backup\` into $SWITCHYARD_HOME (default ~/.switchyard), which must be empty
or not exist yet. Stop nothing: restore into a new directory, then start the gateway on it.
`;

const SAFE_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\0]+$/;

interface Listing {
  manifest?: BackupManifest;
  problems: string[];
  files: number;
}

/** Reads the archive once without writing anything: its manifest and every entry that would be refused. */
async function inspect(file: string): Promise<Listing> {
  const tar = loadTar();
  const out: Listing = { problems: [], files: 0 };
  const reads: Promise<void>[] = [];
  await tar.t({
    file,
    strict: true,
    onReadEntry: (entry) => {
      const path = entry.path.replace(/\/+$/, '');
      if (entry.type !== 'File' && entry.type !== 'Directory') out.problems.push(`${entry.path} is a ${entry.type}, not a file or directory`);
      else if (!SAFE_PATH.test(path)) out.problems.push(`${entry.path} points outside the state directory`);
      if (entry.type === 'File') out.files++;
      if (path === MANIFEST) {
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        reads.push(
          new Promise((r) =>
            entry.on('end', () => {
              try {
                out.manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as BackupManifest;
              } catch {
                out.problems.push(`${MANIFEST} is not valid JSON`);
              }
              r();
            }),
          ),
        );
      } else entry.resume();
    },
  });
  await Promise.all(reads);
  return out;
}

export async function restoreBackup(file: string, home: string): Promise<{ files: number; manifest: BackupManifest }> {
  const listing = await inspect(file);
  if (listing.manifest?.format !== 1) {
    throw new Error(`${file} is not a Switchyard backup (no ${MANIFEST} of format 1 in it): make one with switchyard backup`);
  }
  if (listing.problems.length > 0) throw new Error(`${file} has entries a backup never has, nothing was restored: ${listing.problems.slice(0, 3).join('; ')}`);
  await mkdir(home, { recursive: true, mode: 0o700 });
  const tar = loadTar();
  await tar.x({ file, cwd: home, strict: true, filter: (p) => p.replace(/^\.\//, '') !== MANIFEST });
  return { files: listing.files - 1, manifest: listing.manifest };
}

export const restoreCommand: CliCommand = {
  name: 'restore',
  summary: 'unpack a backup into an empty state directory',
  usage: USAGE,
  async run(argv: string[], io: CliIo): Promise<number> {
    let positionals: string[];
    try {
      ({ positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} }));
    } catch (err) {
      io.stderr.write(`restore: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    if (positionals.length !== 1) {
      io.stderr.write(`restore: expected the backup file, e.g. switchyard restore switchyard-backup-2026-01-01.tar.gz\n${USAGE}`);
      return 2;
    }
    const file = resolve(positionals[0]);
    const home = cliHome(io.env);
    if (!(await stat(file).catch(() => undefined))?.isFile()) {
      io.stderr.write(`restore: ${file} is not a file: give the path of a backup made by switchyard backup\n`);
      return 1;
    }
    const existing = await readdir(home).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
    if (existing.length > 0) {
      io.stderr.write(
        `restore: ${home} is not empty (${existing.length} entries): restore only into an empty state directory — ` +
          `set SWITCHYARD_HOME to a new directory, or move this one aside first\n`,
      );
      return 1;
    }
    try {
      const r = await restoreBackup(file, home);
      io.stdout.write(`Restored ${r.files} files from the backup of ${r.manifest.createdAt} into ${home}. Start the gateway to continue where it was.\n`);
      return 0;
    } catch (err) {
      io.stderr.write(`restore: ${(err as Error).message}\n`);
      return 1;
    }
  },
};
