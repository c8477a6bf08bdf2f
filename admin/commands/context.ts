// /context list|detail: what goes into the model's window for this session and how big each part is.
// Sizes and names only — the prompt text itself is never shown (it may hold the owner's private notes).
import { charsAndTokens, isoMinute, num, oneLine, plural, tokensFor } from '../format.js';
import { UsageError, type Command, type ContextReport } from '../types.js';

export interface ContextTotals {
  system: number;
  tools: number;
  history: number;
  /** system prompt (workspace files included) + tool schemas + history. */
  total: number;
}

export function contextTotals(r: ContextReport): ContextTotals {
  const system = r.systemPrompt.reduce((s, p) => s + p.chars, 0);
  const tools = r.tools.reduce((s, t) => s + t.schemaChars, 0);
  const total = system + tools + r.history.chars;
  return { system, tools, history: r.history.chars, total };
}

const WINDOW_SOURCE: Record<string, string> = {
  model: 'from models.providers.<p>.models.<m>',
  provider: 'from models.providers.<p>',
  'built-in': 'built in',
  default: 'unknown model: default',
};

/** `12,345 / 200,000 tokens (6%, reported by the provider)`; the estimate when nothing was reported yet. */
export function usedLine(r: ContextReport): string {
  const used = r.used ?? { tokens: tokensFor(contextTotals(r).total), source: 'estimate' as const };
  const window = r.contextWindow ? ` / ${num(r.contextWindow)}` : '';
  const share = r.contextWindow ? `${Math.round((used.tokens / r.contextWindow) * 100)}%, ` : '';
  const how = used.source === 'provider' ? 'reported by the provider for the last call' : 'estimate: chars ÷ 4';
  return `${num(used.tokens)}${window} tokens (${share}${how})`;
}

function fileLine(f: ContextReport['workspaceFiles'][number]): string {
  if (f.missing) return `  ${f.name}: missing`;
  if (f.rawChars === f.injectedChars && !f.truncated) return `  ${f.name}: ${num(f.rawChars)} chars`;
  return `  ${f.name}: ${num(f.rawChars)} raw → ${num(f.injectedChars)} injected${f.truncated ? ' (truncated)' : ''}`;
}

export function formatContext(r: ContextReport, detail: boolean, header: string): string {
  const t = contextTotals(r);
  const lines = [header];
  if (r.model)
    lines.push(
      `Model: ${r.model}${r.contextWindow ? ` (window ${num(r.contextWindow)} tokens${r.windowSource ? `, ${WINDOW_SOURCE[r.windowSource] ?? r.windowSource}` : ''})` : ''}`,
    );
  lines.push(`Used: ${usedLine(r)}`);

  lines.push(`System prompt: ${charsAndTokens(t.system)}`);
  for (const p of r.systemPrompt) lines.push(`  ${p.name}: ${num(p.chars)} chars`);

  lines.push(`Workspace files (${r.workspaceFiles.length}):`);
  if (r.workspaceFiles.length === 0) lines.push('  none');
  for (const f of r.workspaceFiles) lines.push(fileLine(f));

  lines.push(`Tools (${r.tools.length}): ${charsAndTokens(t.tools)} of schema`);
  if (r.tools.length > 0) lines.push(`  ${r.tools.map((x) => `${x.name} ${num(x.schemaChars)}`).join(' · ')}`);

  if (r.workspaceGit) {
    const c = r.workspaceGit.lastCommit;
    lines.push(
      !r.workspaceGit.enabled
        ? 'Workspace git: off'
        : c
          ? `Workspace git: last commit ${c.hash.slice(0, 10)} ${isoMinute(c.ts)} "${oneLine(c.subject, 100)}"`
          : 'Workspace git: no commit yet',
    );
  }
  if (r.compaction) {
    const l = r.compaction.last;
    const last = l
      ? ` (last ${isoMinute(l.ts)}, ${l.reason}: ~${num(l.tokensBefore)} → ~${num(l.tokensAfter)} tokens${l.summarised ? '' : ', dropped from view: not summarised'})`
      : '';
    lines.push(`Compactions: ${r.compaction.count}${last}`);
  }
  if (r.skills) {
    const more = r.skills.omitted > 0 ? `, ${r.skills.omitted} more left out by the cap` : '';
    const bad = r.skills.ineligible.length > 0 ? `, ${r.skills.ineligible.length} not eligible` : '';
    lines.push(`Skills: ${r.skills.listed.length} listed${more}${bad}${r.skills.listed.length ? ` (${r.skills.listed.join(', ')})` : ''}`);
  }
  lines.push(`History: ${plural(r.history.messages, 'message')}, ${charsAndTokens(t.history)}`);

  const share = r.contextWindow ? ` of ${num(r.contextWindow)} (${Math.round((tokensFor(t.total) / r.contextWindow) * 100)}%)` : '';
  lines.push(`Total: ~${num(tokensFor(t.total))} tokens${share} (estimate: chars ÷ 4)`);

  if (detail && r.skills && r.skills.ineligible.length > 0) {
    lines.push('Skills not eligible (left out of the prompt):');
    for (const s of r.skills.ineligible) lines.push(`  ${s.name}: ${oneLine(s.problems.join('; '), 200)}`);
  }
  if (detail) {
    const items = [
      ...r.systemPrompt.map((p) => ({ label: `system: ${p.name}`, chars: p.chars })),
      ...r.tools.map((x) => ({ label: `tool: ${x.name}`, chars: x.schemaChars })),
      ...(r.history.largest ?? []).map((h) => ({ label: `history: ${h.label}`, chars: h.chars })),
    ]
      .filter((i) => i.chars > 0)
      .sort((a, b) => b.chars - a.chars)
      .slice(0, 10);
    lines.push('Largest items:');
    if (items.length === 0) lines.push('  none');
    for (const i of items) lines.push(`  ${oneLine(i.label, 80)}: ${charsAndTokens(i.chars)}`);
  }
  return lines.join('\n');
}

export const contextCommand: Command = {
  name: 'context',
  usage: '/context list|detail',
  summary: "what goes into the model's window for this session, with sizes (detail adds the largest items)",
  ownerOnly: true,
  async run(args, ctx) {
    const sub = (args[0] ?? 'list').toLowerCase();
    if (args.length > 1 || (sub !== 'list' && sub !== 'detail')) throw new UsageError();
    const here = ctx.here();
    const report = await ctx.deps.contextReport(here.agentId, here.sessionKey, ctx.inbound);
    return formatContext(report, sub === 'detail', `Context of ${here.sessionKey} (agent ${here.agentId}):`);
  },
};
