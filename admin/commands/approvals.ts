// /approve, /approvals and /allowlist: the owner's side of exec approvals.
import { oneLine, timeLeft } from '../format.js';
import { UsageError, type Command } from '../types.js';

type Decision = 'allow-once' | 'allow-always' | 'deny';

export function parseDecisionWord(s: string): Decision | null {
  const t = s.toLowerCase();
  if (t === 'allow-once' || t === 'once' || t === 'yes') return 'allow-once';
  if (t === 'allow-always' || t === 'always') return 'allow-always';
  if (t === 'deny' || t === 'no') return 'deny';
  return null;
}

export const approveCommand: Command = {
  name: 'approve',
  usage: '/approve <id> allow-once|allow-always|deny',
  summary: 'decide a pending exec approval',
  ownerOnly: true,
  async run(args, ctx) {
    if (args.length !== 2) throw new UsageError();
    const decision = parseDecisionWord(args[1]);
    if (!decision) throw new UsageError(`Unknown decision "${args[1]}".`);
    return ctx.deps.approvals.decide(args[0], decision, ctx.sender);
  },
};

export const approvalsCommand: Command = {
  name: 'approvals',
  usage: '/approvals',
  summary: 'exec approvals waiting for a decision',
  ownerOnly: true,
  async run(args, ctx) {
    if (args.length > 0) throw new UsageError('This command takes no arguments.');
    const now = ctx.deps.now();
    const pending = ctx.deps.approvals.listPending();
    if (pending.length === 0) return 'No approvals are waiting.';
    const lines = [`Waiting approvals (${pending.length}):`];
    for (const a of pending.slice(0, 20)) {
      lines.push(`• ${a.id} · agent ${a.agentId} · ${a.origin.channel} ${a.origin.chat.kind} ${a.origin.chat.id} · expires ${timeLeft(a.expiresAt, now)}`);
      lines.push(`  ${oneLine(a.command, 200)}`);
    }
    if (pending.length > 20) lines.push(`(${pending.length - 20} more)`);
    lines.push('Decide with /approve <id> allow-once|allow-always|deny');
    return lines.join('\n');
  },
};

const MAX_PATTERN = 500;

export const allowlistCommand: Command = {
  name: 'allowlist',
  usage: '/allowlist list · /allowlist add <pattern> · /allowlist remove <pattern>',
  summary: "exec commands this chat's agent may run without asking (* and ? are wildcards)",
  ownerOnly: true,
  async run(args, ctx) {
    const { deps } = ctx;
    const agentId = ctx.here().agentId;
    const sub = (args[0] ?? 'list').toLowerCase();
    const current = deps.state.data.execAllowlist[agentId] ?? [];
    if (sub === 'list') {
      if (args.length > 1) throw new UsageError();
      const fromConfig = deps.config().tools.exec.allowlist;
      const lines = [`Exec allowlist of agent ${agentId} (${current.length}):`, ...current.map((p) => `• ${p}`)];
      if (current.length === 0) lines.push('  (empty)');
      if (fromConfig.length > 0) lines.push(`From config (tools.exec.allowlist, all agents): ${fromConfig.join(' · ')}`);
      return lines.join('\n');
    }
    if (sub !== 'add' && sub !== 'remove') throw new UsageError();
    // A pattern may contain spaces ("git status*"); quotes are optional.
    const pattern = args.slice(1).join(' ').trim();
    if (pattern === '') throw new UsageError('Give the pattern.');
    if (pattern.length > MAX_PATTERN || /[\r\n]/.test(pattern)) throw new UsageError(`A pattern is one line of at most ${MAX_PATTERN} characters.`);
    if (sub === 'add') {
      if (current.includes(pattern)) return `Already allowed for agent ${agentId}: ${pattern}`;
      deps.state.update((d) => void (d.execAllowlist[agentId] = [...(d.execAllowlist[agentId] ?? []), pattern]));
      await deps.state.flush();
      return `Allowed for agent ${agentId} without asking: ${pattern}`;
    }
    if (!current.includes(pattern)) return `Not in the allowlist of agent ${agentId}: ${pattern}. /allowlist list shows it.`;
    deps.state.update((d) => void (d.execAllowlist[agentId] = (d.execAllowlist[agentId] ?? []).filter((p) => p !== pattern)));
    await deps.state.flush();
    return `Removed from the allowlist of agent ${agentId}: ${pattern}`;
  },
};
