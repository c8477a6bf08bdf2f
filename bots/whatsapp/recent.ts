// What the sender remembers about recent inbound messages, bounded so a busy number cannot grow it:
// - the messages themselves, to quote them in a group answer (Baileys builds a quote from the whole message);
// - each chat's disappearing-message timer, so answers disappear like the rest of the chat;
// - each chat's keys not yet marked read, for read receipts once the gateway acts on the chat.
// A restart forgets all three: an answer resumed after a restart is then sent without a quote, which is harmless.
import type { WAMessage, WAMessageKey } from '@whiskeysockets/baileys';

export const RECENT_LIMITS = { messages: 500, chats: 500, unreadPerChat: 100 };

interface ChatMemo {
  expiration?: number;
  unread: WAMessageKey[];
}

export class RecentMessages {
  private readonly messages = new Map<string, WAMessage>();
  private readonly chats = new Map<string, ChatMemo>();

  constructor(private readonly limits = RECENT_LIMITS) {}

  /** Records an inbound message under the chat id the adapter reported it in. */
  remember(chatId: string, msg: WAMessage, expiration: number | undefined): void {
    const id = msg.key?.id;
    if (!id) return;
    bump(this.messages, `${chatId}|${id}`, msg, this.limits.messages);
    const memo = this.chats.get(chatId) ?? { unread: [] };
    // Each message carries the chat's current timer; 0 (or none) means disappearing messages were turned off.
    memo.expiration = expiration && expiration > 0 ? expiration : undefined;
    memo.unread.push(msg.key);
    if (memo.unread.length > this.limits.unreadPerChat) memo.unread.shift();
    bump(this.chats, chatId, memo, this.limits.chats);
  }

  message(chatId: string, id: string): WAMessage | undefined {
    return this.messages.get(`${chatId}|${id}`);
  }

  expiration(chatId: string): number | undefined {
    return this.chats.get(chatId)?.expiration;
  }

  /** The keys not yet marked read in the chat; they count as read from here on. */
  takeUnread(chatId: string): WAMessageKey[] {
    const memo = this.chats.get(chatId);
    if (!memo || memo.unread.length === 0) return [];
    const keys = memo.unread;
    memo.unread = [];
    return keys;
  }
}

/** Map insertion order as recency: re-inserting moves an entry to the end, the oldest goes first. */
function bump<V>(map: Map<string, V>, key: string, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > limit) map.delete(map.keys().next().value as string);
}
