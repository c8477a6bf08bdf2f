// Exec allowlist patterns: which commands run without asking the owner.
//
// Syntax: the pattern must match the whole command (leading/trailing spaces ignored). `*` matches any run of
// characters and `?` exactly one, EXCEPT shell operators and substitutions — ; & | < > ` $ ( ) and newlines —
// so `git status*` matches `git status --short` but never `git status; rm -rf ~` or `git status $(evil)`
// (those fall back to asking). `\` makes the next character literal (`\*`, `\?`, `\\`). Everything else is
// literal, case-sensitive. "allow-always" stores the approved command itself, escaped: an exact match.

const WILD_CHAR = '[^;&|<>`$()\\n\\r]';

function toRegExp(pattern: string): RegExp {
  let re = '';
  const p = pattern.trim();
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\' && i + 1 < p.length) {
      re += p[++i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (c === '*') {
      re += `${WILD_CHAR}*`;
    } else if (c === '?') {
      re += WILD_CHAR;
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

export function patternMatches(pattern: string, command: string): boolean {
  return toRegExp(pattern).test(command.trim());
}

/** The pattern that matches exactly this command. */
export function exactPattern(command: string): string {
  return command.trim().replace(/[\\*?]/g, '\\$&');
}

/** The first pattern that matches the command, if any. */
export function findMatch(patterns: readonly string[], command: string): string | undefined {
  return patterns.find((p) => p.trim() !== '' && patternMatches(p, command));
}
