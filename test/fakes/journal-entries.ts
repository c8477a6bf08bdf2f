// Inbound journal entries for the journal and storage tests.
import type { Inbound } from '../../runtime/types/channel.js';
import type { JournalEntry } from '../../runtime/types/storage.js';

/** A plain web chat DM "hi" from u1, its message id the entry's id. */
export function webchatInbound(messageId: string): Inbound {
  return {
    channel: 'webchat',
    accountId: 'default',
    chat: { kind: 'direct', id: 'u1' },
    sender: { id: 'u1' },
    messageId,
    text: 'hi',
    mentionsBot: true,
    receivedAt: 1,
  };
}

/** An 'accepted' entry for agent main's main session (at ts 1); by default for webchatInbound(id). */
export function acceptedEntry(id: string, inbound: Inbound = webchatInbound(id)): JournalEntry {
  return { type: 'accepted', id, ts: 1, agentId: 'main', sessionKey: 'agent:main:main', inbound };
}
