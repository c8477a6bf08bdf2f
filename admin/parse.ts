// A chat command is a message that starts with `/name` (Telegram also `/name@botname`), followed by arguments
// split on whitespace; "double", 'single' and “typographic” quotes group words (phones often turn " into “ ”).

export interface ParsedCommand {
  /** Lower-case command name without the slash. */
  name: string;
  args: string[];
  /** The raw text after the name (and @mention), trimmed. */
  rest: string;
  /** The `@botname` part, when present (without '@'). */
  mention?: string;
}

// Telegram command names: letters, digits and underscores, up to 32; the name must end at whitespace or the
// end, so a path such as `/etc/hosts` or a URL is not a command.
const HEAD = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?=\s|$)/;

const QUOTES: Record<string, string> = { '"': '"', "'": "'", '“': '”', '„': '“', '«': '»' };

/**
 * Parses a standalone command. Returns null when the text is not a command, or when it is addressed to
 * another bot (`/name@other` while `botUsername` is known and different).
 */
export function parseCommand(text: string, botUsername?: string): ParsedCommand | null {
  const trimmed = text.trimStart();
  const head = HEAD.exec(trimmed);
  if (!head) return null;
  const mention = head[2];
  if (mention !== undefined && botUsername !== undefined && mention.toLowerCase() !== botUsername.replace(/^@/, '').toLowerCase()) {
    return null;
  }
  const rest = trimmed.slice(head[0].length).trim();
  return { name: head[1].toLowerCase(), args: splitArgs(rest), rest, ...(mention !== undefined ? { mention } : {}) };
}

/** Whitespace-separated words; a quoted run is one argument (quotes removed). An unclosed quote runs to the end. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    let arg = '';
    let quoted = false;
    while (i < s.length && !/\s/.test(s[i])) {
      const close = QUOTES[s[i]];
      if (close !== undefined) {
        quoted = true;
        i++;
        while (i < s.length && s[i] !== close) {
          // A backslash escapes the closing quote (and itself) inside quotes.
          if (s[i] === '\\' && (s[i + 1] === close || s[i + 1] === '\\')) i++;
          arg += s[i++];
        }
        i++; // past the closing quote (or the end)
      } else {
        arg += s[i++];
      }
    }
    if (arg !== '' || quoted) out.push(arg);
  }
  return out;
}
