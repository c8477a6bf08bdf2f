// Puts the tool runner, exec approvals and the chat-facing parts of approvals (DM prompts, origin notices,
// owner replies) together for the gateway.
import type { AgentEvent, Channel, GatewayState, Inbound, JsonDoc, Logger, AuditLog } from '../types/index.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { builtinTools } from '../tools/builtin.js';
import { createToolRunner } from '../tools/runner.js';
import { chatLayers } from '../tools/policy.js';
import { createApprovals, promptRef, type Approvals } from '../tools/approvals.js';
import type { Tool, ToolContext } from '../tools/types.js';
import type { ToolHost } from './session-runner.js';

export interface ToolHostDeps {
  config: () => Config;
  state: JsonDoc<GatewayState>;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
  /** Channels are created after the tool host; look them up lazily. */
  channels: () => Channel[];
  /** Tools beyond the built-in ones (memory_search, memory_get). */
  extraTools?: Tool[];
}

export function createToolHost(deps: ToolHostDeps): ToolHost & { approvals: Approvals; handleApprovalReply(m: Inbound): boolean } {
  const findChannel = (channel: string, accountId?: string) =>
    deps.channels().find((c) => c.id === channel && (accountId === undefined || c.accountId === accountId));

  const approvals = createApprovals({
    config: deps.config,
    state: deps.state,
    clock: deps.clock,
    audit: deps.audit,
    logger: deps.log,
    notifier: {
      async sendDirect(owner, text) {
        const i = owner.indexOf(':');
        const channelId = owner.slice(0, i);
        const userId = owner.slice(i + 1);
        const channel = findChannel(channelId);
        if (!channel) return null;
        const res = await channel.send({ to: { kind: 'direct', id: userId }, text, format: 'plain' });
        return { ref: promptRef(channel.id, channel.accountId, userId, res.messageId) };
      },
      async notifyOrigin(origin, text) {
        const channel = findChannel(origin.channel, origin.accountId);
        if (!channel) {
          deps.log.warn('approval notice not sent: its channel is not running', { channel: origin.channel, accountId: origin.accountId, chatId: origin.chat.id });
          return;
        }
        await channel.send({ to: origin.chat, text, format: 'plain' });
      },
    },
  });

  const runner = createToolRunner({
    tools: [...builtinTools({ config: deps.config, clock: deps.clock }), ...(deps.extraTools ?? [])],
    config: deps.config,
    approvals,
    audit: deps.audit,
    clock: deps.clock,
    logger: deps.log,
  });

  const layers = (ctx: ToolContext) => chatLayers(deps.config(), ctx.origin.channel, ctx.origin.chat);

  return {
    approvals,
    visibleTools: (ctx) => runner.visibleTools(ctx, layers(ctx)),
    execute: (call, ctx, emit) =>
      runner.execute(call, ctx, layers(ctx), (e) =>
        emit({ ...e, runId: ctx.runId, sessionKey: ctx.sessionKey, agentId: ctx.agentId, ts: deps.clock.now(), stream: 'tool' } as AgentEvent),
      ),
    endRun: (runId) => approvals.endRun(runId),
    handleApprovalReply: (m) =>
      approvals.handleReply({
        channel: m.channel,
        accountId: m.accountId,
        senderId: m.sender.id,
        chatId: m.chat.id,
        replyToMessageId: m.replyToId,
        text: m.text,
      }),
  };
}
