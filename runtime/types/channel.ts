// The contract between bots/ (platform adapters) and the runtime. Adapters report facts, never policy.

export type ChannelId = 'telegram' | 'discord' | 'whatsapp' | 'slack' | 'webchat';
export const CHANNEL_IDS: readonly ChannelId[] = ['telegram', 'discord', 'whatsapp', 'slack', 'webchat'];

/** Where a message lives. `threadId` is a Telegram forum topic or a Discord/Slack thread. */
export interface ChatRef {
  kind: 'direct' | 'group' | 'channel';
  id: string;
  threadId?: string;
  /** For a thread: the chat/channel it belongs to (routing falls back to it). */
  parentId?: string;
  guildId?: string;
  teamId?: string;
  title?: string;
  /** Telegram: the chat is a forum (supergroup with topics). */
  isForum?: boolean;
}

export interface Attachment {
  kind: 'photo' | 'document' | 'voice' | 'audio' | 'video' | 'sticker' | 'other';
  name?: string;
  mime?: string;
  url?: string;
  bytes?: number;
}

export interface Inbound {
  channel: ChannelId;
  /** Which bot account received it ('default' when a platform has one account). */
  accountId: string;
  chat: ChatRef;
  sender: { id: string; name?: string; username?: string; isBot?: boolean; roles?: string[] };
  /** Platform message id, unique within the chat. */
  messageId: string;
  /** Platform-level dedupe id (e.g. Telegram update_id) when there is one. */
  eventId?: string;
  replyToId?: string;
  /** The message this one replies to was sent by this bot. */
  replyToBot?: boolean;
  text: string;
  /** The bot was addressed: @mention, reply to the bot, or /command@bot. */
  mentionsBot: boolean;
  attachments?: Attachment[];
  receivedAt: number;
  /** Raw SDK payload, for debugging only; never stored. */
  raw?: unknown;
}

export interface Outbound {
  to: ChatRef;
  text: string;
  replyToId?: string;
  /** 'markdown' (default): the adapter renders it for the platform; 'plain': sent as is. */
  format?: 'markdown' | 'plain';
}

export interface SendResult {
  messageId: string;
}

export interface Channel {
  readonly id: ChannelId;
  readonly accountId: string;
  readonly limits: { maxText: number };
  /** The bot's own username on the platform, once known (for `/command@bot`). */
  readonly botUsername?: string;
  /** Connects and starts delivering platform events. Resolves once connected. */
  start(onInbound: (m: Inbound) => void | Promise<void>): Promise<void>;
  stop(): Promise<void>;
  /**
   * Sends one message (already chunked to limits.maxText by the runtime). Works before start() (a restart resumes
   * replies before polling begins). Throws ChannelSendError on failure.
   */
  send(o: Outbound): Promise<SendResult>;
  edit?(chat: ChatRef, messageId: string, text: string): Promise<void>;
  /** Shows a typing indicator once (platforms expire it after a few seconds). */
  typing?(chat: ChatRef): Promise<void>;
}

/** A send that failed after the adapter's own retries; `permanent` means retrying cannot help. */
export class ChannelSendError extends Error {
  constructor(
    message: string,
    readonly channel: ChannelId,
    readonly permanent: boolean,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ChannelSendError';
  }
}

/** Structured logging, passed in to whatever needs it (pino-compatible call shape: message first). */
export interface Logger {
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
  debug?(msg: string, data?: Record<string, unknown>): void;
}
