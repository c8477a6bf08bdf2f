// Sending on behalf of the gateway, over the one delivery path (delivery.ts): messages to a chat in order per chat,
// and telling a person privately, through Channel.openDirect (a Discord DM channel or a Slack conversation is not
// the user's id; only the adapter knows how to reach someone).
import { threadWordOf, type AuditLog, type Channel, type ChannelId, type InboundJournal, type Logger } from '../types/index.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { ownerKey, ownerPeople, type OwnerId } from '../owners.js';
import { createDelivery, type Delivered, type Delivery, type DeliveryFormat, type DeliveryRetry, type DeliveryTarget } from './delivery.js';

export interface OwnerDelivery {
  /** The ownerAllowFrom entry that was used, `<channel>:<userId>`. */
  owner: string;
  target: DeliveryTarget;
  messageIds: string[];
}

/** Where a message came from: owners reachable there are told there. */
export interface Origin {
  channel: ChannelId;
  accountId: string;
}

export interface Outbound {
  /**
   * Queues a message to a chat behind the ones queued before it for that chat; resolves once it was sent or given
   * up on (never rejects). Code on the inbound path must not await it: adapters wait for the inbound handler
   * before reading the next update, so one chat's 429 would stall every chat of the bot.
   */
  post(target: DeliveryTarget, text: string, format?: DeliveryFormat): Promise<Delivered>;
  /** The private chat with a person on a running channel of that platform (`account` preferred); undefined if none. */
  openDirect(channel: string, userId: string, account?: string): Promise<DeliveryTarget | undefined>;
  /**
   * Tells every owner privately, each person once: on the platform the matter came from when they are reachable
   * there, else through the first of their ownerAllowFrom entries that reaches them. Resolves with where it went.
   */
  tellOwners(text: string, from?: Origin): Promise<OwnerDelivery[]>;
}

export function createOutbound(deps: { config: () => Config; delivery: Delivery; channels: () => readonly Channel[]; log: Logger }): Outbound {
  const { delivery, log } = deps;
  const queues = new Map<string, Promise<unknown>>();

  function post(target: DeliveryTarget, text: string, format: DeliveryFormat = 'plain'): Promise<Delivered> {
    const key = `${target.channel.id}:${target.channel.accountId}:${target.chat.id}:${target.chat.threadId ?? ''}`;
    const next = (queues.get(key) ?? Promise.resolve()).then(() => delivery.send(target, text, format));
    queues.set(key, next);
    void next.then(() => {
      if (queues.get(key) === next) queues.delete(key);
    });
    return next;
  }

  /** Running channels of a platform: the given account first, then the default one, then the others. */
  function channelsOf(channel: string, account?: string): Channel[] {
    const rank = (c: Channel) => (c.accountId === account ? 0 : c.accountId === 'default' ? 1 : 2);
    return deps
      .channels()
      .filter((c) => c.id === channel)
      .sort((a, b) => rank(a) - rank(b));
  }

  async function openOn(c: Channel, userId: string): Promise<DeliveryTarget | undefined> {
    if (!c.openDirect) {
      log.warn('this channel cannot address a person privately (no openDirect)', { channel: c.id, accountId: c.accountId });
      return undefined;
    }
    try {
      return { channel: c, chat: await c.openDirect(userId) };
    } catch (err) {
      log.warn('could not open a direct chat', { channel: c.id, accountId: c.accountId, userId, err });
      return undefined;
    }
  }

  async function openDirect(channel: string, userId: string, account?: string): Promise<DeliveryTarget | undefined> {
    for (const c of channelsOf(channel, account)) {
      const target = await openOn(c, userId);
      if (target) return target;
    }
    return undefined;
  }

  /** A person's entries in the order to try them. */
  function order(person: OwnerId[], from?: Origin): OwnerId[] {
    if (!from) return person;
    return [...person.filter((e) => e.channel === from.channel), ...person.filter((e) => e.channel !== from.channel)];
  }

  async function tellOne(person: OwnerId[], text: string, from?: Origin): Promise<OwnerDelivery | undefined> {
    for (const e of order(person, from)) {
      for (const c of channelsOf(e.channel, from?.channel === e.channel ? from.accountId : undefined)) {
        const target = await openOn(c, e.userId);
        if (!target) continue;
        const sent = await post(target, text);
        if (sent.ok) return { owner: ownerKey(e.channel, e.userId), target, messageIds: sent.messageIds };
      }
    }
    log.warn('an owner could not be reached on any of their channels', { owners: person.map((e) => ownerKey(e.channel, e.userId)) });
    return undefined;
  }

  return {
    post,
    openDirect,
    async tellOwners(text, from) {
      const results = await Promise.all(ownerPeople(deps.config()).map((p) => tellOne(p, text, from)));
      return results.filter((r): r is OwnerDelivery => r !== undefined);
    },
  };
}

/**
 * The outbound side of a gateway: one delivery path and what sends over it. A reply given up on is reported to the
 * owners (told on the platform it failed on when they are reachable there).
 */
export function createGatewayOutbound(deps: {
  config: () => Config;
  channels: () => readonly Channel[];
  journal: InboundJournal;
  audit: AuditLog;
  log: Logger;
  clock: Pick<Clock, 'now' | 'setTimeout'>;
  retry?: DeliveryRetry;
}): Outbound & { delivery: Delivery } {
  const delivery = createDelivery({
    journal: deps.journal,
    audit: deps.audit,
    log: deps.log,
    clock: deps.clock,
    retry: deps.retry,
    onFailed: async (t, error) => {
      const thread = t.chat.threadId ? ` (${threadWordOf(t.chat)} ${t.chat.threadId})` : '';
      const where = `${t.channel.id} chat ${t.chat.id}${thread}`;
      void outbound.tellOwners(`⚠️ A reply to ${where} could not be delivered: ${error.slice(0, 300)}`, { channel: t.channel.id, accountId: t.channel.accountId });
    },
  });
  const outbound = createOutbound({ config: deps.config, delivery, channels: deps.channels, log: deps.log });
  return { ...outbound, delivery };
}
