// The shapes of the chat command layer, and everything a command may act on. admin/ imports no runtime code:
// the composition root (runtime/main.ts) implements AdminDeps over the gateway, stores and pairing, so the
// commands stay pure and testable with in-memory stand-ins.
import type { Config } from '../runtime/config/schema.js';
import type { QueueSettings } from '../runtime/queue/types.js';
import type { PairingDecision } from '../runtime/pairing.js';
import type { ApprovalRecord, AuditLog, GatewayState, Inbound, JsonDoc, Logger, PairingRequest, SessionEntry } from '../runtime/types/index.js';

/** Where a message goes: its agent and session, and the routing rule that chose the agent. */
export interface Located {
  agentId: string;
  sessionKey: string;
  /** Routing tier: 'peer', 'parent-peer', 'guild', …, 'chat-config', 'default' (runtime/routing.ts MatchedBy). */
  matchedBy: string;
  /** 'config' | 'chat' | 'default'. */
  source: string;
  /** The rule, e.g. `bindings[2]` or `chat binding b-1f2e3d (by telegram:42)` (Route.binding.rule). */
  rule?: string;
}

/** What goes into the model's window for one session — sizes only, never the text. */
export interface ContextReport {
  model?: string;
  /** The model's window in tokens, when known (models.providers.<p>.contextWindow). */
  contextWindow?: number;
  /** Every part of the system prompt, INCLUDING the injected workspace files (broken down in workspaceFiles). */
  systemPrompt: { name: string; chars: number }[];
  workspaceFiles: { name: string; rawChars: number; injectedChars: number; truncated: boolean; missing: boolean }[];
  /** Tools offered to the model, with the size of their JSON schema (name + description + parameters). */
  tools: { name: string; schemaChars: number }[];
  /** The transcript sent with the next call (after compaction/pruning); `largest` feeds /context detail. */
  history: { messages: number; chars: number; largest?: { label: string; chars: number }[] };
}

export interface AdminDeps {
  config(): Config;
  log: Logger;
  now(): number;
  /** Whether `<channel>:<senderId>` is in commands.ownerAllowFrom (the runtime's one owner check). */
  isOwner(channel: string, senderId: string): boolean;
  /**
   * Whether a NON-owner may talk to the bot in this chat (the gateway's access check: allowFrom, pairing,
   * group policy). Commands run before that check, so they ask it here.
   */
  isAllowed(m: Inbound): boolean;
  /** This bot's username on the message's platform (for `/cmd@bot`), when known. */
  botUsername?(m: Inbound): string | undefined;
  locate(m: Inbound): Located;
  session(agentId: string, sessionKey: string): SessionEntry | undefined;
  /** Mutates the session entry, creating it (with a fresh sessionId) when the key has none yet. */
  updateSession(agentId: string, sessionKey: string, fn: (e: SessionEntry) => void): void;
  /** Starts a new transcript under the same key; the old one stays on disk (previousSessionIds). */
  resetSession(agentId: string, sessionKey: string): Promise<{ oldSessionId?: string; newSessionId: string }>;
  /** The queue settings in force for this session (config, per-channel and session override merged). */
  queueSettings(sessionKey: string, m: Inbound): QueueSettings;
  laneStatus(sessionKey: string): { active: boolean; backlog: number };
  /** Aborts the active run and drops what was queued behind it. */
  stopSession(sessionKey: string): { aborted: boolean; dropped: number };
  /** `<provider>/<model>` this agent uses without a session override (first candidate), if any. */
  defaultModel(agentId: string): string | undefined;
  /** Provider ids a `/model` choice may name (built-ins and models.providers). */
  providerIds(): string[];
  /** Bindings, pairing, allowlists. */
  state: JsonDoc<GatewayState>;
  audit: AuditLog;
  /** Secret scrubbing (storage/redact.ts redactSecrets): applied to audited args and to /audit output. */
  redact(value: unknown): unknown;
  contextReport(agentId: string, sessionKey: string, inbound: Inbound): Promise<ContextReport>;
  approvals: {
    /** Decides a pending approval; returns the text to show (e.g. runtime/tools/approval-text decisionText). */
    decide(id: string, decision: 'allow-once' | 'allow-always' | 'deny', by: string): Promise<string>;
    listPending(): ApprovalRecord[];
  };
  /** runtime/pairing.ts bound to the state and the clock. */
  pairing: {
    list(): PairingRequest[];
    approve(code: string): PairingDecision;
    deny(code: string): PairingDecision;
  };
  /** Personal web chat credentials (absent when the gateway runs without them). */
  webchat?: {
    /** Creates or replaces `name`'s credential; `link` is the personal web chat URL (it holds the token). */
    invite(name: string, by: string): Promise<{ userId: string; link: string; replaced: boolean }>;
    revoke(name: string): Promise<boolean>;
    list(): { userId: string; createdAt: number; createdBy: string }[];
  };
  /** Auth profile health for /status (never secrets). */
  profileHealth(): { profileId: string; status: string; failureCounts?: Record<string, number> }[];
}

export interface CommandContext {
  inbound: Inbound;
  deps: AdminDeps;
  /** The sender is in commands.ownerAllowFrom. */
  owner: boolean;
  /** `<channel>:<senderId>`, as audited and as approvals record who decided. */
  sender: string;
  /** The raw text after the command name (trimmed), for arguments that may contain spaces. */
  rest: string;
  /** This message's agent and session (computed on first use). */
  here(): Located;
  /** All registered commands (for /help). */
  commands: readonly Command[];
}

export interface Command {
  name: string;
  aliases?: string[];
  /** One line, e.g. `/bind <agentId> [topic|chat|guild|channel|account]`. */
  usage: string;
  summary: string;
  ownerOnly: boolean;
  /** Returns the reply text. Throws UsageError for bad arguments; anything else becomes "Command failed: …". */
  run(args: string[], ctx: CommandContext): Promise<string>;
}

/** Wrong arguments: the dispatcher answers with the command's usage line (and this reason, if any). */
export class UsageError extends Error {
  constructor(reason = '') {
    super(reason);
    this.name = 'UsageError';
  }
}

/** Sends a reply to the chat (and topic/thread) the command came from. */
export type Answer = (text: string) => Promise<void>;

/** Returns true when the message was a command and has been handled (answered or deliberately ignored). */
export type CommandInterceptor = (m: Inbound, answer: Answer) => Promise<boolean>;
