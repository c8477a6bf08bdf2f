// A model for the fan-out benchmark: each turn first calls the `time` tool, then streams its answer in `deltas`
// pieces `gapMs` apart (real timers), so a run produces lifecycle, tool and many assistant events.
import type { ModelCallEvent, ModelCallRequest, ModelCaller } from '../../runtime/agent/model-caller.js';

export function streamingCaller(deltas = 40, gapMs = 5): ModelCaller & { readonly calls: number } {
  let calls = 0;
  async function* reply(req: ModelCallRequest): AsyncGenerator<ModelCallEvent> {
    calls++;
    const toolDone = req.messages.some((m) => m.role === 'tool');
    if (!toolDone) {
      yield { type: 'done', text: '', toolCalls: [{ id: `t${calls}`, name: 'time', args: {} }], usage: { inputTokens: 1, outputTokens: 1 }, stopReason: 'tool_use' };
      return;
    }
    let text = '';
    for (let i = 0; i < deltas; i++) {
      await new Promise((r) => setTimeout(r, gapMs));
      const piece = `word${i} `;
      text += piece;
      yield { type: 'text', delta: piece };
    }
    yield { type: 'done', text, toolCalls: [], usage: { inputTokens: 1, outputTokens: deltas }, stopReason: 'end' };
  }
  return {
    get calls() {
      return calls;
    },
    stream: (req) => reply(req),
  };
}
