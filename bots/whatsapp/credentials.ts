// Where a linked WhatsApp number's keys live: `$SWITCHYARD_HOME/credentials/whatsapp/<accountId>/`, mode 0700 (they
// let anyone holding them read and send as that number). Baileys' multi-file auth state writes creds.json plus one
// small file per Signal key in it. No Baileys import here: the gateway asks "is this account linked?" before it
// decides to load Baileys at all.
import { chmod, lstat, mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export function credentialsDir(home: string, accountId: string): string {
  return join(home, 'credentials', 'whatsapp', accountId);
}

/** What the user types to link (or re-link) an account; named in every "not linked" and "logged out" line. */
export function loginCommand(accountId: string): string {
  return `npm run login -- whatsapp${accountId === 'default' ? '' : ` --account ${accountId}`}`;
}

/** Creates the folder (and its parents) owner-only, and refuses a symlink or a file in its place. */
export async function ensureCredentialsDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory (a link or a file is in its place): move it away and link again`);
  // mkdir's mode does not apply to a folder that already existed, nor past the umask.
  if ((st.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
}

export type LinkState = { linked: true; phone: string } | { linked: false; why: 'missing' | 'unfinished' | 'unreadable'; detail?: string };

/**
 * Whether creds.json holds a finished link: `me` is set by a pairing-code request before the phone confirms, so
 * the signed device identity (`account`), which only a completed link has, is what counts.
 */
export async function readLinkState(dir: string): Promise<LinkState> {
  let text: string;
  try {
    text = await readFile(join(dir, 'creds.json'), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { linked: false, why: 'missing' };
    return { linked: false, why: 'unreadable', detail: code ?? String(err) };
  }
  let creds: unknown;
  try {
    creds = JSON.parse(text);
  } catch (err) {
    return { linked: false, why: 'unreadable', detail: `creds.json is not JSON (${(err as Error).message})` };
  }
  const c = creds as { me?: { id?: unknown }; account?: unknown } | null;
  const id = c?.me?.id;
  if (typeof id !== 'string' || !c?.account) return { linked: false, why: 'unfinished' };
  return { linked: true, phone: phoneOf(id) };
}

/** `15551234567:12@s.whatsapp.net` → `+15551234567`. */
export function phoneOf(jid: string): string {
  return `+${jid.split('@')[0].split(':')[0]}`;
}

/**
 * After WhatsApp logged the device out its keys are useless, and leaving them would make every start try them again.
 * They are renamed, not deleted: a backup is the user's to remove.
 */
export async function moveAside(dir: string, now: number): Promise<string> {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  const target = `${dir}.logged-out-${stamp}`;
  await rename(dir, target);
  return target;
}
