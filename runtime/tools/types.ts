// A tool the agent can call. Tools are plain modules: a schema and a run function; policy, sandboxing decisions,
// approvals and audit wrap them in one place (the tool runner), never inside each tool.
import type { ChatRef, ChannelId } from '../types/channel.js';
import type { ToolSpec } from '../types/provider.js';

export interface ToolContext {
  runId: string;
  sessionKey: string;
  agentId: string;
  /** Absolute path of the agent's workspace directory. */
  workspace: string;
  /** Folders the read tool may also read (absolute paths inside them), e.g. the shared skills folder. */
  readRoots?: string[];
  /** Where the run's triggering message came from. */
  origin: { channel: ChannelId; accountId: string; chat: ChatRef; senderId: string };
  /** The session is the owner's own direct-message session (sandbox mode `non-main` runs it on the host). */
  isOwnerMain: boolean;
  /** The owner's private session (their own DMs, not shared with others): MEMORY.md may be searched and read. */
  privateSession?: boolean;
  signal: AbortSignal;
}

export interface ToolOutput {
  content: string;
  isError?: boolean;
  /** Exit code for process-like tools (audited). */
  exitCode?: number;
}

export interface Tool {
  spec: ToolSpec;
  /** Policy group, e.g. `fs`, `runtime`, `web`, `core` (`group:fs` in tools.allow / tools.deny). */
  group: string;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutput>;
  /**
   * The exact text an owner approves before this tool runs (exec: the command line), or undefined when the
   * arguments are invalid. Tools without it need no approval. The runner also audits this text verbatim.
   */
  approvalSubject?(args: Record<string, unknown>): string | undefined;
}
