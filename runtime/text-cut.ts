// Cutting text to a length in UTF-16 units (what String.length and the platforms count) without splitting a
// surrogate pair. Half an emoji is not valid Unicode: the Anthropic API refuses a request holding one, and once
// it sits in a system prompt or a session's history every later request of that session would fail.

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** The first at most `n` units of `text`; one fewer when the cut would fall inside a surrogate pair. */
export function headOf(text: string, n: number): string {
  if (n >= text.length) return text;
  if (n <= 0) return '';
  return text.slice(0, isHigh(text.charCodeAt(n - 1)) && isLow(text.charCodeAt(n)) ? n - 1 : n);
}

/** The last at most `n` units of `text`; one fewer when the cut would fall inside a surrogate pair. */
export function tailOf(text: string, n: number): string {
  if (n >= text.length) return text;
  if (n <= 0) return '';
  const start = text.length - n;
  return text.slice(isLow(text.charCodeAt(start)) && isHigh(text.charCodeAt(start - 1)) ? start + 1 : start);
}
