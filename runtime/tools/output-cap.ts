// Capping of tool results. A result that was cut always says so (and by how much), so the model knows
// it did not see everything and can ask for the rest.
import { headOf } from '../text-cut.js';

/** Default cap for file-tool results (characters). */
export const FS_RESULT_CAP = 50_000;

/** Cuts text to at most `max` characters, appending a note that says what was cut. */
export function capText(text: string, max: number, hint = ''): string {
  if (text.length <= max) return text;
  const head = headOf(text, max);
  const more = text.length - head.length;
  return `${head}\n[output cut: ${more} more characters not shown${hint ? `; ${hint}` : ''}]`;
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
    const head = Buffer.concat(this.head).toString('utf8');
    if (this.dropped === 0) return head + this.tail.toString('utf8');
    return `${head}\n[output cut: ${this.dropped} bytes not shown]\n${this.tail.toString('utf8')}`;
  }
}
