// Small text helpers shared by the command replies.
import { threadWordOf, type ChatRef } from '../runtime/types/index.js';

/** 12345 → "12,345" (fixed locale so replies and tests do not depend on the host). */
export function num(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** The usual rough estimate: ~4 characters per token. */
export function tokensFor(chars: number): number {
  return Math.ceil(chars / 4);
}

export function charsAndTokens(chars: number): string {
  return `${num(chars)} chars (~${num(tokensFor(chars))} tokens)`;
}

/** One line, at most `max` characters. */
export function oneLine(s: string, max = 200): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function isoMinute(ts: number): string {
  return new Date(ts).toISOString().slice(0, 16).replace('T', ' ') + 'Z';
}

export function isoSecond(ts: number): string {
  return new Date(ts).toISOString().slice(0, 19).replace('T', ' ') + 'Z';
}

/** "in 12 min", "in 30 s", "expired". */
export function timeLeft(until: number, now: number): string {
  const ms = until - now;
  if (ms <= 0) return 'expired';
  return ms >= 60_000 ? `in ${Math.round(ms / 60_000)} min` : `in ${Math.ceil(ms / 1000)} s`;
}

/** "telegram group -100123 topic 7", "discord channel 55 thread 9", "webchat DM". */
export function describeChat(channel: string, chat: ChatRef): string {
  if (chat.kind === 'direct') return `${channel} DM`;
  const title = chat.title ? ` "${chat.title}"` : '';
  const base = chat.threadId ? (chat.parentId ?? chat.id) : chat.id;
  const thread = chat.threadId ? ` ${threadWordOf(chat)} ${chat.threadId}` : '';
  return `${channel} ${chat.kind}${title} ${base}${thread}`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
