// What chat administration acts on: the gateway's sessions, lanes, bindings, approvals and pairing, as one
// object shaped like admin/'s AdminDeps (the composition root hands it over; runtime never imports admin/).
import type { AuditLog, GatewayState, Inbound, JsonDoc, Logger, SessionEntry, SessionStore, TranscriptStore } from '../types/index.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { agentModelCandidates, agentWorkspace } from '../config/agents.js';
import { formatModelRef } from '../types/provider.js';
import type { ContextAssembler } from '../agent/context.js';
import { messageChars } from '../agent/context.js';
import { createTranscriptFor, newSessionEntry } from './session-entry.js';
import { approvePairing, denyPairing, listPairing } from '../pairing.js';
import type { Approvals } from '../tools/approvals.js';
import type { ToolContext } from '../tools/types.js';
import type { GatewayApi } from './gateway.js';
import type { ToolHost } from './session-runner.js';
import type { WebchatUsers } from '../protocol/webchat-users.js';

export interface ControlDeps {
  config: () => Config;
  home: string;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  log: Logger;
  gateway: () => GatewayApi;
  sessions: SessionStore;
  transcripts: TranscriptStore;
  state: JsonDoc<GatewayState>;
  audit: AuditLog;
  tools: ToolHost;
  approvals: Approvals;
  assemble: ContextAssembler;
  redact(value: unknown): unknown;
  providerIds(): string[];
  profileHealth(): { profileId: string; status: string }[];
  /** Personal web chat credentials (`/webchat`), the link that carries one, and closing a revoked user's tabs. */
  webchatUsers?: WebchatUsers;
  webchatLink?(token: string): string;
  dropWebchatUser?(userId: string): void;
}

export type Control = ReturnType<typeof createControl>;

export function createControl(deps: ControlDeps) {
  const { clock } = deps;

  const freshEntry = (agentId: string, sessionKey: string) => newSessionEntry(agentId, sessionKey, clock.now());
  const ensureTranscript = (e: SessionEntry) => createTranscriptFor(deps.transcripts, e);

  return {
    config: deps.config,
    log: deps.log,
    now: () => clock.now(),
    state: deps.state,
    audit: deps.audit,
    redact: deps.redact,
    isOwner: (channel: string, senderId: string) => deps.gateway().isOwner(channel, senderId),
    isAllowed: (m: Inbound) => deps.gateway().access(m).allow,
    botUsername: (m: Inbound) => deps.gateway().getChannel(m.channel, m.accountId)?.botUsername,
    locate: (m: Inbound) => deps.gateway().locate(m),
    session: (agentId: string, sessionKey: string) => deps.sessions.get(agentId, sessionKey),
    updateSession(agentId: string, sessionKey: string, fn: (e: SessionEntry) => void) {
      const existing = deps.sessions.get(agentId, sessionKey);
      const e = existing ?? freshEntry(agentId, sessionKey);
      fn(e);
      e.updatedAt = clock.now();
      deps.sessions.put(e);
      if (!existing) void ensureTranscript(e).catch((err: unknown) => deps.log.error('transcript create failed', { sessionKey, err }));
    },
    async resetSession(agentId: string, sessionKey: string) {
      const old = deps.sessions.get(agentId, sessionKey);
      const next = freshEntry(agentId, sessionKey);
      if (old) {
        // Keep the chat's overrides and where it lives; start a new transcript and forget the sticky profile.
        Object.assign(next, {
          channel: old.channel,
          lastChat: old.lastChat,
          lastAccountId: old.lastAccountId,
          modelOverride: old.modelOverride,
          queueOverride: old.queueOverride,
          previousSessionIds: [...(old.previousSessionIds ?? []), old.sessionId],
        });
      }
      await ensureTranscript(next);
      deps.sessions.put(next);
      await deps.sessions.flush();
      return { oldSessionId: old?.sessionId, newSessionId: next.sessionId };
    },
    queueSettings: (sessionKey: string, m: Inbound) => deps.gateway().queueSettings(sessionKey, m),
    laneStatus: (sessionKey: string) => deps.gateway().lanes.status(sessionKey),
    stopSession: (sessionKey: string) => deps.gateway().lanes.stop(sessionKey),
    defaultModel(agentId: string) {
      const first = agentModelCandidates(deps.config(), agentId, undefined, deps.env)[0];
      return first ? formatModelRef(first) : undefined;
    },
    providerIds: deps.providerIds,
    profileHealth: deps.profileHealth,
    approvals: {
      decide: async (id: string, decision: 'allow-once' | 'allow-always' | 'deny', by: string) => deps.approvals.decide(id, decision, by).message,
      listPending: () => deps.approvals.listPending(),
    },
    webchat: deps.webchatUsers && {
      async invite(name: string, by: string) {
        const r = await deps.webchatUsers!.invite(name, by);
        if (r.replaced) deps.dropWebchatUser?.(r.userId);
        return { userId: r.userId, link: deps.webchatLink?.(r.token) ?? `#token=${r.token}`, replaced: r.replaced };
      },
      async revoke(name: string) {
        const done = await deps.webchatUsers!.revoke(name);
        if (done) deps.dropWebchatUser?.(name.trim().toLowerCase());
        return done;
      },
      list: () => deps.webchatUsers!.list(),
    },
    pairing: {
      list: () => listPairing(deps.state, clock.now()),
      approve(code: string) {
        const res = approvePairing(deps.state, code, clock.now());
        // The requester was told to wait; tell them it is done, privately, on the bot account they wrote to.
        if (res.ok) {
          const r = res.request;
          void deps.gateway().tell(r.channel, r.senderId, 'The owner approved your request: you can talk to the bot now. Send your message again.', r.accountId);
        }
        return res;
      },
      deny: (code: string) => denyPairing(deps.state, code, clock.now()),
    },
    async contextReport(agentId: string, sessionKey: string, m: Inbound) {
      const config = deps.config();
      const session = deps.sessions.get(agentId, sessionKey);
      const workspace = agentWorkspace(config, agentId, deps.home);
      const ctx = await deps.assemble({ agentId, workspace, sessionId: session?.sessionId, channel: m.channel, now: clock.now() });
      const toolCtx: ToolContext = {
        runId: 'context-report',
        sessionKey,
        agentId,
        workspace,
        origin: { channel: m.channel, accountId: m.accountId, chat: m.chat, senderId: m.sender.id },
        isOwnerMain: false,
        signal: new AbortController().signal,
      };
      const model = session?.modelOverride ?? this.defaultModel(agentId);
      const provider = model?.split('/')[0];
      const largest = ctx.history
        .map((msg, i) => ({ label: `#${i + 1} ${msg.role}`, chars: messageChars(msg) }))
        .sort((a, b) => b.chars - a.chars)
        .slice(0, 5);
      return {
        model,
        contextWindow: provider ? config.models.providers[provider]?.contextWindow : undefined,
        systemPrompt: ctx.systemParts,
        workspaceFiles: ctx.files.map(({ name, rawChars, injectedChars, truncated, missing }) => ({ name, rawChars, injectedChars, truncated, missing })),
        tools: deps.tools.visibleTools(toolCtx).map((t) => ({ name: t.name, schemaChars: JSON.stringify(t).length })),
        history: { messages: ctx.history.length, chars: ctx.history.reduce((n, msg) => n + messageChars(msg), 0), largest },
      };
    },
  };
}
