// What the control plane shows about each channel account: connected or not, its last error and its last event.
// Channels do not report this themselves, so each one is observed through a thin wrapper (start/stop/send and the
// inbound handler); state changes and errors become `channel.status` events.
import type { Channel, Inbound } from '../types/index.js';
import type { EventHub } from './event-hub.js';

export interface ChannelStatus {
  channel: string;
  accountId: string;
  state: 'starting' | 'connected' | 'stopped' | 'error';
  lastEventAt?: number;
  lastError?: { message: string; at: number };
  startedAt?: number;
}

export interface ChannelStatusBoard {
  observe(c: Channel): Channel;
  list(): ChannelStatus[];
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 300);

export function createChannelStatusBoard(deps: { hub: EventHub; now(): number }): ChannelStatusBoard {
  const board = new Map<string, ChannelStatus>();

  const set = (s: ChannelStatus, patch: Partial<ChannelStatus>, announce = true) => {
    Object.assign(s, patch);
    if (announce) deps.hub.publish('channel.status', { ...s });
  };

  return {
    observe(c) {
      const s: ChannelStatus = { channel: c.id, accountId: c.accountId, state: 'starting' };
      board.set(`${c.id}:${c.accountId}`, s);
      const wrapped: Partial<Channel> = {
        async start(onInbound) {
          try {
            await c.start((m: Inbound) => {
              s.lastEventAt = deps.now();
              return onInbound(m);
            });
            set(s, { state: 'connected', startedAt: deps.now() });
          } catch (err) {
            set(s, { state: 'error', lastError: { message: errText(err), at: deps.now() } });
            throw err;
          }
        },
        async stop() {
          try {
            await c.stop();
          } finally {
            set(s, { state: 'stopped' });
          }
        },
        async send(o) {
          try {
            return await c.send(o);
          } catch (err) {
            set(s, { lastError: { message: errText(err), at: deps.now() } });
            throw err;
          }
        },
      };
      // Everything else (limits, botUsername getters, typing, openDirect …) is the channel's own.
      return new Proxy(c, {
        get(target, prop, receiver) {
          if (prop in wrapped) return wrapped[prop as keyof Channel];
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
    list: () => [...board.values()].map((s) => ({ ...s })),
  };
}
