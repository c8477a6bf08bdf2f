// The unit that flows through lanes: one accepted inbound message with its routing decided.
import type { Inbound } from '../types/index.js';
import { headOf } from '../text-cut.js';

export interface QueuedMessage {
  /** Stable across restarts: `<channel>:<accountId>:<chatId>[:<threadId>]:<messageId>`. */
  id: string;
  agentId: string;
  sessionKey: string;
  inbound: Inbound;
  acceptedAt: number;
  /** The sender was already told no model is available (one notice per message, however often it is retried). */
  notifiedUnavailable?: boolean;
}

export function inboundId(m: Inbound): string {
  const thread = m.chat.threadId ? `:${m.chat.threadId}` : '';
  return `${m.channel}:${m.accountId}:${m.chat.id}${thread}:${m.messageId}`;
}

function describeAttachments(m: Inbound): string {
  if (!m.attachments?.length) return '';
  return m.attachments
    .map((a) => {
      const bits = [a.kind, a.name, a.mime, a.bytes !== undefined ? formatBytes(a.bytes) : undefined].filter(Boolean);
      return `[attachment: ${bits.join(', ')}]`;
    })
    .join('\n');
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The text the model sees for one message: in shared chats prefixed with who said it; attachments described. */
export function messageText(m: Inbound): string {
  const body = [m.text, describeAttachments(m)].filter((s) => s.trim() !== '').join('\n');
  if (m.chat.kind === 'direct') return body;
  const who = m.sender.name || m.sender.username || m.sender.id;
  return `[${who}]: ${body}`;
}

/** The line that stands for messages dropped at the queue cap. */
export function droppedNote(summary: string): string {
  return `(Earlier messages were dropped because the queue was full:\n${summary})`;
}

/** One user turn from several queued messages (collect mode), plus a note of dropped ones. */
export function turnText(items: QueuedMessage[], droppedSummary?: string): string {
  const parts = items.map((q) => messageText(q.inbound));
  if (droppedSummary) parts.unshift(droppedNote(droppedSummary));
  return parts.join('\n\n');
}

export function describeForSummary(q: QueuedMessage): string {
  const who = q.inbound.sender.name || q.inbound.sender.id;
  const text = q.inbound.text.replace(/\s+/g, ' ').trim();
  return `${who}: ${text.length > 80 ? headOf(text, 80) + '…' : text}`;
}
