// /skill <name> [text]: runs a turn with a skill's instructions (the model's answer is the reply).
import { UsageError, type Command } from '../types.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

export const skillCommand: Command = {
  name: 'skill',
  usage: '/skill <name> [text]',
  summary: "run a turn with a skill's instructions (without a name: the skills there are)",
  ownerOnly: false,
  async run(args, ctx) {
    const name = args[0] ?? '';
    if (name !== '' && !NAME.test(name)) throw new UsageError(`"${name.slice(0, 64)}" is not a skill name (letters, digits, . _ -).`);
    if (!ctx.deps.runSkill) return 'Skills are not available on this gateway.';
    const text = name === '' ? '' : ctx.rest.slice(ctx.rest.indexOf(name) + name.length).trim();
    const res = await ctx.deps.runSkill(ctx.inbound, name, text);
    return res.queued ? '' : res.message;
  },
};
