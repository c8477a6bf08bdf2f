// A session entry starts with a fresh transcript; runs and chat commands (/new, /queue, /model) both make them.
import type { SessionEntry, TranscriptStore } from '../types/index.js';
import { newSessionId } from '../ids.js';

export function newSessionEntry(agentId: string, sessionKey: string, now: number): SessionEntry {
  return { sessionId: newSessionId(now), sessionKey, agentId, createdAt: now, updatedAt: now };
}

/** Creates the entry's transcript file with its header (never truncates an existing one). */
export function createTranscriptFor(transcripts: TranscriptStore, e: SessionEntry): Promise<void> {
  return transcripts.create({ sessionId: e.sessionId, sessionKey: e.sessionKey, agentId: e.agentId, createdAt: e.createdAt });
}
