// /agents, /bind and /unbind: which agent answers where. Chat-made bindings live in state.bindings; routing
// reads them on every message, so a change applies from the next message without a restart.
import { randomBytes } from 'node:crypto';
import type { StoredBinding } from '../../runtime/types/index.js';
import { availableScopes, BIND_SCOPES, defaultScope, describeMatch, matchForScope, parseScope, sameMatch, type BindScope } from '../bind-scope.js';
import { isoMinute } from '../format.js';
import { UsageError, type Command, type CommandContext, type Located } from '../types.js';

export function describeRoute(l: Located): string {
  if (l.matchedBy === 'default' || l.source === 'default') return `agent ${l.agentId} (the default agent: no binding matches)`;
  return `agent ${l.agentId} via ${l.matchedBy}: ${l.rule ?? `${l.source} binding`}`;
}

function bindingLine(b: StoredBinding): string {
  return `${b.id}: ${describeMatch(b.match)} → ${b.agentId} (by ${b.createdBy}, ${isoMinute(b.createdAt)})`;
}

export const agentsCommand: Command = {
  name: 'agents',
  usage: '/agents',
  summary: 'the agents, and which rule routes this chat',
  ownerOnly: true,
  async run(args, ctx) {
    if (args.length > 0) throw new UsageError('This command takes no arguments.');
    const { deps } = ctx;
    const config = deps.config();
    const defaultId = (config.agents.list.find((a) => a.default) ?? config.agents.list[0])?.id;
    const lines = ['Agents:'];
    for (const a of config.agents.list) {
      const model = deps.defaultModel(a.id);
      lines.push(`• ${a.id}${a.name ? ` "${a.name}"` : ''}${a.id === defaultId ? ' (default)' : ''}${model ? ` — ${model}` : ''}`);
    }
    lines.push(`This chat → ${describeRoute(ctx.here())}`);
    const stored = deps.state.data.bindings;
    if (stored.length > 0) {
      lines.push(`Chat-made bindings (${stored.length}):`);
      for (const b of stored.slice(-20)) lines.push(`• ${bindingLine(b)}`);
      if (stored.length > 20) lines.push(`(${stored.length - 20} older not shown)`);
    }
    lines.push(`Config bindings: ${config.bindings.length}. Change them in switchyard.json; /bind and /unbind change chat-made ones.`);
    return lines.join('\n');
  },
};

function scopeArg(word: string | undefined): BindScope | undefined {
  if (word === undefined) return undefined;
  const scope = parseScope(word);
  if (!scope) throw new UsageError(`Unknown scope "${word}": use one of ${BIND_SCOPES.join(', ')}.`);
  return scope;
}

function matchHere(ctx: CommandContext, scope: BindScope) {
  const res = matchForScope(ctx.inbound, scope);
  if ('unavailable' in res) {
    throw new UsageError(`No ${scope} scope here: ${res.unavailable}. Scopes here: ${availableScopes(ctx.inbound).join(', ')}.`);
  }
  return res.match;
}

function newBindingId(taken: readonly StoredBinding[]): string {
  for (;;) {
    const id = `b-${randomBytes(3).toString('hex')}`;
    if (!taken.some((b) => b.id === id)) return id;
  }
}

/** After a change: where this chat goes now, and a warning when a more specific rule still wins. */
function routeAfter(ctx: CommandContext, wantedAgent?: string): string {
  const now = ctx.deps.locate(ctx.inbound);
  const line = `This chat → ${describeRoute(now)}.`;
  if (wantedAgent !== undefined && now.agentId !== wantedAgent) {
    return `${line} A more specific rule still routes this chat; /agents shows it.`;
  }
  return line;
}

export const bindCommand: Command = {
  name: 'bind',
  usage: `/bind <agentId> [${BIND_SCOPES.join('|')}]`,
  summary: 'route this topic/chat/server/account/platform to an agent (default: the most specific scope here)',
  ownerOnly: true,
  async run(args, ctx) {
    if (args.length < 1 || args.length > 2) throw new UsageError();
    const { deps } = ctx;
    const agents = deps.config().agents.list.map((a) => a.id);
    const agentId = agents.find((a) => a.toLowerCase() === args[0].toLowerCase());
    if (!agentId) throw new UsageError(`Unknown agent "${args[0]}": the agents are ${agents.join(', ')}.`);
    const scope = scopeArg(args[1]) ?? defaultScope(ctx.inbound);
    const match = matchHere(ctx, scope);

    const replaced = deps.state.data.bindings.filter((b) => sameMatch(b.match, match));
    const binding: StoredBinding = {
      id: newBindingId(deps.state.data.bindings),
      agentId,
      match,
      createdBy: ctx.sender,
      createdAt: deps.now(),
    };
    deps.state.update((d) => {
      d.bindings = d.bindings.filter((b) => !sameMatch(b.match, match));
      d.bindings.push(binding);
    });
    await deps.state.flush();
    const was = replaced.length > 0 ? ` (replaces ${replaced.map((b) => `${b.id} → ${b.agentId}`).join(', ')})` : '';
    return `Bound ${describeMatch(match)} [${scope}] to agent ${agentId}: chat binding ${binding.id}${was}.\n${routeAfter(ctx, agentId)}`;
  },
};

export const unbindCommand: Command = {
  name: 'unbind',
  usage: `/unbind [${BIND_SCOPES.join('|')}]`,
  summary: 'remove the chat-made binding here (default: the most specific one that exists)',
  ownerOnly: true,
  async run(args, ctx) {
    if (args.length > 1) throw new UsageError();
    const { deps } = ctx;
    const asked = scopeArg(args[0]);
    const scopes = asked ? [asked] : availableScopes(ctx.inbound);
    for (const scope of scopes) {
      const match = matchHere(ctx, scope);
      const found = deps.state.data.bindings.filter((b) => sameMatch(b.match, match));
      if (found.length === 0) continue;
      deps.state.update((d) => void (d.bindings = d.bindings.filter((b) => !sameMatch(b.match, match))));
      await deps.state.flush();
      const what = found.map((b) => `${b.id} (${describeMatch(b.match)} → ${b.agentId})`).join(', ');
      return `Removed chat binding ${what}.\n${routeAfter(ctx)}`;
    }
    const where = asked ? `at ${asked} scope here` : 'for this chat';
    return `No chat-made binding ${where}. This chat → ${describeRoute(ctx.here())}.${
      ctx.here().source === 'config' ? ' Config bindings are changed in switchyard.json.' : ''
    }`;
  },
};
