// /model: the model of this session (SessionEntry.modelOverride); the agent's fallbacks still apply after it.
import { formatModelRef, parseModelRef } from '../../runtime/types/provider.js';
import { UsageError, type Command } from '../types.js';

export const modelCommand: Command = {
  name: 'model',
  usage: '/model [<provider>/<model>] · /model reset',
  summary: 'show or change the model of this session',
  ownerOnly: true,
  async run(args, ctx) {
    const { deps } = ctx;
    const here = ctx.here();
    const fallback = deps.defaultModel(here.agentId) ?? 'none configured';
    if (args.length > 1) throw new UsageError();
    if (args.length === 0) {
      const override = deps.session(here.agentId, here.sessionKey)?.modelOverride;
      return override
        ? `Model: ${override} (set for this session; agent ${here.agentId} default: ${fallback}). /model reset goes back.`
        : `Model: ${fallback} (agent ${here.agentId} default).`;
    }
    if (args[0].toLowerCase() === 'reset' || args[0].toLowerCase() === 'default') {
      deps.updateSession(here.agentId, here.sessionKey, (e) => void delete e.modelOverride);
      return `Model reset to the agent default: ${fallback}.`;
    }
    const ref = parseModelRef(args[0]);
    if (!ref || /\s/.test(args[0])) throw new UsageError(`"${args[0]}" is not <provider>/<model>, e.g. anthropic/claude-sonnet-4-6.`);
    const providers = deps.providerIds();
    if (!providers.includes(ref.provider)) {
      throw new UsageError(`Unknown provider "${ref.provider}": configured providers are ${providers.join(', ') || 'none'}.`);
    }
    const model = formatModelRef(ref);
    deps.updateSession(here.agentId, here.sessionKey, (e) => void (e.modelOverride = model));
    return `Model for this session: ${model} (from the next message; agent default: ${fallback}).`;
  },
};
