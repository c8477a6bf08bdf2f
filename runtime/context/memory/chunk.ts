// Memory files are searched in chunks of about 400 tokens (1,600 characters) that overlap by about 80 tokens (320
// characters), cut at line ends, so a hit can be quoted with its line range and a fact on a boundary is in both.

export interface TextChunk {
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  text: string;
}

export const CHUNK_CHARS = 1_600;
export const OVERLAP_CHARS = 320;

interface Piece {
  line: number;
  text: string;
}

export function chunkText(text: string, maxChars = CHUNK_CHARS, overlapChars = OVERLAP_CHARS): TextChunk[] {
  // A line longer than a chunk is cut into pieces (all with its line number).
  const pieces: Piece[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.length <= maxChars) pieces.push({ line: i + 1, text: line });
    else for (let at = 0; at < line.length; at += maxChars) pieces.push({ line: i + 1, text: line.slice(at, at + maxChars) });
  });
  const out: TextChunk[] = [];
  let start = 0;
  while (start < pieces.length) {
    let end = start;
    let chars = pieces[start]!.text.length;
    while (end + 1 < pieces.length && chars + 1 + pieces[end + 1]!.text.length <= maxChars) {
      end++;
      chars += 1 + pieces[end]!.text.length;
    }
    const body = pieces
      .slice(start, end + 1)
      .map((p) => p.text)
      .join('\n');
    if (body.trim() !== '') out.push({ startLine: pieces[start]!.line, endLine: pieces[end]!.line, text: body });
    if (end + 1 >= pieces.length) break;
    // The next chunk starts early enough to repeat about overlapChars of this one, and always moves on.
    let next = end + 1;
    let overlap = 0;
    while (next - 1 > start && overlap + pieces[next - 1]!.text.length + 1 <= overlapChars) {
      next--;
      overlap += pieces[next]!.text.length + 1;
    }
    start = next;
  }
  return out;
}
