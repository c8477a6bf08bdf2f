// `/skill <name> [text]`: the user turn that runs a skill directly, with the skill's instructions in it.
import { truncateMiddle } from '../../agent/workspace.js';

/** The most of a skill's instructions put into one turn (head and tail kept, like workspace files). */
export const MAX_SKILL_BODY_CHARS = 20_000;

export function skillTurnText(skill: { name: string; displayPath: string; body: string }, request: string): string {
  const body = truncateMiddle(skill.body, MAX_SKILL_BODY_CHARS).text;
  const ask = request.trim() !== '' ? request.trim() : '(nothing more: do what the skill is for)';
  return `Use the skill "${skill.name}" for this request. Its instructions (${skill.displayPath}):\n\n${body}\n\nRequest: ${ask}`;
}
