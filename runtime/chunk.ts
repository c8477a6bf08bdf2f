// Splits a reply into chunks that fit a platform's message limit, at the most natural boundary available:
// paragraph, then line, then sentence, then word, and a hard cut only when nothing else fits. Code fences are
// kept whole when they can be; a fence that is longer than a chunk is closed at the end of one chunk and
// reopened (same info string) at the start of the next, so every chunk renders as valid Markdown on its own.

interface Fence {
  /** Offset of the opener line's first character. */
  openStart: number;
  /** Offset just past the opener line (its newline, or the end of the text). */
  openLineEnd: number;
  /** The opener line as written, e.g. "```ts"; repeated at the start of a continuation chunk. */
  opener: string;
  /** The fence marker ("```", "~~~~"); a synthetic closer repeats it. */
  marker: string;
  /** Offset of the closer line (text length when the fence is never closed). */
  closeStart: number;
  /** Offset just past the closer line's last character. */
  closeEnd: number;
}

interface Cut {
  /** The chunk ends before this offset. */
  end: number;
  /** The next chunk starts at this offset (the separator between them is dropped). */
  next: number;
}

const OPENER = /^ {0,3}(`{3,}|~{3,})([^`\n]*)$/;

/** Finds the fenced code blocks of a Markdown text (``` and ~~~, CommonMark-style opener/closer matching). */
export function findFences(text: string): Fence[] {
  const fences: Fence[] = [];
  let open: Omit<Fence, 'closeStart' | 'closeEnd'> | null = null;
  let lineStart = 0;
  while (lineStart <= text.length) {
    const nl = text.indexOf('\n', lineStart);
    const lineEnd = nl === -1 ? text.length : nl;
    const line = text.slice(lineStart, lineEnd).replace(/\r$/, '');
    if (open === null) {
      const m = OPENER.exec(line);
      if (m) open = { openStart: lineStart, openLineEnd: lineEnd, opener: line.trimStart(), marker: m[1] };
    } else {
      const t = line.trim();
      if (t.length >= open.marker.length && t[0] === open.marker[0] && /^(`+|~+)$/.test(t)) {
        fences.push({ ...open, closeStart: lineStart, closeEnd: lineEnd });
        open = null;
      }
    }
    if (nl === -1) break;
    lineStart = nl + 1;
  }
  if (open !== null) fences.push({ ...open, closeStart: text.length, closeEnd: text.length });
  return fences;
}

/** The fence left open by a cut (its opener is in the chunk, its closer is not), if any. */
function openAt(fences: Fence[], cut: Cut): Fence | undefined {
  return fences.find((f) => f.openLineEnd <= cut.end && f.closeStart >= cut.next);
}

/** A cut inside a fence's opener or closer line would leave a broken marker behind. */
function splitsMarker(fences: Fence[], pos: number): boolean {
  return fences.some((f) => (pos > f.openStart && pos < f.openLineEnd) || (pos > f.closeStart && pos < f.closeEnd));
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

function skipNewlines(text: string, i: number): number {
  while (i < text.length && (text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text[i])) i++;
  return i;
}

type Tier = (text: string, pos: number) => Cut | null;

// Each tier says whether a chunk may end at `pos` (exclusive) and where the next one then starts.
const paragraph: Tier = (t, p) => (t[p] === '\n' && /^\n[ \t]*\r?\n/.test(t.slice(p, p + 64)) ? { end: p, next: skipSpaceLines(t, p) } : null);
const line: Tier = (t, p) => (t[p] === '\n' ? { end: p > 0 && t[p - 1] === '\r' ? p - 1 : p, next: p + 1 } : null);
const sentence: Tier = (t, p) => (isSpace(t[p]) && /[.!?…]["'”’)\]]*$/.test(t.slice(Math.max(0, p - 4), p)) ? { end: p, next: skipSpace(t, p) } : null);
const word: Tier = (t, p) => (isSpace(t[p]) && !isSpace(t[p - 1]) ? { end: p, next: skipSpace(t, p) } : null);

/** Past a run of blank lines, keeping the indentation of the next non-blank line. */
function skipSpaceLines(text: string, i: number): number {
  let j = i;
  for (;;) {
    const k = skipNewlines(text, j);
    let m = k;
    while (m < text.length && (text[m] === ' ' || text[m] === '\t')) m++;
    if (m < text.length && text[m] === '\n') {
      j = m;
      continue;
    }
    return k;
  }
}

/**
 * Splits `text` into ordered chunks of at most `max` characters (UTF-16 code units, as platforms count).
 * Text that already fits comes back as a single chunk, untouched.
 */
export function chunkText(text: string, max: number): string[] {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`chunkText: max must be a positive integer, got ${max}`);
  if (text.length <= max) return text.trim() === '' ? [] : [text];

  const fences = findFences(text);
  const chunks: string[] = [];
  let start = 0;
  let carried: Fence | undefined; // a fence left open by the previous chunk, reopened at the start of this one

  while (start < text.length) {
    const prefix = carried ? carried.opener + '\n' : '';
    if (prefix.length + (text.length - start) <= max) {
      const last = prefix + text.slice(start);
      if (last.trim() !== '') chunks.push(last);
      break;
    }
    const cut = chooseCut(text, fences, start, max - prefix.length);
    const open = openAt(fences, cut);
    const body = text.slice(start, cut.end);
    const chunk = prefix + body + (open ? '\n' + open.marker : '');
    if (body.trim() !== '') chunks.push(chunk);
    carried = open;
    start = cut.next;
    // The fence's own closer starts the rest: it was just closed synthetically, so skip it instead of
    // reopening an empty block.
    if (open && start === open.closeStart) {
      carried = undefined;
      start = skipNewlines(text, open.closeEnd);
    }
  }
  return chunks;
}

/** Picks where to end the chunk that starts at `start` given `budget` characters for its body (+ closer). */
function chooseCut(text: string, fences: Fence[], start: number, budget: number): Cut {
  const cost = (cut: Cut) => {
    const open = openAt(fences, cut);
    return cut.end - start + (open ? open.marker.length + 1 : 0);
  };
  const fits = (cut: Cut) => cut.end > start && cut.next > start && cost(cut) <= budget && !splitsMarker(fences, cut.end);
  const outside = (cut: Cut) => openAt(fences, cut) === undefined;
  const last = Math.min(text.length - 1, start + budget);

  const search = (tier: Tier, accept: (c: Cut) => boolean, minEnd: number): Cut | null => {
    for (let p = last; p > minEnd; p--) {
      const cut = tier(text, p);
      if (cut && fits(cut) && accept(cut)) return cut;
    }
    return null;
  };

  // Outside fences, a boundary that leaves a reasonably full chunk first; then any such boundary (which keeps
  // a fence that fits in the next chunk whole); then a line boundary inside a fence (closed and reopened).
  const minFill = start + Math.floor(budget * 0.3);
  const keepsFenceWhole = (cut: Cut) => {
    const f = fences.find((x) => x.openStart >= cut.next);
    return f !== undefined && f.openStart <= start + budget && f.closeEnd - f.openStart <= budget;
  };
  for (const [minEnd, accept] of [
    [minFill, outside],
    [start, (c: Cut) => outside(c) && keepsFenceWhole(c)],
  ] as const) {
    for (const tier of [paragraph, line, sentence, word]) {
      const cut = search(tier, accept, minEnd);
      if (cut) return cut;
    }
  }
  // ...but never right after an opener, which would send an empty block.
  const inFence = search(line, (c) => (openAt(fences, c)?.openLineEnd ?? start) < c.end, start);
  if (inFence) return inFence;
  // Nothing fits: a hard cut at the furthest point that fits, never inside a fence marker line and never
  // between the halves of a surrogate pair.
  for (let end = Math.min(text.length, start + budget); end > start; end--) {
    const cut = { end, next: end };
    const code = text.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) continue;
    if (fits(cut)) return cut;
  }
  return { end: start + 1, next: start + 1 }; // budget too small for any rule: still make progress
}
