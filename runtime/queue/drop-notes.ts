// The one-line notes kept for messages dropped by `drop: 'summarize'`, delivered to the next turn.

import { headOf } from '../text-cut.js';

const MAX_LINE = 160;
/** Bounds the summary so a flood cannot grow one turn's prompt without limit. */
export const MAX_NOTES = 50;

export function noteLine(description: string): string {
  const flat = description.replace(/\s+/g, ' ').trim();
  return `- ${flat.length > MAX_LINE ? `${headOf(flat, MAX_LINE - 1)}…` : flat}`;
}

/**
 * Dropped messages whose note has not reached a run yet are held here, so they stay pending in the journal
 * (a crash before their note was answered runs them again) until the run that carries the note finishes them.
 * Past MAX_HELD only the count is kept and the message is closed at once, which bounds a flood's memory.
 */
export const MAX_HELD = 200;

/** Accumulates notes (and the dropped items they stand for); past MAX_NOTES it only counts. */
export class DropNotes<T> {
  private lines: string[] = [];
  private extra = 0;
  private held: T[] = [];

  /** Notes a dropped item; false when it is only counted and not held (the caller closes it). */
  add(description: string, item: T): boolean {
    if (this.lines.length < MAX_NOTES) this.lines.push(noteLine(description));
    else this.extra++;
    if (this.held.length >= MAX_HELD) return false;
    this.held.push(item);
    return true;
  }

  get empty(): boolean {
    return this.lines.length === 0;
  }

  /** Returns the summary text and the held items, and clears; undefined when nothing was dropped. */
  take(): { summary: string; items: T[] } | undefined {
    if (this.lines.length === 0) return undefined;
    const summary = [...this.lines, ...(this.extra > 0 ? [`- … and ${this.extra} more`] : [])].join('\n');
    return { summary, items: this.clear() };
  }

  /** Forgets the notes; returns the held items. */
  clear(): T[] {
    const held = this.held;
    this.lines = [];
    this.extra = 0;
    this.held = [];
    return held;
  }
}
