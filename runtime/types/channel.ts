// The contract between bots/ (platform adapters) and the runtime. Adapters report facts, never policy.
import type { ZodType } from 'zod';
import type { WebchatTransport } from './control.js';
import type { Clock } from './clock.js';

export type { Clock, TimerHandle } from './clock.js';

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
  /**
   * What the platform calls a thread, set by the adapter whenever `threadId` is: `topic` (Telegram forum topics)
   * or `thread` (Discord, Slack). Session keys, /bind scopes and every description of a chat use this word.
   */
  threadWord?: ThreadWord;
}

export type ThreadWord = 'topic' | 'thread';

/**
 * The word for a chat's thread: what its adapter said, else the word chats recorded before adapters said it
 * had (journal, sessions.json, approvals in state.json): only Telegram forums set isForum, and their threads
 * were topics. The one place that default lives, so a persisted forum topic keeps its `:topic:` session key.
 */
export function threadWordOf(chat: Pick<ChatRef, 'threadWord' | 'isForum'>): ThreadWord {
  return chat.threadWord ?? (chat.isForum ? 'topic' : 'thread');
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
  /**
   * The private chat with a user, opened when the platform needs that (Discord `POST /users/@me/channels`, Slack
   * `conversations.open`, WhatsApp the user's JID; Telegram and web chat answer at once). Every "tell this
   * person" path (owner notices, approval requests, pairing answers) addresses people through this.
   * Throws ChannelSendError when the person cannot be reached.
   */
  openDirect?(userId: string): Promise<ChatRef>;
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

// ---------------------------------------------------------------------------------------------------------------
// The adapter registry: what one platform folder gives the composition root (bots/registry.ts lists them).
// Adding a platform touches its own folder, one line in that list, and its config schema (in its folder).

/**
 * What a channel's config says about one group/channel/thread chat, as the platform's config shape spells it
 * (Telegram groups/topics, Discord guilds/channels, Slack channels, WhatsApp groups). The runtime applies the
 * policy (enabled, mention, senders); the adapter module only looks the settings up.
 */
export interface ChatSettings {
  /** false: the bot ignores this chat (or this topic). */
  enabled?: boolean;
  /** Default true: only messages that address the bot (mentionsBot) are answered. */
  requireMention?: boolean;
  /** Senders allowed here (ids or usernames); absent = everyone (unless allowRoles says otherwise). */
  allowFrom?: string[];
  /** Discord roles whose members are allowed here; a sender passes when allowFrom OR allowRoles matches. */
  allowRoles?: string[];
  /**
   * Per-chat tool policy (deny-first, may only restrict). A list is several layers, outer chat first (a group's,
   * then its topic's): every layer must permit a tool, which no single merged allow list can express.
   */
  tools?: ChatToolPolicy | ChatToolPolicy[];
  /** Per-chat agent (Telegram `topics.<id>.agentId`), with the config path that set it (shown by /agents). */
  agent?: { agentId: string; rule: string };
}

export interface ChatToolPolicy {
  allow?: string[];
  deny?: string[];
  /** The config path it came from, named when a tool is refused (e.g. `channels.telegram.groups[-100].tools`). */
  source?: string;
}

/** Direct-message policy of a channel block: `dmPolicy` + `allowFrom`, the same keys on every platform. */
export interface DirectSettings {
  dmPolicy: 'pairing' | 'allowlist' | 'open' | 'disabled';
  allowFrom: string[];
}

/**
 * The zod schema of `channels.<id>` (strict objects: unknown keys are errors). The loader puts it into the whole
 * config's schema, so its problems are reported like every other key's (dotted path, expected, found).
 */
export type ConfigSchema<C> = ZodType<C>;

export interface ChannelFactoryDeps {
  log: Logger;
  env: Record<string, string | undefined>;
  /** The state directory (e.g. WhatsApp credentials live under it). */
  home: string;
  clock: Clock;
  /** Small persistent numbers an adapter keeps across restarts (Telegram update offsets), in state.json. */
  offsets: { get(key: string): number | undefined; set(key: string, v: number): void };
  /** The web chat's transport: the control plane hands the web chat module its users' messages (runtime/protocol). */
  webchat?: WebchatTransport;
}

export interface ChannelModule<C = unknown> {
  id: ChannelId;
  /** Validates `channels.<id>`. */
  configSchema: ConfigSchema<C>;
  /**
   * Environment variables that fill a key of the block when the file leaves it out (`unless` other keys are set);
   * the block is created when absent, so the variable alone enables the platform.
   */
  envOverlays?: { env: string; key: string; unless?: string[] }[];
  /** `cfg` is the parsed block (undefined when absent); `accountId` the bot account the message came to. */
  directSettings(cfg: C | undefined, accountId: string): DirectSettings;
  /** Settings for a non-direct chat; undefined when the config does not allow that chat at all. */
  chatSettings(cfg: C | undefined, chat: ChatRef, accountId: string): ChatSettings | undefined;
  /**
   * The bot accounts the block configures: 'default' (the block's own credentials) and each key of
   * `accounts.<accountId>`. Bindings naming another accountId are refused at load.
   */
  accountIds?(cfg: C): string[];
  /** Agent ids the block names (checked against agents.list at load), with their dotted config paths. */
  agentRefs?(cfg: C): { path: string; agentId: string }[];
  /**
   * One Channel per configured account; [] when the block is absent or has no credentials. Imports the platform
   * SDK (dynamic import) only when it returns channels, so an unconfigured platform costs no memory.
   */
  create(cfg: C | undefined, deps: ChannelFactoryDeps): Promise<Channel[]>;
}
