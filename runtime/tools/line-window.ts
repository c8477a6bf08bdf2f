// Reads a window of lines from an open file with bounded memory, whatever the file's shape: the file is read in
// fixed chunks, lines before the window are only counted, and a line is kept only as far as the character
// budget reaches (a 300 MB line costs a chunk of memory, not 300 MB). Lines end at \n, \r\n or a lone \r, as
// readline splits them.
import type { FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { headOf } from '../text-cut.js';

const CHUNK_BYTES = 64 * 1024;
const TERMINATOR = /[\r\n]/g;

export interface LineWindowRequest {
  /** First line to return (1-based). */
  offset: number;
  /** At most this many lines. */
  limit?: number;
  /** At most this many characters in all (lines joined with "\n"). */
  cap: number;
  signal?: AbortSignal;
}

export interface LineWindow {
  lines: string[];
  /** Says where the window was cut and how to continue; '' when the file ended inside it. */
  note: string;
  /** Lines seen (all of the file's lines when it ended inside the window). */
  lineNo: number;
}

export async function readLineWindow(fh: FileHandle, req: LineWindowRequest): Promise<LineWindow> {
  const decoder = new StringDecoder('utf8');
  const buf = Buffer.alloc(CHUNK_BYTES);
  const lines: string[] = [];
  let chars = 0;
  let lineNo = 0;
  let inLine = false;
  /** The kept part of the current line (only inside the window, and only as far as the budget reaches). */
  let cur = '';
  /** The current line's whole length so far, in UTF-16 units like String.length. */
  let curLen = 0;
  /** The current line is the first of the window and longer than the cap: only its head is kept. */
  let overflow = false;
  /** The previous chunk ended in \r: a \n first in the next one belongs to the same line end. */
  let pendingCR = false;
  let note = '';
  let stop = false;

  const startLine = (): void => {
    lineNo++;
    inLine = true;
    cur = '';
    curLen = 0;
    overflow = false;
    if (lineNo >= req.offset && req.limit !== undefined && lines.length >= req.limit) {
      note = `[more lines follow; continue with offset=${lineNo}]`;
      stop = true;
    }
  };

  const addText = (text: string, from: number, to: number): void => {
    curLen += to - from;
    if (lineNo < req.offset || overflow) return;
    const budget = req.cap - chars - 1; // the line and its "\n" must fit
    if (cur.length + (to - from) <= budget) {
      cur += text.slice(from, to);
      return;
    }
    if (lines.length > 0) {
      note = `[output cut at ${req.cap} characters; continue with offset=${lineNo}]`;
      stop = true;
      return;
    }
    // The first line alone is too long: keep its head and read on only to count it.
    cur = headOf(cur + text.slice(from, Math.min(to, from + req.cap - cur.length + 1)), req.cap);
    overflow = true;
  };

  const endLine = (): void => {
    inLine = false;
    if (lineNo < req.offset) return;
    if (!overflow && chars + cur.length + 1 > req.cap) {
      // An empty line past the budget: addText never saw it.
      note = `[output cut at ${req.cap} characters; continue with offset=${lineNo}]`;
      stop = true;
      return;
    }
    lines.push(cur);
    if (overflow) {
      note = `[output cut: line ${lineNo} is ${curLen} characters long, only the first ${cur.length} are shown; continue with offset=${lineNo + 1}]`;
      stop = true;
    } else {
      chars += cur.length + 1;
    }
  };

  const feed = (text: string): void => {
    let i = 0;
    if (pendingCR && text.length > 0) {
      pendingCR = false;
      if (text[0] === '\n') i = 1;
    }
    while (i < text.length && !stop) {
      if (!inLine) {
        startLine();
        if (stop) return;
      }
      TERMINATOR.lastIndex = i;
      const m = TERMINATOR.exec(text);
      const end = m ? m.index : text.length;
      if (end > i) addText(text, i, end);
      if (!m || stop) return;
      endLine();
      if (text[end] === '\r') {
        if (end + 1 < text.length) i = text[end + 1] === '\n' ? end + 2 : end + 1;
        else {
          pendingCR = true;
          i = end + 1;
        }
      } else i = end + 1;
    }
  };

  let position = 0;
  while (!stop) {
    if (req.signal?.aborted) {
      note = '[read stopped: the run was aborted]';
      break;
    }
    const { bytesRead } = await fh.read(buf, 0, buf.length, position);
    if (bytesRead === 0) {
      feed(decoder.end());
      if (inLine && !stop) endLine();
      break;
    }
    position += bytesRead;
    feed(decoder.write(buf.subarray(0, bytesRead)));
  }
  return { lines, note, lineNo };
}
