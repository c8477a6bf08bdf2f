// The one-line notes kept for messages dropped by `drop: 'summarize'`, delivered to the next turn.

import { headOf } from '../text-cut.js';

const MAX_LINE = 160;
/** Bounds the summary so a flood cannot grow one turn's prompt without limit. */
export const MAX_NOTES = 50;

export function noteLine(description: string): string {
  const flat = description.replace(/\s+/g, ' ').trim();
  return `- ${flat.length > MAX_LINE ? `${headOf(flat, MAX_LINE - 1)}…` : flat}`;
}

/** Accumulates notes; past MAX_NOTES it only counts. */
export class DropNotes {
  private lines: string[] = [];
  private extra = 0;

  add(description: string): void {
    if (this.lines.length < MAX_NOTES) this.lines.push(noteLine(description));
    else this.extra++;
  }

  get empty(): boolean {
    return this.lines.length === 0;
  }

  /** Returns the summary text and clears; undefined when nothing was dropped. */
  take(): string | undefined {
    if (this.lines.length === 0) return undefined;
    const text = [...this.lines, ...(this.extra > 0 ? [`- … and ${this.extra} more`] : [])].join('\n');
    this.clear();
    return text;
  }

  clear(): void {
    this.lines = [];
    this.extra = 0;
  }
}
