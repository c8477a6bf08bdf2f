// The skills part of the system prompt: one line per eligible skill (name, description, path), never a skill's
// body: the model reads a SKILL.md with the read tool when a task matches. Capped in count and characters, with a
// note saying how many were left out.

export const MAX_LISTED_SKILLS = 50;
export const MAX_LISTING_CHARS = 6_000;
const MAX_DESCRIPTION_CHARS = 200;

export interface SkillsListing {
  /** The prompt text ('' when there is no eligible skill). */
  text: string;
  listed: string[];
  /** Eligible skills left out by the cap. */
  omitted: number;
}

const HEADER =
  '## Skills\n\n' +
  'Skills are instructions for particular tasks, kept in files. When a task matches a skill below, first read its ' +
  'SKILL.md with the read tool (the path is given), then follow it. Do not read skills that do not match.\n';

export function skillsListing(
  skills: readonly { name: string; description: string; displayPath: string }[],
  caps: { count: number; chars: number } = { count: MAX_LISTED_SKILLS, chars: MAX_LISTING_CHARS },
): SkillsListing {
  if (skills.length === 0) return { text: '', listed: [], omitted: 0 };
  const lines: string[] = [];
  const listed: string[] = [];
  let chars = HEADER.length;
  for (const s of skills) {
    if (listed.length >= caps.count) break;
    const desc = s.description.length > MAX_DESCRIPTION_CHARS ? `${s.description.slice(0, MAX_DESCRIPTION_CHARS - 1)}…` : s.description;
    const line = `- ${s.name}: ${desc} (${s.displayPath})`;
    if (chars + line.length + 1 > caps.chars) break;
    lines.push(line);
    listed.push(s.name);
    chars += line.length + 1;
  }
  const omitted = skills.length - listed.length;
  const note =
    omitted > 0 ? `\n(${omitted} more skill${omitted === 1 ? ' is' : 's are'} not listed: the list is capped at ${caps.count} skills and ${caps.chars} characters.)` : '';
  return { text: `${HEADER}${lines.join('\n')}${note}`, listed, omitted };
}
