// The "working on it" indicator: Slack bots have no typing action, so a reaction goes on the message being
// answered while the agent works and comes off when the answer is posted. The runtime calls typing(chat) every
// few seconds during a run and knows no message ids, so the adapter remembers the newest message per chat (and
// thread). A run that ends without an answer stops refreshing; the reaction is then removed after IDLE_MS.
import type { ChatRef, Clock, TimerHandle } from '../../runtime/types/channel.js';
import { slackId } from './outbound.js';

export const WORKING_REACTION = 'hourglass_flowing_sand';
/** The runtime refreshes typing every 5 s; three missed refreshes mean the run is over. */
export const IDLE_MS = 15_000;
/** Chats remembered at once (a message per chat); the oldest is forgotten first. */
export const MAX_TRACKED_CHATS = 1000;

type React = (action: 'add' | 'remove', channel: string, ts: string, name: string) => Promise<void>;

interface Entry {
  channel: string;
  /** The newest message of the chat: the one the next run answers. */
  ts: string;
  /** The message that carries the reaction now, if any. */
  reactedTs?: string;
  timer?: TimerHandle;
  /** Reaction calls of this chat run in order, so a remove never overtakes its add. */
  chain: Promise<void>;
}

const keyOf = (chat: ChatRef) => `${slackId(chat.id)}:${chat.threadId ?? ''}`;

export class WorkingIndicator {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly deps: { clock: Clock; react: React; name?: string }) {}

  /** A message was handed to the runtime. */
  noteInbound(chat: ChatRef, ts: string): void {
    const key = keyOf(chat);
    const e = this.entries.get(key);
    if (e) {
      e.ts = ts;
      this.entries.delete(key); // re-insert: the map's order is the eviction order
      this.entries.set(key, e);
    } else {
      if (this.entries.size >= MAX_TRACKED_CHATS) this.evictOldest();
      this.entries.set(key, { channel: slackId(chat.id), ts, chain: Promise.resolve() });
    }
  }

  /** The runtime is working on this chat: react on the newest message once, and keep the reaction alive. */
  touch(chat: ChatRef): Promise<void> {
    const key = keyOf(chat);
    const e = this.entries.get(key);
    if (!e) return Promise.resolve();
    this.arm(key, e);
    if (e.reactedTs !== undefined) return e.chain;
    const ts = e.ts;
    e.reactedTs = ts;
    return this.enqueue(e, () => this.deps.react('add', e.channel, ts, this.name));
  }

  /** An answer went out to this chat: the reaction comes off. */
  done(chat: ChatRef): Promise<void> {
    const key = keyOf(chat);
    const e = this.entries.get(key);
    return e ? this.clear(key, e) : Promise.resolve();
  }

  /** Forgets every timer (on stop); reactions still on messages stay (they cannot be removed without the network). */
  dispose(): void {
    for (const e of this.entries.values()) if (e.timer) this.deps.clock.clearTimeout(e.timer);
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private get name(): string {
    return this.deps.name ?? WORKING_REACTION;
  }

  private arm(key: string, e: Entry): void {
    if (e.timer) this.deps.clock.clearTimeout(e.timer);
    e.timer = this.deps.clock.setTimeout(() => void this.clear(key, e), IDLE_MS);
  }

  private clear(key: string, e: Entry): Promise<void> {
    if (e.timer) this.deps.clock.clearTimeout(e.timer);
    e.timer = undefined;
    const reacted = e.reactedTs;
    e.reactedTs = undefined;
    // A newer message still waits for its answer: keep remembering it.
    if (reacted === undefined || reacted === e.ts) this.entries.delete(key);
    if (reacted === undefined) return e.chain;
    return this.enqueue(e, () => this.deps.react('remove', e.channel, reacted, this.name));
  }

  private enqueue(e: Entry, op: () => Promise<void>): Promise<void> {
    e.chain = e.chain.then(op, op);
    return e.chain;
  }

  private evictOldest(): void {
    const [key, e] = this.entries.entries().next().value as [string, Entry];
    if (e.timer) this.deps.clock.clearTimeout(e.timer);
    this.entries.delete(key);
  }
}
