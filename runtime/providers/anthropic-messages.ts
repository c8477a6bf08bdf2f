// Pure translation between our model messages and the Anthropic Messages API shapes.
import type { ContentBlockParam, MessageParam, StopReason as AnthropicStopReason, Tool } from '@anthropic-ai/sdk/resources/messages';
import type { ModelMessage, StopReason, ToolSpec } from '../types/provider.js';

/**
 * Assistant tool calls become tool_use blocks; a `tool` message becomes a user message of tool_result blocks.
 * Consecutive user-side messages (tool results, then a new user text) are merged into one user turn with the
 * results first, which is the order the API requires.
 */
export function toAnthropicMessages(messages: ModelMessage[]): MessageParam[] {
  const out: MessageParam[] = [];
  const pushUser = (blocks: ContentBlockParam[]) => {
    const last = out[out.length - 1];
    if (last && last.role === 'user' && Array.isArray(last.content)) last.content.push(...blocks);
    else out.push({ role: 'user', content: blocks });
  };
  for (const m of messages) {
    if (m.role === 'user') {
      pushUser([{ type: 'text', text: m.text }]);
    } else if (m.role === 'assistant') {
      const blocks: ContentBlockParam[] = [];
      // The API refuses empty text blocks, so an assistant turn that only called tools has no text block.
      if (m.text !== '') blocks.push({ type: 'text', text: m.text });
      for (const c of m.toolCalls ?? []) blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: c.args });
      if (blocks.length > 0) out.push({ role: 'assistant', content: blocks });
    } else {
      pushUser(
        m.results.map((r) => ({
          type: 'tool_result' as const,
          tool_use_id: r.callId,
          content: r.content,
          ...(r.isError ? { is_error: true } : {}),
        })),
      );
    }
  }
  return out;
}

export function toAnthropicTools(tools: ToolSpec[]): Tool[] {
  return tools.map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: { ...t.parameters, type: 'object' },
  }));
}

export function fromAnthropicStopReason(r: AnthropicStopReason | null | undefined): StopReason {
  switch (r) {
    case 'end_turn':
    case 'stop_sequence':
      return 'end';
    case 'tool_use':
      return 'tool_use';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'max_tokens';
    default:
      return 'other';
  }
}
