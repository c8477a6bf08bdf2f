// Assembles what goes into the model's window for a session: the system prompt (workspace files included) and
// the history rebuilt from the transcript. Used by runs and by `/context` (which reports sizes, never text).
import type { ModelMessage, TranscriptStore } from '../types/index.js';
import { historyFromTranscript } from './history.js';
import { buildSystemPrompt, ensureWorkspace, loadWorkspaceFiles, type SystemPromptPart, type WorkspaceFile } from './workspace.js';

export interface AssembledContext {
  system: string;
  systemParts: SystemPromptPart[];
  files: WorkspaceFile[];
  history: ModelMessage[];
}

export function createContextAssembler(deps: { transcripts: TranscriptStore }) {
  const prepared = new Set<string>();
  return async function assemble(input: {
    agentId: string;
    workspace: string;
    sessionId?: string;
    channel: string;
    now: number;
    /** Inbound ids of the turn about to run: earlier attempts at the same messages are left out of the history. */
    inboundIds?: string[];
  }): Promise<AssembledContext> {
    if (!prepared.has(input.workspace)) {
      await ensureWorkspace(input.workspace);
      prepared.add(input.workspace);
    }
    const files = await loadWorkspaceFiles(input.workspace);
    const prompt = buildSystemPrompt({ agentId: input.agentId, files, now: input.now, channel: input.channel });
    const entries = input.sessionId ? await deps.transcripts.read(input.agentId, input.sessionId) : [];
    return { system: prompt.text, systemParts: prompt.parts, files, history: historyFromTranscript(entries, input.inboundIds) };
  };
}

export type ContextAssembler = ReturnType<typeof createContextAssembler>;

export { messageChars } from '../context/budget.js';
