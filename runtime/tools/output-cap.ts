// Capping of tool results. A result that was cut always says so (and by how much), so the model knows
// it did not see everything and can ask for the rest.
import { headOf, tailOf } from '../text-cut.js';

/** Default cap for file-tool results (characters). */
export const FS_RESULT_CAP = 50_000;

/**
 * Cuts text to about `max` characters by keeping its head and its tail (a third of the room) with a note of what
 * was cut between: the end of a result (an exec's exit code, the error that ended a build) survives the cut.
 */
export function capMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = (n: number) => `\n[output cut: ${n} characters not shown]\n`;
  const room = Math.max(0, max - note(text.length).length);
  const head = headOf(text, Math.ceil((room * 2) / 3));
  const tail = tailOf(text, room - head.length);
  return head + note(text.length - head.length - tail.length) + tail;
}

/** How many bytes at the end of `b` start a UTF-8 character that is not complete in `b`. */
function incompleteTail(b: Buffer): number {
  for (let i = 1; i <= Math.min(4, b.length); i++) {
    const byte = b[b.length - i]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead byte
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > i ? i : 0;
  }
  return 0;
}

/** How many continuation bytes `b` starts with (the rest of a character cut off before it). */
function orphanHead(b: Buffer): number {
  let i = 0;
  while (i < Math.min(3, b.length) && (b[i]! & 0xc0) === 0x80) i++;
  return i;
}

/**
 * Collects process output up to maxBytes: keeps the first two thirds of the budget from the head and the
 * last third from the tail (errors usually come last), and counts what was dropped in between.
 */
export class OutputCollector {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer = Buffer.alloc(0);
  private dropped = 0;
  private readonly headMax: number;
  private readonly tailMax: number;

  constructor(maxBytes: number) {
    this.headMax = Math.ceil((maxBytes * 2) / 3);
    this.tailMax = maxBytes - this.headMax;
  }

  push(chunk: Buffer): void {
    let rest = chunk;
    if (this.headBytes < this.headMax) {
      const take = Math.min(this.headMax - this.headBytes, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    const joined = Buffer.concat([this.tail, rest]);
    const keep = Math.min(this.tailMax, joined.length);
    this.dropped += joined.length - keep;
    this.tail = Buffer.from(joined.subarray(joined.length - keep));
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  text(): string {
    const head = Buffer.concat(this.head);
    if (this.dropped === 0) return Buffer.concat([head, this.tail]).toString('utf8');
    // The cuts fall on bytes: a character split by one is left out whole, never shown as U+FFFD.
    const h = incompleteTail(head);
    const t = orphanHead(this.tail);
    const shownHead = head.subarray(0, head.length - h).toString('utf8');
    const shownTail = this.tail.subarray(t).toString('utf8');
    return `${shownHead}\n[output cut: ${this.dropped + h + t} bytes not shown]\n${shownTail}`;
  }
}
