// /queue: how messages that arrive while this session is busy are handled (SessionEntry.queueOverride).
import type { SessionEntry } from '../../runtime/types/index.js';
import { num } from '../format.js';
import { UsageError, type Command } from '../types.js';

export const QUEUE_MODES = ['collect', 'followup', 'steer', 'interrupt'] as const;
export const DROP_POLICIES = ['old', 'new', 'summarize'] as const;
const MAX_DEBOUNCE_MS = 10 * 60_000;
const MAX_CAP = 1000;

export type QueueOverride = NonNullable<SessionEntry['queueOverride']>;

/** `2s`, `1.5s`, `500ms`, `500` (ms) → milliseconds; null when malformed or out of range. */
export function parseDuration(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/i.exec(s.trim());
  if (!m) return null;
  const ms = Math.round(Number(m[1]) * (m[2]?.toLowerCase() === 's' ? 1000 : 1));
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_DEBOUNCE_MS ? ms : null;
}

/** Parses `[<mode>] [debounce:<ms|s>] [cap:<n>] [drop:old|new|summarize]` (at least one part). Throws UsageError. */
export function parseQueueArgs(args: string[]): QueueOverride {
  const out: QueueOverride = {};
  if (args.length === 0) throw new UsageError();
  for (const raw of args) {
    const a = raw.toLowerCase();
    const colon = a.indexOf(':');
    if (colon < 0) {
      if (!(QUEUE_MODES as readonly string[]).includes(a)) {
        throw new UsageError(`Unknown queue mode "${raw}": use ${QUEUE_MODES.join(', ')}.`);
      }
      if (out.mode !== undefined) throw new UsageError('Give one mode only.');
      out.mode = a;
      continue;
    }
    const key = a.slice(0, colon);
    const value = a.slice(colon + 1);
    if (key === 'debounce') {
      const ms = parseDuration(value);
      if (ms === null) throw new UsageError(`Bad debounce "${value}": use milliseconds or seconds, e.g. debounce:1500 or debounce:2s (at most 10 min).`);
      out.debounceMs = ms;
    } else if (key === 'cap') {
      const n = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(n >= 1 && n <= MAX_CAP)) throw new UsageError(`Bad cap "${value}": use a whole number from 1 to ${MAX_CAP}.`);
      out.cap = n;
    } else if (key === 'drop') {
      if (!(DROP_POLICIES as readonly string[]).includes(value)) throw new UsageError(`Bad drop "${value}": use ${DROP_POLICIES.join(', ')}.`);
      out.drop = value;
    } else {
      throw new UsageError(`Unknown option "${raw}".`);
    }
  }
  return out;
}

export const queueCommand: Command = {
  name: 'queue',
  usage: `/queue [${QUEUE_MODES.join('|')}] [debounce:<ms|s>] [cap:<n>] [drop:${DROP_POLICIES.join('|')}] · /queue reset`,
  summary: 'show or change how messages sent while the bot is busy are handled in this session',
  ownerOnly: true,
  async run(args, ctx) {
    const { deps, inbound } = ctx;
    const here = ctx.here();
    const show = (prefix: string) => {
      const q = deps.queueSettings(here.sessionKey, inbound);
      const override = deps.session(here.agentId, here.sessionKey)?.queueOverride;
      const origin = override && Object.keys(override).length > 0 ? `session override: ${Object.keys(override).join(', ')}` : 'from config';
      return `${prefix}Queue: ${q.mode} · debounce ${num(q.debounceMs)} ms · cap ${q.cap} · drop ${q.drop} (${origin})`;
    };
    if (args.length === 0) return show('');
    if (args.length === 1 && args[0].toLowerCase() === 'reset') {
      deps.updateSession(here.agentId, here.sessionKey, (e) => void delete e.queueOverride);
      return show('Queue settings of this session reset. ');
    }
    const change = parseQueueArgs(args);
    deps.updateSession(here.agentId, here.sessionKey, (e) => {
      e.queueOverride = { ...e.queueOverride, ...change };
    });
    return show('Updated. ');
  },
};
