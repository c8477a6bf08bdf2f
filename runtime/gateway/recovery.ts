// After a restart: replies that were recorded but not fully sent are finished; accepted messages that never got
// a reply go back on their lanes, in their original order.
import type { Channel, InboundJournal, JournalEntry, JournalTarget, Logger } from '../types/index.js';
import type { Lanes } from '../lanes.js';
import type { Delivery, DeliveryTarget } from './delivery.js';
import type { QueuedMessage } from './queued.js';

export async function recoverJournal(deps: {
  journal: InboundJournal;
  lanes: Lanes<QueuedMessage>;
  delivery: Delivery;
  getChannel(channel: string, accountId: string): Channel | undefined;
  log: Logger;
  remember(id: string): void;
}): Promise<{ resumed: number; requeued: number }> {
  const { journal, log } = deps;
  // Finished messages are remembered too: a platform whose offset was saved a moment too late (Telegram's is
  // coalesced into state.json) delivers them again, and they must not be answered twice.
  const { finished } = await journal.compact();
  finished.forEach(deps.remember);
  const pending = await journal.pending();
  const accepted = new Map<string, Extract<JournalEntry, { type: 'accepted' }>>();
  const replies = new Map<string, { entry: Extract<JournalEntry, { type: 'reply' }>; sent: Set<number> }>();
  for (const e of pending) {
    if (e.type === 'accepted') accepted.set(e.id, e);
    else if (e.type === 'reply') replies.set(e.ids.join('|'), { entry: e, sent: new Set() });
    else if (e.type === 'sent') replies.get(e.ids.join('|'))?.sent.add(e.chunk);
  }
  let resumed = 0;
  for (const { entry, sent } of replies.values()) {
    if (deps.delivery.active(entry.ids)) continue; // sent by this process already (e.g. a notice at start-up)
    const first = entry.ids.map((id) => accepted.get(id)).find((a) => a !== undefined);
    for (const id of entry.ids) accepted.delete(id);
    entry.ids.forEach(deps.remember);
    const target = targetOf(entry, first, deps.getChannel);
    if (!target) {
      log.warn('recorded message has no channel to resume on; dropped', { ids: entry.ids });
      await deps.delivery.finish(entry.ids);
      continue;
    }
    await deps.delivery.resume(entry.ids, entry.runId, target, entry.chunks, sent, entry.format);
    resumed++;
  }
  for (const a of accepted.values()) {
    deps.remember(a.id);
    deps.lanes.enqueue(a.sessionKey, { id: a.id, agentId: a.agentId, sessionKey: a.sessionKey, inbound: a.inbound, acceptedAt: a.ts });
  }
  if (resumed || accepted.size) log.info('recovered unfinished work', { resumed, requeued: accepted.size });
  return { resumed, requeued: accepted.size };
}

/** Where a recorded message goes: its own `to` (validated: the journal is a file), else its accepted message's chat. */
function targetOf(
  entry: Extract<JournalEntry, { type: 'reply' }>,
  first: Extract<JournalEntry, { type: 'accepted' }> | undefined,
  getChannel: (channel: string, accountId: string) => Channel | undefined,
): DeliveryTarget | undefined {
  const to = entry.to as Partial<JournalTarget> | undefined;
  if (to && typeof to.channel === 'string' && typeof to.accountId === 'string' && typeof to.chat?.id === 'string') {
    const channel = getChannel(to.channel, to.accountId);
    if (!channel) return undefined;
    return { channel, chat: to.chat, ...(typeof to.replyToId === 'string' ? { replyToId: to.replyToId } : {}) };
  }
  const channel = first && getChannel(first.inbound.channel, first.inbound.accountId);
  if (!first || !channel) return undefined;
  const chat = first.inbound.chat;
  return { channel, chat, replyToId: chat.kind === 'direct' ? undefined : first.inbound.messageId };
}
