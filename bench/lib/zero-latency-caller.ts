// A model that answers instantly, in process: the gateway's own overhead is all that is left to measure. The
// probe is called at the two provider edges: when a request arrives and just before the reply is handed back.
import type { ModelCallEvent, ModelCallRequest, ModelCaller } from '../../runtime/agent/model-caller.js';

export interface CallProbe {
  onRequest?(req: ModelCallRequest, at: number): void;
  onReply?(req: ModelCallRequest, at: number): void;
}

export function zeroLatencyCaller(probe: CallProbe = {}, replyText = 'ok'): ModelCaller & { readonly calls: number } {
  let calls = 0;
  async function* reply(req: ModelCallRequest): AsyncGenerator<ModelCallEvent> {
    yield { type: 'text', delta: replyText };
    calls++;
    probe.onReply?.(req, performance.now());
    yield { type: 'done', text: replyText, toolCalls: [], usage: { inputTokens: 1, outputTokens: 1 }, stopReason: 'end' };
  }
  return {
    get calls() {
      return calls;
    },
    stream(req) {
      probe.onRequest?.(req, performance.now());
      return reply(req);
    },
  };
}
