// What the runtime needs from storage/. storage/ implements these over lowdb JSON files and JSONL files;
// tests may implement them in memory.
import type { ChannelId, ChatRef, Inbound } from './channel.js';
import type { ModelMessage, Usage } from './provider.js';
import type { WebchatUser } from './control.js';

/** A JSON document persisted atomically (temp file + rename), with writes coalesced. */
export interface JsonDoc<T> {
  readonly data: T;
  /** Mutates the document and schedules a coalesced write. */
  update(fn: (data: T) => void): void;
  /** Writes pending changes now. */
  flush(): Promise<void>;
}

// ---- transcripts (JSONL, append-only, versioned header) ----

export const TRANSCRIPT_VERSION = 1;

export interface TranscriptHeader {
  type: 'header';
  version: number;
  sessionId: string;
  sessionKey: string;
  agentId: string;
  createdAt: number;
}

export type TranscriptEntry =
  | { type: 'message'; ts: number; runId?: string; message: ModelMessage; usage?: Usage; inboundIds?: string[] }
  | { type: 'compaction'; ts: number; summary: string; replacedEntries: number }
  | { type: 'event'; ts: number; runId?: string; name: string; data?: Record<string, unknown> }
  /** Entries of types this version does not know are kept as they are and skipped. */
  | { type: string; ts?: number; [k: string]: unknown };

export interface TranscriptStore {
  /** Creates the file with its header line if it does not exist. */
  create(header: Omit<TranscriptHeader, 'type' | 'version'>): Promise<void>;
  append(agentId: string, sessionId: string, entry: TranscriptEntry): Promise<void>;
  /** All entries after the header, including unknown ones. Missing file → []. */
  read(agentId: string, sessionId: string): Promise<TranscriptEntry[]>;
  /** The transcript's size on disk in bytes (0 when it does not exist). */
  bytes?(agentId: string, sessionId: string): Promise<number>;
}

// ---- sessions (agents/<agentId>/sessions/sessions.json) ----

export interface SessionEntry {
  sessionId: string;
  sessionKey: string;
  agentId: string;
  createdAt: number;
  updatedAt: number;
  channel?: ChannelId;
  /** Where replies go (last inbound chat). */
  lastChat?: Inbound['chat'];
  lastAccountId?: string;
  /** Per-session overrides set from chat. */
  modelOverride?: string;
  queueOverride?: { mode?: string; debounceMs?: number; cap?: number; drop?: string };
  /** Auth profile that last worked for this session (stickiness). */
  stickyProfile?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** Earlier transcripts of this key (after /new or /reset), newest last. */
  previousSessionIds?: string[];
}

export interface SessionStore {
  get(agentId: string, sessionKey: string): SessionEntry | undefined;
  /** Creates or updates the entry (coalesced write). */
  put(entry: SessionEntry): void;
  list(agentId: string): SessionEntry[];
  flush(): Promise<void>;
}

// ---- gateway state (state.json) ----

export interface StoredBinding {
  id: string;
  agentId: string;
  match: {
    channel: ChannelId;
    accountId?: string;
    peer?: { kind: 'direct' | 'group' | 'channel'; id: string };
    guildId?: string;
    teamId?: string;
    roles?: string[];
  };
  createdBy: string;
  createdAt: number;
}

export interface PairingRequest {
  code: string;
  channel: ChannelId;
  accountId: string;
  senderId: string;
  senderName?: string;
  createdAt: number;
  expiresAt: number;
}

export interface ProfileHealth {
  /** Consecutive failures that drive the cooldown ladder. */
  errorCount: number;
  /** Consecutive server faults (5xx, overload, cut streams, timeouts); the ladder starts after a few. */
  serverFaults?: number;
  /** Failures per kind, for /status. */
  failureCounts: Record<string, number>;
  cooldownUntil?: number;
  /** Error kind that started the current cooldown (rate_limit, overloaded, …), for messages and /status. */
  cooldownReason?: string;
  disabledUntil?: number;
  disabledReason?: string;
  billingCount?: number;
  lastFailureAt?: number;
  lastUsedAt?: number;
  lastGoodAt?: number;
}

export interface ApprovalRecord {
  id: string;
  runId: string;
  sessionKey: string;
  agentId: string;
  tool: string;
  command: string;
  createdAt: number;
  expiresAt: number;
  status: 'pending' | 'allow-once' | 'allow-always' | 'deny' | 'expired';
  decidedBy?: string;
  decidedAt?: number;
  /** Platform message ids of the approval prompts sent to approvers: `<channel>:<accountId>:<chatId>:<messageId>`. */
  promptRefs: string[];
  origin: { channel: ChannelId; accountId: string; chat: Inbound['chat'] };
}

export interface GatewayState {
  version: number;
  bindings: StoredBinding[];
  /** `<channel>:<senderId>` of DM senders approved through pairing. */
  pairedSenders: string[];
  pairingRequests: PairingRequest[];
  approvals: ApprovalRecord[];
  /** agentId → exec command patterns allowed always. */
  execAllowlist: Record<string, string[]>;
  /** profileId → health (cooldowns survive restarts). */
  profiles: Record<string, ProfileHealth>;
  /** `<channel>:<accountId>` → platform offset (e.g. Telegram next update_id). */
  channelOffsets: Record<string, number>;
  /** Web chat users invited by an owner (`/webchat invite`), each bound to a personal token (stored hashed). */
  webchatUsers: WebchatUser[];
}

// ---- audit (audit/<date>.jsonl) ----

export interface AuditRecord {
  ts: number;
  kind: 'tool' | 'approval' | 'admin' | 'failover' | 'access' | 'delivery';
  [k: string]: unknown;
}

export interface AuditLog {
  append(rec: Omit<AuditRecord, 'ts'> & { ts?: number }): Promise<void>;
  /** Latest n records, newest last. */
  tail(n: number): Promise<AuditRecord[]>;
}

// ---- inbound journal (crash safety) ----

/** Where a journaled message goes: enough to send it again after a restart. */
export interface JournalTarget {
  channel: ChannelId;
  accountId: string;
  chat: ChatRef;
  replyToId?: string;
}

export type JournalEntry =
  | { type: 'accepted'; id: string; ts: number; agentId: string; sessionKey: string; inbound: Inbound }
  /**
   * A message's chunks, recorded before delivery starts: the final reply of the run that handled these inbound
   * ids, or (ids `out:…`) a message of the gateway's own. `to` is absent in journals written before it existed
   * (the reply then goes where its accepted message came from).
   */
  | { type: 'reply'; ids: string[]; ts: number; runId: string; chunks: string[]; to?: JournalTarget; format?: 'plain' }
  | { type: 'sent'; ids: string[]; ts: number; chunk: number; messageId: string }
  | { type: 'done'; ids: string[]; ts: number };

export interface InboundJournal {
  append(e: JournalEntry): Promise<void>;
  /** Entries whose inbound ids are not done yet (what a restart must finish), in order. */
  pending(): Promise<JournalEntry[]>;
  /**
   * Rewrites the journal keeping only unfinished work (called at start-up). Returns the ids of the finished
   * messages it dropped, in order: a platform may deliver them again if its offset was not saved yet.
   */
  compact(): Promise<{ finished: string[] }>;
}
