// Puts the tool runner, exec approvals and the chat-facing parts of approvals (DM prompts, origin notices,
// owner replies) together for the gateway.
import type { ApprovalRecord, Channel, GatewayState, Inbound, JsonDoc, Logger, AuditLog } from '../types/index.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { builtinTools } from '../tools/builtin.js';
import { createToolRunner } from '../tools/runner.js';
import { chatLayers } from '../tools/policy.js';
import { createApprovals, promptRef, type Approvals } from '../tools/approvals.js';
import type { ToolContext } from '../tools/types.js';
import type { ToolHost } from './session-runner.js';
import type { ChannelSettings } from '../channel-settings.js';
import { parseOwnerId } from '../owners.js';
import type { Outbound } from './outbound.js';

export interface ToolHostDeps {
  config: () => Config;
  state: JsonDoc<GatewayState>;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
  /** Channels are created after the tool host; look them up lazily. */
  channels: () => Channel[];
  /** What each chat's config says (its per-chat tool policy). */
  settings: ChannelSettings;
  /** The one outbound path: prompts, confirmations and origin notices go through it. */
  outbound: Outbound;
  /** An approval was decided, expired or cancelled. */
  onApprovalSettled?: (rec: ApprovalRecord) => void;
}

export function createToolHost(deps: ToolHostDeps): ToolHost & { approvals: Approvals; handleApprovalReply(m: Inbound): boolean } {
  const { outbound } = deps;
  const findChannel = (channel: string, accountId: string) => deps.channels().find((c) => c.id === channel && c.accountId === accountId);

  const approvals = createApprovals({
    config: deps.config,
    state: deps.state,
    clock: deps.clock,
    audit: deps.audit,
    logger: deps.log,
    onSettled: deps.onApprovalSettled,
    notifier: {
      async tellApprovers(text, origin) {
        const told = await outbound.tellOwners(text, { channel: origin.channel, accountId: origin.accountId });
        return told.flatMap((t) => t.messageIds.map((id) => promptRef(t.target.channel.id, t.target.channel.accountId, t.target.chat.id, id)));
      },
      async tellApprover(who, text, via) {
        const id = parseOwnerId(who);
        const target = id && (await outbound.openDirect(id.channel, id.userId, id.channel === via.channel ? via.accountId : undefined));
        if (!target) throw new Error(`no running channel reaches approver ${who}`);
        await outbound.post(target, text);
      },
      async notifyOrigin(origin, text) {
        const channel = findChannel(origin.channel, origin.accountId);
        if (!channel) {
          deps.log.warn('approval notice not sent: its channel is not running', { channel: origin.channel, accountId: origin.accountId, chatId: origin.chat.id });
          return;
        }
        await outbound.post({ channel, chat: origin.chat }, text);
      },
    },
  });

  const runner = createToolRunner({
    tools: builtinTools({ config: deps.config, clock: deps.clock }),
    config: deps.config,
    approvals,
    audit: deps.audit,
    clock: deps.clock,
    logger: deps.log,
  });

  const layers = (ctx: ToolContext) => chatLayers(deps.settings.chat(ctx.origin.channel, ctx.origin.chat, ctx.origin.accountId), ctx.origin.channel);

  return {
    approvals,
    visibleTools: (ctx) => runner.visibleTools(ctx, layers(ctx)),
    execute: (call, ctx, emit) =>
      runner.execute(call, ctx, layers(ctx), (e) =>
        emit({ ...e, runId: ctx.runId, sessionKey: ctx.sessionKey, agentId: ctx.agentId, ts: deps.clock.now(), stream: 'tool' }),
      ),
    endRun: (runId) => approvals.endRun(runId),
    handleApprovalReply: (m) =>
      approvals.handleReply({
        channel: m.channel,
        accountId: m.accountId,
        senderId: m.sender.id,
        chatId: m.chat.id,
        direct: m.chat.kind === 'direct',
        replyToMessageId: m.replyToId,
        text: m.text,
      }),
  };
}
