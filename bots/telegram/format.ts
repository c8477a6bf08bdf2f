// Markdown (what models write) → Telegram's HTML subset (parse_mode "HTML"). Telegram rejects the whole
// message when its entities don't parse, so this only ever emits balanced tags it supports, escapes &, < and >
// everywhere else, and leaves anything it doesn't recognise as literal text. The sender still retries as plain
// text if Telegram disagrees.

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(s: string): string {
  return escapeHtml(s).replace(/"/g, '&quot;');
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})\s*([\w#+.-]*)[^\n]*$/;

/** Converts a Markdown reply to Telegram HTML. */
export function markdownToTelegramHtml(md: string): string {
  const lines = md.split('\n');
  const out: string[] = [];
  let prose: string[] = [];
  const flushProse = () => {
    if (prose.length) out.push(prose.map(renderLine).join('\n'));
    prose = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const m = FENCE_OPEN.exec(lines[i]);
    if (!m) {
      prose.push(lines[i]);
      continue;
    }
    const marker = m[1];
    const lang = m[2];
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !isCloser(lines[j], marker)) body.push(lines[j++]);
    flushProse();
    const code = escapeHtml(body.join('\n'));
    out.push(lang ? `<pre><code class="language-${escapeAttr(lang)}">${code}</code></pre>` : `<pre>${code}</pre>`);
    i = j; // past the closer (or the end, for an unclosed fence)
  }
  flushProse();
  return out.join('\n');
}

function isCloser(line: string, marker: string): boolean {
  const t = line.trim();
  return t.length >= marker.length && t[0] === marker[0] && /^(`+|~+)$/.test(t);
}

/** One line of prose: headings and quotes become bold/blockquote-free text, the rest is inline formatting. */
function renderLine(line: string): string {
  const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
  if (heading) return `<b>${renderInline(heading[1])}</b>`;
  return renderInline(line);
}

// Placeholders keep already-rendered spans (code, links) away from the emphasis rules. \u0000 cannot occur in
// model output that survived JSON, and is stripped from input to be sure.
const HOLD = '\u0000';

export function renderInline(src: string): string {
  const held: string[] = [];
  const hold = (html: string) => `${HOLD}${held.push(html) - 1}${HOLD}`;
  let s = src.replace(/\u0000/g, '');

  // Inline code first: nothing inside it is formatted.
  s = s.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_m, _ticks: string, code: string) =>
    hold(`<code>${escapeHtml(code.trim() === '' ? code : code.replace(/^ (.*) $/, '$1'))}</code>`),
  );
  // Links: [text](url) with http(s)/tg/mailto URLs only; anything else stays literal.
  s = s.replace(/\[([^\]\n]+)\]\(\s*((?:https?:\/\/|tg:\/\/|mailto:)[^\s)]+)\s*\)/g, (_m, label: string, url: string) =>
    hold(`<a href="${escapeAttr(url)}">${emphasis(escapeHtml(label))}</a>`),
  );
  // Bare URLs stay literal (underscores and asterisks in them are not emphasis).
  s = s.replace(/\bhttps?:\/\/[^\s<>]*[^\s<>.,;:!?)'"]/g, (url) => hold(escapeHtml(url)));
  s = emphasis(escapeHtml(s));
  // A link label can hold inline code, so placeholders may nest one level.
  const restore = new RegExp(`${HOLD}(\\d+)${HOLD}`, 'g');
  while (s.includes(HOLD)) s = s.replace(restore, (_m, n: string) => held[Number(n)]);
  return s;
}

/** Bold, italic, strikethrough and spoilers on already-escaped text; each rule emits a balanced pair. */
function emphasis(s: string): string {
  return s
    .replace(/\*\*(?=\S)([^\n]*?\S)\*\*/g, '<b>$1</b>')
    .replace(/(^|[^\w])__(?=\S)([^_\n]*?\S)__(?!\w)/g, '$1<b>$2</b>')
    .replace(/(^|[^*\w])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![*\w])/g, '$1<i>$2</i>')
    .replace(/(^|[^\w])_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)/g, '$1<i>$2</i>')
    .replace(/~~(?=\S)([^~\n]*?\S)~~/g, '<s>$1</s>')
    .replace(/\|\|(?=\S)([^|\n]*?\S)\|\|/g, '<tg-spoiler>$1</tg-spoiler>');
}
