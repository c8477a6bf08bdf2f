// Where to cut a session's history for a compaction: the newest messages, up to about keepRecentTokens, are kept;
// everything before them is summarised. The cut never falls between an assistant's tool calls and their results:
// a call and its results form one unit that is kept or summarised whole.
import type { ModelMessage } from '../../types/provider.js';
import type { ViewItem } from '../../agent/history.js';
import { messageChars, tokensOf } from '../budget.js';

export interface CompactionPlan {
  /** Messages to summarise, oldest first. */
  summarise: ModelMessage[];
  /** The entry the kept part starts at. */
  firstKeptEntryId: string;
  keptTokens: number;
  summarisedTokens: number;
}

interface Unit {
  items: ViewItem[];
  tokens: number;
}

/** Consecutive items grouped so that a `tool` message stays with the assistant message that called the tools. */
export function units(items: readonly ViewItem[]): Unit[] {
  const out: Unit[] = [];
  for (const it of items) {
    const tokens = tokensOf(messageChars(it.message));
    const prev = out[out.length - 1];
    if (it.message.role === 'tool' && prev) {
      prev.items.push(it);
      prev.tokens += tokens;
    } else out.push({ items: [it], tokens });
  }
  return out;
}

/**
 * Keeps the longest run of newest units that fits in `keepTokens` (at least one unit), summarises the rest.
 * With `keepFrom` (the first entry of a turn in progress, which is not in `items`), nothing of `items` need be
 * kept: the kept part may start at that entry. Returns null when there is nothing to summarise.
 */
export function planCompaction(items: readonly ViewItem[], keepTokens: number, keepFrom?: string): CompactionPlan | null {
  const all = units(items);
  let kept = 0;
  let cut = all.length;
  while (cut > 0 && kept + all[cut - 1]!.tokens <= keepTokens) {
    cut--;
    kept += all[cut]!.tokens;
  }
  if (cut === all.length && keepFrom === undefined) {
    // Even the newest unit is larger than the budget: keep it whole, summarise the rest.
    cut--;
    kept = all[cut]?.tokens ?? 0;
  }
  if (cut <= 0) return null;
  const summarised = all.slice(0, cut);
  return {
    summarise: summarised.flatMap((u) => u.items.map((i) => i.message)),
    firstKeptEntryId: cut < all.length ? all[cut]!.items[0]!.entryId : keepFrom!,
    keptTokens: kept,
    summarisedTokens: summarised.reduce((n, u) => n + u.tokens, 0),
  };
}
