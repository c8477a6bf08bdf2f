// Tool-call arguments arrive as streamed JSON text. Decoding is strict: anything but a JSON object is
// reported on the ToolCall (argsError) rather than silently replaced, so the model learns what went wrong.
import type { ToolCall } from '../types/provider.js';
import { headOf } from '../text-cut.js';

export function decodeToolCall(id: string, name: string, rawArgs: string): ToolCall {
  const text = rawArgs.trim();
  if (text === '') return { id, name, args: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { id, name, args: {}, argsError: `arguments for tool "${name}" are not valid JSON (${why}): ${clip(text)}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { id, name, args: {}, argsError: `arguments for tool "${name}" must be a JSON object, got: ${clip(text)}` };
  }
  return { id, name, args: parsed as Record<string, unknown> };
}

function clip(s: string): string {
  return s.length > 200 ? `${headOf(s, 200)}…` : s;
}
