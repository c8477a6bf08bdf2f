// The tool runner: the one place where policy, approvals, the tool itself and the audit log meet. A call never
// throws: unknown tools, policy refusals, refused approvals and tool failures all become error results the
// model can read. Each call emits exactly one 'start' (once policy allowed it) and ends with exactly one
// 'end' or 'denied' event, and appends one audit line (kind 'tool').
import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../types/channel.js';
import type { ToolCall, ToolResultMessage, ToolSpec } from '../types/provider.js';
import type { AuditLog } from '../types/storage.js';
import { ToolArgError } from './args.js';
import type { Approvals } from './approvals.js';
import { capMiddle } from './output-cap.js';
import { configLayers, decide, type PolicyLayer } from './policy.js';
import type { Tool, ToolContext, ToolOutput } from './types.js';
import { WorkspacePathError } from './workspace-path.js';

export type ToolRunEvent = { tool: string; callId: string } & (
  | { phase: 'start'; args: Record<string, unknown> }
  | { phase: 'end'; isError: boolean; resultChars: number; exitCode?: number; durationMs: number; preview: string }
  | { phase: 'denied'; reason: string }
  | { phase: 'approval-wait'; approvalId: string }
);

/** How much of a tool's result its 'end' event carries (for live views; the model gets all of it). */
export const RESULT_PREVIEW_CHARS = 2000;

export interface ToolRunnerDeps {
  tools: Tool[];
  config: () => Config;
  approvals: Approvals;
  audit: AuditLog;
  clock: Clock;
  logger?: Logger;
  /** Safety cap on any tool result (characters); tools cap their own output lower. Default 100 000. */
  maxResultChars?: number;
}

export interface ToolRunner {
  /** The specs the model may see: exactly the tools policy allows for this agent and chat. */
  visibleTools(ctx: Pick<ToolContext, 'agentId'>, chatLayers: PolicyLayer[]): ToolSpec[];
  execute(call: ToolCall, ctx: ToolContext, chatLayers: PolicyLayer[], onEvent?: (e: ToolRunEvent) => void): Promise<ToolResultMessage>;
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** First 16 hex digits of sha256 over the canonical JSON of the arguments: identifies, never reveals. */
export function argsDigest(args: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(args)).digest('hex').slice(0, 16);
}

export function createToolRunner(deps: ToolRunnerDeps): ToolRunner {
  const maxChars = deps.maxResultChars ?? 100_000;
  const byName = new Map(deps.tools.map((t) => [t.spec.name, t]));
  const layersFor = (agentId: string, chat: PolicyLayer[]) => [...configLayers(deps.config(), agentId), ...chat];

  return {
    visibleTools(ctx, chatLayers) {
      const layers = layersFor(ctx.agentId, chatLayers);
      return deps.tools.filter((t) => decide(t.spec.name, t.group, layers).allowed).map((t) => t.spec);
    },

    async execute(call, ctx, chatLayers, onEvent) {
      const started = deps.clock.now();
      const emit = (e: ToolRunEvent) => {
        try {
          onEvent?.(e);
        } catch (err) {
          deps.logger?.warn('tool runner: event listener threw', { tool: call.name, err });
        }
      };
      const finish = async (out: ToolOutput, decision: string, extra: { command?: string; denied?: string } = {}): Promise<ToolResultMessage> => {
        // Head and tail: an exec's exit code and last lines (usually the error) are at its end.
        const content = capMiddle(out.content, maxChars);
        const durationMs = deps.clock.now() - started;
        try {
          await deps.audit.append({
            ts: deps.clock.now(),
            kind: 'tool',
            runId: ctx.runId,
            sessionKey: ctx.sessionKey,
            agentId: ctx.agentId,
            tool: call.name,
            callId: call.id,
            argsDigest: argsDigest(call.args),
            ...(extra.command !== undefined ? { command: extra.command } : {}),
            decision,
            ...(out.exitCode !== undefined ? { exitCode: out.exitCode } : {}),
            isError: out.isError === true,
            durationMs,
            resultChars: content.length,
          });
        } catch (err) {
          // The result still goes back to the model; a broken audit log must be visible to the operator.
          (deps.logger ?? console).error('tool runner: audit append failed', { tool: call.name, runId: ctx.runId, err });
        }
        if (extra.denied !== undefined) emit({ phase: 'denied', tool: call.name, callId: call.id, reason: extra.denied });
        else
          emit({
            phase: 'end',
            tool: call.name,
            callId: call.id,
            isError: out.isError === true,
            resultChars: content.length,
            exitCode: out.exitCode,
            durationMs,
            preview: content.slice(0, RESULT_PREVIEW_CHARS),
          });
        return { callId: call.id, name: call.name, content, ...(out.isError ? { isError: true } : {}) };
      };

      const tool = byName.get(call.name);
      if (!tool) {
        const reason = `unknown tool "${call.name}"`;
        return finish({ content: `${reason}; available tools: ${[...byName.keys()].join(', ')}`, isError: true }, 'denied:unknown-tool', { denied: reason });
      }
      const policy = decide(tool.spec.name, tool.group, layersFor(ctx.agentId, chatLayers));
      if (!policy.allowed) {
        return finish({ content: `tool not allowed here: ${policy.reason}`, isError: true }, 'denied:policy', { denied: policy.reason });
      }
      emit({ phase: 'start', tool: call.name, callId: call.id, args: call.args });

      let decision = 'policy';
      let command: string | undefined;
      if (tool.approvalSubject) {
        command = tool.approvalSubject(call.args);
        if (command === undefined) {
          return finish({ content: `invalid arguments for ${call.name}; see its parameter schema`, isError: true }, 'denied:invalid-args', {
            denied: 'invalid arguments',
          });
        }
        const outcome = await deps.approvals.check(
          {
            runId: ctx.runId,
            sessionKey: ctx.sessionKey,
            agentId: ctx.agentId,
            command,
            tool: call.name,
            origin: { channel: ctx.origin.channel, accountId: ctx.origin.accountId, chat: ctx.origin.chat },
          },
          {
            signal: ctx.signal,
            onWait: (approvalId) => emit({ phase: 'approval-wait', tool: call.name, callId: call.id, approvalId }),
          },
        );
        if (!outcome.allowed) {
          return finish({ content: outcome.message, isError: true }, outcome.decision, { command, denied: outcome.message });
        }
        decision = outcome.decision;
      }

      let out: ToolOutput;
      try {
        out = await tool.run(call.args, ctx);
      } catch (err) {
        const known = err instanceof ToolArgError || err instanceof WorkspacePathError;
        if (!known) deps.logger?.warn('tool failed', { tool: call.name, runId: ctx.runId, err });
        out = { content: known ? (err as Error).message : `${call.name} failed: ${(err as Error).message ?? String(err)}`, isError: true };
      }
      return finish(out, decision, { command });
    },
  };
}
