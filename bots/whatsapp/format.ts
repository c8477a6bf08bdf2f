// Markdown (what models write) → WhatsApp's own formatting: *bold*, _italic_, ~strike~, `inline code` and ```
// blocks. WhatsApp has no escape character and never rejects a message for its markup, so this only rewrites what
// it recognises and leaves the rest as literal text. Inside code nothing is rewritten.

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})\s*([\w#+.-]*)[^\n]*$/;

export function markdownToWhatsApp(md: string): string {
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = FENCE_OPEN.exec(lines[i]);
    if (!m) {
      out.push(renderLine(lines[i]));
      continue;
    }
    const marker = m[1];
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !isCloser(lines[j], marker)) body.push(lines[j++]);
    // WhatsApp shows a language tag after ``` as code text, so it is dropped; the fence lines stay their own.
    out.push('```', ...body, '```');
    i = j;
  }
  return out.join('\n');
}

function isCloser(line: string, marker: string): boolean {
  const t = line.trim();
  return t.length >= marker.length && t[0] === marker[0] && /^(`+|~+)$/.test(t);
}

function renderLine(line: string): string {
  const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
  if (heading) return `*${stripEmphasis(heading[1])}*`;
  // "* item" would read as the start of bold on WhatsApp; "- item" is its list syntax.
  const bullet = /^(\s*)[*+]\s+(.*)$/.exec(line);
  if (bullet) return `${bullet[1]}- ${renderInline(bullet[2])}`;
  if (/^ {0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) return '───';
  return renderInline(line);
}

// Placeholders keep code spans and links away from the emphasis rules; \u0000 is stripped from input to be sure.
const HOLD = '\u0000';

export function renderInline(src: string): string {
  const held: string[] = [];
  const hold = (s: string) => `${HOLD}${held.push(s) - 1}${HOLD}`;
  let s = src.replace(/\u0000/g, '');
  s = s.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_m, _t: string, code: string) => hold(`\`${code}\``));
  // [label](url) → "label (url)": WhatsApp links bare URLs only.
  s = s.replace(/\[([^\]\n]+)\]\(\s*(\S+?)\s*\)/g, (_m, label: string, url: string) => hold(label === url ? url : `${emphasis(label)} (${url})`));
  s = s.replace(/\bhttps?:\/\/[^\s<>]*[^\s<>.,;:!?)'"]/g, (url) => hold(url));
  s = emphasis(s);
  const restore = new RegExp(`${HOLD}(\\d+)${HOLD}`, 'g');
  while (s.includes(HOLD)) s = s.replace(restore, (_m, n: string) => held[Number(n)]);
  return s;
}

// Order matters: bold markers become a placeholder first, so the single-* italic rule cannot eat them.
const B = '\u0001';

function emphasis(s: string): string {
  return s
    .replace(/\u0001/g, '')
    .replace(/\*\*(?=\S)([^\n]*?\S)\*\*/g, `${B}$1${B}`)
    .replace(/(^|[^\w])__(?=\S)([^_\n]*?\S)__(?!\w)/g, `$1${B}$2${B}`)
    .replace(/(^|[^*\w])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![*\w])/g, '$1_$2_')
    .replace(/~~(?=\S)([^~\n]*?\S)~~/g, '~$1~')
    .replace(/\u0001/g, '*');
}

/** Heading text is bolded as a whole, so bold markers inside it would close it early. */
function stripEmphasis(s: string): string {
  return renderInline(s.replace(/\*\*|__/g, ''));
}
