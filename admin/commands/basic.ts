// Commands for everyone allowed to talk to the bot: /help, /whoami, /status, /new (/reset), /stop.
import { visibleCommands } from '../dispatch.js';
import { describeChat, num, plural } from '../format.js';
import { UsageError, type Command, type CommandContext } from '../types.js';
import { usedLine } from './context.js';

function noArgs(args: string[]): void {
  if (args.length > 0) throw new UsageError(`This command takes no arguments.`);
}

export const helpCommand: Command = {
  name: 'help',
  aliases: ['commands'],
  usage: '/help [command]',
  summary: 'list the commands you can use, or explain one',
  ownerOnly: false,
  async run(args, ctx) {
    const visible = visibleCommands(ctx.commands, ctx.owner);
    if (args.length > 1) throw new UsageError();
    if (args.length === 1) {
      const name = args[0].replace(/^\//, '').toLowerCase();
      const cmd = visible.find((c) => c.name === name || c.aliases?.includes(name));
      if (!cmd) throw new UsageError(`No command /${name} here.`);
      return `${cmd.usage}\n${cmd.summary}${cmd.ownerOnly ? ' (owner only)' : ''}`;
    }
    return ['Commands:', ...visible.map((c) => `${c.usage} — ${c.summary}`)].join('\n');
  },
};

export const whoamiCommand: Command = {
  name: 'whoami',
  usage: '/whoami',
  summary: 'who you are to the bot, and which agent and session this chat uses',
  ownerOnly: false,
  async run(args, ctx) {
    noArgs(args);
    const m = ctx.inbound;
    const here = ctx.here();
    const who = [m.sender.name, m.sender.username && `@${m.sender.username}`].filter(Boolean).join(' ');
    const lines = [
      `You: ${m.channel} id ${m.sender.id}${who ? ` (${who})` : ''}${ctx.owner ? ' — owner' : ''}`,
      `Bot account: ${m.channel}:${m.accountId}`,
      `Chat: ${describeChat(m.channel, m.chat)}${m.chat.kind === 'direct' ? ` (chat id ${m.chat.id})` : ''}`,
    ];
    if (m.chat.guildId) lines.push(`Server: ${m.chat.guildId}`);
    if (m.chat.teamId) lines.push(`Workspace: ${m.chat.teamId}`);
    lines.push(`Agent: ${here.agentId}`, `Session key: ${here.sessionKey}`);
    return lines.join('\n');
  },
};

export const statusCommand: Command = {
  name: 'status',
  usage: '/status',
  summary: 'agent, model, queue, context size and token use of this session',
  ownerOnly: false,
  async run(args, ctx) {
    noArgs(args);
    const { deps, inbound } = ctx;
    const here = ctx.here();
    const entry = deps.session(here.agentId, here.sessionKey);
    const fallback = deps.defaultModel(here.agentId);
    const model = entry?.modelOverride ? `${entry.modelOverride} (set for this session; default ${fallback ?? 'none'})` : (fallback ?? 'none configured');
    const q = deps.queueSettings(here.sessionKey, inbound);
    const lane = deps.laneStatus(here.sessionKey);
    const lines = [
      `Agent: ${here.agentId}`,
      `Session: ${here.sessionKey}${entry ? ` (transcript ${entry.sessionId})` : ' (no messages yet)'}`,
      `Model: ${model}`,
      `Queue: ${q.mode}${entry?.queueOverride ? ' (set for this session)' : ''} · ${lane.active ? 'a run is active' : 'idle'} · ${plural(lane.backlog, 'message')} waiting`,
      `Tokens used: ${num(entry?.inputTokens ?? 0)} in / ${num(entry?.outputTokens ?? 0)} out`,
    ];
    lines.push(await contextLine(ctx));
    const profiles = deps.profileHealth();
    if (profiles.length > 0) lines.push(`Auth profiles: ${profiles.map(profileLine).join(' · ')}`);
    return lines.join('\n');
  },
};

function profileLine(p: { profileId: string; status: string; failureCounts?: Record<string, number> }): string {
  const counts = Object.entries(p.failureCounts ?? {})
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`);
  return `${p.profileId} ${p.status}${counts.length ? ` (errors: ${counts.join(', ')})` : ''}`;
}

/** A failing context report must not take /status down with it. */
async function contextLine(ctx: CommandContext): Promise<string> {
  const here = ctx.here();
  try {
    const report = await ctx.deps.contextReport(here.agentId, here.sessionKey, ctx.inbound);
    return `Context: ${usedLine(report)}`;
  } catch (err) {
    ctx.deps.log.warn('context report failed for /status', { sessionKey: here.sessionKey, err });
    return 'Context: unknown (the report failed; see the log)';
  }
}

export const newCommand: Command = {
  name: 'new',
  aliases: ['reset'],
  usage: '/new (or /reset)',
  summary: 'start a fresh conversation in this chat; the old transcript is kept',
  ownerOnly: false,
  async run(args, ctx) {
    noArgs(args);
    const here = ctx.here();
    const res = await ctx.deps.resetSession(here.agentId, here.sessionKey);
    const kept = res.oldSessionId ? ` The previous transcript (${res.oldSessionId}) is kept.` : '';
    return `Started a new conversation (${res.newSessionId}).${kept}`;
  },
};

export const stopCommand: Command = {
  name: 'stop',
  usage: '/stop',
  summary: 'stop the current answer and drop the messages queued behind it',
  ownerOnly: false,
  async run(args, ctx) {
    noArgs(args);
    const res = ctx.deps.stopSession(ctx.here().sessionKey);
    if (!res.aborted && res.dropped === 0) return 'Nothing to stop.';
    const parts = [res.aborted ? 'Stopped the current run' : 'No run was active'];
    if (res.dropped > 0) parts.push(`dropped ${plural(res.dropped, 'queued message')}`);
    return `${parts.join('; ')}.`;
  },
};
