// Assembles what goes into the model's window for a session: the system prompt (workspace files included) and
// the history rebuilt from the transcript. Used by runs and by `/context` (which reports sizes, never text).
import type { ModelMessage, TranscriptStore } from '../types/index.js';
import { historyFromTranscript } from './history.js';
import { buildSystemPrompt, ensureWorkspace, loadMemoryFile, loadWorkspaceFiles, type SystemPromptPart, type WorkspaceFile } from './workspace.js';
import type { SkillCatalog, SkillSnapshot } from '../context/skills/catalog.js';

export interface AssembledContext {
  system: string;
  systemParts: SystemPromptPart[];
  files: WorkspaceFile[];
  history: ModelMessage[];
  /** The session's skills (listed and not eligible), when a catalog is wired. */
  skills?: SkillSnapshot;
}

export function createContextAssembler(deps: { transcripts: TranscriptStore; skills?: SkillCatalog }) {
  const prepared = new Set<string>();
  return async function assemble(input: {
    agentId: string;
    workspace: string;
    sessionId?: string;
    /** The session whose skills snapshot to use (default: one per workspace). */
    sessionKey?: string;
    channel: string;
    now: number;
    /** Inbound ids of the turn about to run: earlier attempts at the same messages are left out of the history. */
    inboundIds?: string[];
    /** The owner's private session: MEMORY.md goes into the system prompt (never in groups or others' DMs). */
    privateSession?: boolean;
  }): Promise<AssembledContext> {
    if (!prepared.has(input.workspace)) {
      await ensureWorkspace(input.workspace);
      prepared.add(input.workspace);
    }
    const [files, skills, memory] = await Promise.all([
      loadWorkspaceFiles(input.workspace),
      deps.skills?.snapshot(input.sessionKey ?? `workspace:${input.workspace}`, input.workspace),
      input.privateSession ? loadMemoryFile(input.workspace) : undefined,
    ]);
    if (memory) files.push(memory);
    const extra = skills ? [{ name: 'skills', text: skills.listing.text }] : [];
    const prompt = buildSystemPrompt({ agentId: input.agentId, files, now: input.now, channel: input.channel, extra });
    const entries = input.sessionId ? await deps.transcripts.read(input.agentId, input.sessionId) : [];
    return { system: prompt.text, systemParts: prompt.parts, files, history: historyFromTranscript(entries, input.inboundIds), skills };
  };
}

export type ContextAssembler = ReturnType<typeof createContextAssembler>;

export { messageChars } from '../context/budget.js';
