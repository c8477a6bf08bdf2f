// bolt's Logger shape over ours. The SDK's debug output carries whole payloads (message text), so it is dropped;
// its info lines go to debug; its warnings and errors are kept as warnings with a `slack sdk:` prefix: they
// describe what the SDK recovers from by itself, and the adapter logs the failures that matter as errors.
import type * as Bolt from '@slack/bolt';
import type { Logger } from '../../runtime/types/channel.js';

type SdkLogger = Bolt.Logger;
type SdkLevel = ReturnType<SdkLogger['getLevel']>;

export function sdkLogger(log: Logger, accountId: string, initial: SdkLevel): SdkLogger {
  let level = initial;
  const data = (parts: unknown[]) => {
    const err = parts.find((p): p is Error => p instanceof Error);
    return err ? { accountId, err } : { accountId };
  };
  const text = (parts: unknown[]) =>
    parts
      .filter((p) => !(p instanceof Error))
      .map((p) => (typeof p === 'string' ? p : safeJson(p)))
      .join(' ');
  return {
    debug: () => {},
    info: (...parts: unknown[]) => log.debug?.(`slack sdk: ${text(parts)}`, data(parts)),
    warn: (...parts: unknown[]) => log.warn(`slack sdk: ${text(parts)}`, data(parts)),
    error: (...parts: unknown[]) => log.warn(`slack sdk: ${text(parts)}`, data(parts)),
    setLevel: (l: SdkLevel) => void (level = l),
    getLevel: () => level,
    setName: () => {},
  };
}

function safeJson(v: unknown): string {
  try {
    const s = JSON.stringify(v) ?? String(v);
    return s.length > 300 ? `${s.slice(0, 300)}…` : s;
  } catch {
    return String(v);
  }
}
