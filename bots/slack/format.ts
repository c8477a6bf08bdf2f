// Markdown (what models write) → Slack mrkdwn (what a message's `text` field renders). Slack reads only three
// characters as markup starters — &, < and > — so they are escaped everywhere, which also keeps model output from
// pinging people (`<!channel>`, `<@U…>`) or forging links. Then: **bold** → *bold*, *italic* / _italic_ →
// _italic_, ~~strike~~ → ~strike~, [label](url) → <url|label>, headings → bold lines, list bullets → •, code spans
// and fences kept (a fence's info string dropped: Slack would show it as the first code line). A `>` that starts
// a quote line is left as Slack's quote marker.

export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})[^\n]*$/;

/** Converts a Markdown reply to Slack mrkdwn. */
export function markdownToMrkdwn(md: string): string {
  const lines = md.replace(/\r\n/g, '\n').split('\n');
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
    // Slack's code block is ``` only; a body that itself holds ``` would end it early, so those are broken up.
    const code = escapeMrkdwn(body.join('\n')).replace(/```/g, '`\u200b``');
    out.push('```\n' + code + '\n```');
    i = j; // past the closer (or the end, for an unclosed fence)
  }
  return out.join('\n');
}

function isCloser(line: string, marker: string): boolean {
  const t = line.trim();
  return t.length >= marker.length && t[0] === marker[0] && /^(`+|~+)$/.test(t);
}

function renderLine(line: string): string {
  const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
  if (heading) return `*${renderInline(heading[1]).replace(/^\*(.*)\*$/, '$1')}*`;
  const quote = /^ {0,3}>\s?(.*)$/.exec(line);
  if (quote) return `> ${renderInline(quote[1])}`;
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) return `${bullet[1]}• ${renderInline(bullet[2])}`;
  return renderInline(line);
}

// Placeholders keep rendered spans (code, links, URLs) away from the emphasis rules; \u0000 and \u0001 (the
// bold placeholder) are stripped from input.
const HOLD = '\u0000';

export function renderInline(src: string): string {
  const held: string[] = [];
  const hold = (s: string) => `${HOLD}${held.push(s) - 1}${HOLD}`;
  let s = src.replace(/[\u0000\u0001]/g, '');

  s = s.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_m, _ticks: string, code: string) => hold('`' + escapeMrkdwn(code).replace(/`/g, "'") + '`'));
  s = s.replace(/\[([^\]\n]+)\]\(\s*((?:https?:\/\/|mailto:)[^\s)]+)\s*\)/g, (_m, label: string, url: string) =>
    hold(`<${escapeMrkdwn(url).replace(/\|/g, '%7C')}|${emphasis(escapeMrkdwn(label.replace(/\|/g, '/')))}>`),
  );
  // Bare URLs stay literal (Slack links them itself); their _ and * are not emphasis.
  s = s.replace(/\bhttps?:\/\/[^\s<>]*[^\s<>.,;:!?)'"]/g, (url) => hold(escapeMrkdwn(url)));
  s = emphasis(escapeMrkdwn(s));
  const restore = new RegExp(`${HOLD}(\\d+)${HOLD}`, 'g');
  while (s.includes(HOLD)) s = s.replace(restore, (_m, n: string) => held[Number(n)]);
  return s;
}

/** Bold, italic and strikethrough; each rule emits a balanced pair. Bold goes through a placeholder so the italic
 * rule does not read Slack's *bold* as Markdown *italic*. */
function emphasis(s: string): string {
  const BOLD = '\u0001';
  return s
    .replace(/\*\*(?=\S)([^\n]*?\S)\*\*/g, `${BOLD}$1${BOLD}`)
    .replace(/(^|[^\w])__(?=\S)([^_\n]*?\S)__(?!\w)/g, `$1${BOLD}$2${BOLD}`)
    .replace(/(^|[^*\w])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![*\w])/g, '$1_$2_')
    .replace(/~~(?=\S)([^~\n]*?\S)~~/g, '~$1~')
    .replace(new RegExp(BOLD, 'g'), '*');
}
