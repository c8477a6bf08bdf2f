// A JSON document kept in memory and persisted with lowdb's TextFile (steno: write to `.<name>.tmp`, then
// rename over the file, so a reader or a crash sees the old or the new file, never half of one).
// Writes are coalesced: bursts of update() become one write.
import { access, mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Adapter } from 'lowdb';
import { TextFile } from 'lowdb/node';
import type { JsonDoc } from '../runtime/types/storage.js';
import { systemClock, type Clock } from '../runtime/types/clock.js';
import { isErrno, type Log } from './jsonl.js';

/** The part of runtime/clock.ts's Clock this module uses (storage must not import runtime/ beyond types). */

export interface JsonDocOptions<T> {
  log: Log;
  /** Updates within this window become one write. Default 50. */
  coalesceMs?: number;
  /** Decodes what was on disk (fill missing keys, upgrade old shapes). Throwing means "unusable": the file is
   * moved aside like an unparseable one — except UnsupportedVersionError, which stops the open. */
  migrate?: (raw: unknown) => T;
  clock?: Clock;
  /** Test hook: the raw text adapter for `file` (default lowdb's TextFile on `file`). */
  adapter?: Adapter<string>;
}

/** The file was written by a newer Switchyard: refuse to open it rather than move it aside or overwrite it. */
export class UnsupportedVersionError extends Error {
  constructor(
    readonly file: string,
    readonly found: unknown,
    readonly supported: number,
  ) {
    super(`${file} has version ${String(found)} but this Switchyard understands up to ${supported}; ` + `upgrade Switchyard or restore a backup of that file`);
    this.name = 'UnsupportedVersionError';
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

/** `<file>.corrupt-<UTC timestamp>` (with -2, -3… if that name is taken). */
async function asideName(file: string, now: number): Promise<string> {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  let name = `${file}.corrupt-${stamp}`;
  for (let i = 2; await exists(name); i++) name = `${file}.corrupt-${stamp}-${i}`;
  return name;
}

function decode<T>(text: string, migrate: ((raw: unknown) => T) | undefined): { data: T } | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { problem: `is not valid JSON (${message(err)})` };
  }
  if (!migrate) return { data: raw as T }; // without migrate the caller trusts the file's shape
  try {
    return { data: migrate(raw) };
  } catch (err) {
    if (err instanceof UnsupportedVersionError) throw err;
    return { problem: `has an unusable shape (${message(err)})` };
  }
}

export async function openJsonDoc<T>(file: string, defaults: () => T, opts: JsonDocOptions<T>): Promise<JsonDoc<T>> {
  const clock = opts.clock ?? systemClock;
  await mkdir(dirname(file), { recursive: true });
  const adapter = opts.adapter ?? new TextFile(file);

  const text = await adapter.read();
  const decoded = text === null ? { data: defaults() } : decode(text, opts.migrate);
  const corrupt = 'problem' in decoded;
  if (corrupt) {
    const aside = await asideName(file, clock.now());
    await rename(file, aside);
    opts.log(
      `storage: ${file} ${decoded.problem}; moved it to ${aside} and started from defaults. ` + `Nothing was deleted: inspect that file and copy back what you need.`,
    );
  }

  const data = corrupt ? defaults() : decoded.data;
  const doc = new CoalescedJsonDoc(data, file, adapter, clock, opts.coalesceMs ?? 50, opts.log);
  if (corrupt) {
    // Put a valid file back at once, so the next start does not find the path empty and wonder why.
    doc.update(() => {});
    await doc.flush();
  }
  return doc;
}

class CoalescedJsonDoc<T> implements JsonDoc<T> {
  private dirty = false;
  private timer: object | null = null;
  private inflight: Promise<void> | null = null;

  constructor(
    readonly data: T,
    private readonly file: string,
    private readonly adapter: Adapter<string>,
    private readonly clock: Clock,
    private readonly coalesceMs: number,
    private readonly log: Log,
  ) {}

  update(fn: (data: T) => void): void {
    fn(this.data);
    this.dirty = true;
    this.schedule();
  }

  async flush(): Promise<void> {
    if (this.timer) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.dirty || this.inflight) await this.start();
  }

  private schedule(): void {
    // A write in progress picks the change up when it ends (see drain), so no timer is needed then.
    if (this.timer || this.inflight) return;
    const h = this.clock.setTimeout(() => {
      this.timer = null;
      this.start().catch((err: unknown) => {
        this.log(`storage: writing ${this.file} failed; will retry on the next change or flush`, { err });
      });
    }, this.coalesceMs);
    // A pending write must not keep the process alive; shutdown calls flush() to write it out.
    (h as { unref?: () => void }).unref?.();
    this.timer = h;
  }

  private start(): Promise<void> {
    if (!this.inflight) {
      let failed = false;
      this.inflight = this.drain()
        .catch((err: unknown) => {
          failed = true;
          throw err;
        })
        .finally(() => {
          this.inflight = null;
          // Changes made between drain's last check and here would otherwise wait for the next update.
          if (this.dirty && !failed) this.schedule();
        });
    }
    return this.inflight;
  }

  /** Writes until nothing is dirty: updates during a write cause exactly one more write. */
  private async drain(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      const text = JSON.stringify(this.data, null, 2) + '\n';
      try {
        await this.adapter.write(text);
      } catch (err) {
        this.dirty = true;
        throw err;
      }
    }
  }
}
