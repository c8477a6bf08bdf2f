// /compact [focus]: summarise this session's older history now. The work (a silent memory-flush turn, then a
// summarisation call) can take a while, so the command answers at once and reports the sizes when it is done.
import { num } from '../format.js';
import { UsageError, type Command, type CompactResult } from '../types.js';

const MAX_FOCUS_CHARS = 500;

export function compactResultText(r: CompactResult | undefined): string {
  if (!r) return 'Nothing to compact: this conversation has no history yet (or no model is configured).';
  const sizes = `~${num(r.tokensBefore)} → ~${num(r.tokensAfter)} tokens`;
  if (r.status === 'nothing') return `Nothing to compact: the history is already short (~${num(r.tokensBefore)} tokens).`;
  if (r.status === 'dropped') {
    return `Compacted by dropping older messages from the model's view (${sizes}): they could not be summarised (${r.failure ?? 'unknown reason'}). The transcript on disk keeps them.`;
  }
  return `Compacted: context ${sizes}.`;
}

export const compactCommand: Command = {
  name: 'compact',
  usage: '/compact [focus]',
  summary: 'summarise the older part of this conversation now (optionally saying what to keep in focus)',
  ownerOnly: false,
  async run(_args, ctx) {
    const focus = ctx.rest;
    if (focus.length > MAX_FOCUS_CHARS) throw new UsageError(`The focus is ${focus.length} characters; at most ${MAX_FOCUS_CHARS}.`);
    const run = ctx.deps.compactSession;
    if (!run) return 'Compaction is not available on this gateway.';
    void run(ctx.inbound, focus)
      .then((r) => ctx.followUp(compactResultText(r)))
      .catch((err: unknown) => {
        ctx.deps.log.error('compaction on demand failed', { err });
        return ctx.followUp(`Compaction failed: ${err instanceof Error ? err.message.slice(0, 300) : 'unknown error'}`);
      })
      .catch((err: unknown) => ctx.deps.log.error('could not report the compaction result', { err }));
    return `Compacting this conversation${focus ? ` (focus: ${focus.slice(0, 80)})` : ''}…`;
  },
};
