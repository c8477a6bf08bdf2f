// Defensive secret scrubbing for what we write to long-lived logs. Callers should never pass secrets;
// this is the net under them, so it errs toward redacting.

export const REDACTED = '[redacted]';

/**
 * Key names whose values are secret whatever they look like. Compared lower-cased without '-' and '_':
 * exact names, or names ending in one of the suffixes. `sessionKey`, `inputTokens`, `maxTokens` stay visible.
 */
const SECRET_KEYS = new Set(['key', 'secret', 'password', 'passwd', 'pwd', 'authorization', 'cookie', 'credentials']);
const SECRET_SUFFIXES = ['token', 'secret', 'password', 'apikey', 'privatekey', 'accesskey', 'credential'];

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_KEYS.has(k) || SECRET_SUFFIXES.some((s) => k.endsWith(s));
}

const EDGE_BEFORE = '(?<![A-Za-z0-9+/_=-])';
const EDGE_AFTER = '(?![A-Za-z0-9+/_=-])';

/** Secret-looking substrings and their replacement. Only the match is replaced: a logged command keeps its shape. */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{16,}/gi, `$1 ${REDACTED}`], // HTTP auth header values
  [/\bsk-[A-Za-z0-9_-]{16,}/g, REDACTED], // OpenAI / Anthropic API keys (sk-…, sk-ant-…, sk-proj-…)
  [/\b\d{5,}:[A-Za-z0-9_-]{30,}/g, REDACTED], // Telegram bot token
  [/\bxox[a-z]-[A-Za-z0-9-]{10,}/g, REDACTED], // Slack bot/user tokens
  [/\bxapp-[A-Za-z0-9-]{10,}/g, REDACTED], // Slack app-level token
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/g, REDACTED], // GitHub tokens
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, REDACTED], // JWT
  [new RegExp(`${EDGE_BEFORE}[A-Fa-f0-9]{32,}${EDGE_AFTER}`, 'g'), REDACTED], // long hex: 32+ hex digits
];

/**
 * Long base64-ish runs (32+ chars, '/' excluded so file paths survive) count as secrets only when they mix
 * upper case, lower case and digits, as generated keys do and words, slugs and ids rarely do.
 */
const BASE64ISH = new RegExp(`${EDGE_BEFORE}[A-Za-z0-9+_-]{32,}={0,2}${EDGE_AFTER}`, 'g');

export function redactString(s: string): string {
  let out = s;
  for (const [re, replacement] of SECRET_PATTERNS) out = out.replace(re, replacement);
  return out.replace(BASE64ISH, (m) => (/[a-z]/.test(m) && /[A-Z]/.test(m) && /\d/.test(m) ? REDACTED : m));
}

/** A redacted deep copy: secret-named keys lose their value, strings lose secret-looking parts. */
export function redactSecrets(value: unknown): unknown {
  const onPath = new Set<object>(); // objects being copied right now: meeting one again is a cycle
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactString(v);
    if (typeof v !== 'object' || v === null) return v;
    if (onPath.has(v)) return '[circular]';
    onPath.add(v);
    let out: unknown;
    if (Array.isArray(v)) {
      out = v.map(walk);
    } else {
      const rec: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        rec[k] = isSecretKey(k) && x !== undefined && x !== null && x !== '' ? REDACTED : walk(x);
      }
      out = rec;
    }
    onPath.delete(v);
    return out;
  };
  return walk(value);
}
