// The gateway owns session state: every platform event enters here, is authorised, routed to an agent and a
// session, journaled, and queued on that session's lane. Replies go back through the channel it came from.
import type { Channel, GatewayState, Inbound, JsonDoc, Logger, AuditLog, InboundJournal, SessionStore, TranscriptStore } from '../types/index.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import type { EventBus } from '../events.js';
import type { ModelCaller } from '../agent/model-caller.js';
import type { ContextAssembler } from '../agent/context.js';
import { createLanes, type Lanes, type QueueSettings } from '../lanes.js';
import { sessionKeyFor } from '../session-key.js';
import { resolveRoute } from '../routing.js';
import { checkAccess, type AccessDecision } from '../access.js';
import type { ChannelSettings } from '../channel-settings.js';
import { isOwner as configIsOwner } from '../owners.js';
import { isPaired, pairingResponse } from '../pairing.js';
import type { Delivery } from './delivery.js';
import type { Origin, Outbound } from './outbound.js';
import { createSessionRunner, type ToolHost } from './session-runner.js';
import { describeForSummary, inboundId, type QueuedMessage } from './queued.js';
import { recoverJournal } from './recovery.js';
import type { CompactOutcome } from '../context/compaction/compactor.js';
import type { ContextGovernor } from '../context/compaction/governor.js';
import type { WorkspaceGit } from '../context/workspace-git.js';

export interface GatewayStores {
  state: JsonDoc<GatewayState>;
  sessions: SessionStore;
  transcripts: TranscriptStore;
  audit: AuditLog;
  journal: InboundJournal;
}

/** Sees every inbound message first (approval replies, chat commands); returns true when it consumed it. */
export type Interceptor = (m: Inbound, gw: GatewayApi) => Promise<boolean>;

export interface GatewayDeps {
  config: () => Config;
  home: string;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  log: Logger;
  bus: EventBus;
  stores: GatewayStores;
  modelCaller: ModelCaller;
  tools: ToolHost;
  assemble: ContextAssembler;
  channels: Channel[];
  /** What each channel's config block says about DMs and chats (from the adapter modules). */
  settings: ChannelSettings;
  /** The one outbound path (createGatewayOutbound). */
  outbound: Outbound & { delivery: Delivery };
  interceptors?: Interceptor[];
  governor?: ContextGovernor;
  workspaceGit?: WorkspaceGit;
}

export interface GatewayApi {
  readonly lanes: Lanes<QueuedMessage>;
  readonly delivery: Delivery;
  getChannel(channel: string, accountId: string): Channel | undefined;
  /** The agent and session an inbound message belongs to. */
  locate(m: Inbound): { agentId: string; sessionKey: string; matchedBy: string; source: string; rule?: string };
  /** Whether the sender may talk to the bot here (owners always may in their DMs). */
  access(m: Inbound): AccessDecision;
  /**
   * Tells every owner privately (Outbound.tellOwners: on `from`'s platform when they are reachable there), in the
   * background: resolves at once, failures are logged.
   */
  notifyOwners(text: string, from?: Origin): Promise<void>;
  /** Tells one person privately, through their platform's openDirect, in the background. */
  tell(channel: string, userId: string, text: string, account?: string): Promise<void>;
  queueSettings(sessionKey: string, m: Inbound): QueueSettings;
  isOwner(channel: string, senderId: string): boolean;
  /** Queues a plain answer to the chat (and topic/thread) a message came from; sent in order per chat. */
  answer(m: Inbound, text: string): Promise<void>;
  /**
   * Journals and queues a turn made from a chat command (`/skill`) for the message's session, without the
   * interceptors, the access check (the command's dispatcher checked) and the duplicate check (the command's
   * message id is the turn's).
   */
  enqueueTurn(m: Inbound): Promise<void>;
  /** Compacts the session of `m` now (after a run in progress); undefined when it has nothing to compact. */
  compact(m: Inbound, focus?: string): Promise<CompactOutcome | undefined>;
}

export interface Gateway extends GatewayApi {
  start(): Promise<void>;
  stop(): Promise<void>;
  handleInbound(m: Inbound): Promise<void>;
  /**
   * Journals and queues a message for a session the caller chose (the control plane's operator writing into a
   * session), without interceptors, access check or routing. A repeated message id is accepted once.
   */
  submit(m: Inbound, agentId: string, sessionKey: string): Promise<{ accepted: boolean }>;
  readonly ready: boolean;
}

const SEEN_LIMIT = 20_000;

export function createGateway(deps: GatewayDeps): Gateway {
  const { clock, log, stores } = deps;
  const channelMap = new Map(deps.channels.map((c) => [`${c.id}:${c.accountId}`, c]));
  const seen = new Set<string>();
  let ready = false;
  let stopping = false;

  const getChannel = (channel: string, accountId: string) => channelMap.get(`${channel}:${accountId}`);
  const isOwner = (channel: string, senderId: string) => configIsOwner(deps.config(), channel, senderId);
  const { outbound } = deps;
  const delivery = outbound.delivery;

  function queueSettings(sessionKey: string, m: Inbound): QueueSettings {
    const q = deps.config().messages.queue;
    const agentId = sessionKey.split(':')[1] ?? '';
    const override = stores.sessions.get(agentId, sessionKey)?.queueOverride;
    const mode = (override?.mode ?? q.byChannel[m.channel] ?? q.mode) as QueueSettings['mode'];
    return {
      mode,
      debounceMs: override?.debounceMs ?? q.debounceMs,
      cap: override?.cap ?? q.cap,
      drop: (override?.drop ?? q.drop) as QueueSettings['drop'],
    };
  }

  const lanes: Lanes<QueuedMessage> = createLanes<QueuedMessage>({
    clock,
    maxConcurrent: deps.config().agents.defaults.maxConcurrent,
    resolveSettings: (key, item) => queueSettings(key, item.inbound),
    execute: (key, batch, handle) => runner.execute(key, batch, handle),
    describe: describeForSummary,
    onDropped: (key, items, reason) => {
      // Shutdown: left pending in the journal, so the next start runs them. Summarize-held: pending until the
      // run that carries their note finishes them.
      if (reason === 'shutdown') return;
      log.info('queued messages dropped', { sessionKey: key, count: items.length, reason });
      if (reason === 'summarize-held') return;
      void stores.journal.append({ type: 'done', ids: items.map((i) => i.id), ts: clock.now() });
    },
    onError: (key, err) => log.error('run failed unexpectedly', { sessionKey: key, err }),
  });

  const runner = createSessionRunner({
    config: deps.config,
    home: deps.home,
    env: deps.env,
    clock,
    log,
    emit: (e) => deps.bus.emit(e),
    sessions: stores.sessions,
    transcripts: stores.transcripts,
    modelCaller: deps.modelCaller,
    tools: deps.tools,
    assemble: deps.assemble,
    delivery,
    getChannel,
    retryLater: (key, batch, ms) => lanes.retryLater(key, batch, ms),
    isOwner,
    governor: deps.governor,
    workspaceGit: deps.workspaceGit,
  });

  function locate(m: Inbound) {
    const config = deps.config();
    const chatAgent = deps.settings.chat(m.channel, m.chat, m.accountId)?.agent;
    const route = resolveRoute({ inbound: m, config, stored: stores.state.data.bindings, chatAgent });
    const sessionKey = sessionKeyFor({
      agentId: route.agentId,
      inbound: m,
      dmScope: config.session.dmScope,
      identityLinks: config.session.identityLinks,
    });
    return { agentId: route.agentId, sessionKey, matchedBy: route.matchedBy, source: route.source, rule: route.binding?.rule };
  }

  function access(m: Inbound): AccessDecision {
    if (m.chat.kind === 'direct' && isOwner(m.channel, m.sender.id)) return { allow: true };
    const settings = { direct: deps.settings.direct(m.channel, m.accountId), chat: deps.settings.chat(m.channel, m.chat, m.accountId) };
    return checkAccess(m, settings, { isPaired: () => isPaired(stores.state, m.channel, m.sender.id) });
  }

  // Answers and notices go out in the background, in order per chat (Outbound.post says why).
  async function notifyOwners(text: string, from?: Origin) {
    void outbound.tellOwners(text, from);
  }

  async function tell(channel: string, userId: string, text: string, account?: string) {
    void outbound.openDirect(channel, userId, account).then((target) => {
      if (target) void outbound.post(target, text);
      else log.warn('a person could not be told: no running channel reaches them', { channel, userId });
    });
  }

  async function answer(m: Inbound, text: string) {
    const channel = getChannel(m.channel, m.accountId);
    if (!channel) return;
    void outbound.post({ channel, chat: m.chat, replyToId: m.chat.kind === 'direct' ? undefined : m.messageId }, text);
  }

  // A turn made from a chat command (/skill): the command's message id is already taken (seen) by the command,
  // so this one is queued without the duplicate check, under the same id (one answer per message).
  async function enqueueTurn(m: Inbound): Promise<void> {
    const { agentId, sessionKey } = locate(m);
    if (!(await accept(m, inboundId(m), agentId, sessionKey))) {
      await answer(m, 'This conversation has too many queued messages; this one was not accepted. Try again when the current answer is done.');
    }
  }

  const compact = (m: Inbound, focus?: string) => {
    const { agentId, sessionKey } = locate(m);
    return runner.compactNow(m, agentId, sessionKey, focus);
  };

  const api: GatewayApi = { lanes, delivery, getChannel, locate, access, notifyOwners, tell, queueSettings, isOwner, answer, enqueueTurn, compact };

  function remember(id: string) {
    seen.add(id);
    if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value as string);
  }

  async function handleInbound(m: Inbound): Promise<void> {
    const id = inboundId(m);
    if (seen.has(id)) return;
    remember(id);
    try {
      for (const intercept of deps.interceptors ?? []) {
        if (await intercept(m, api)) return;
      }
      const decision = access(m);
      if (!decision.allow) {
        await onDenied(m, decision.reason);
        return;
      }
      const { agentId, sessionKey } = locate(m);
      if (!(await accept(m, id, agentId, sessionKey))) {
        await answer(m, 'This conversation has too many queued messages; this one was not accepted. Try again when the current answer is done.');
      }
    } catch (err) {
      seen.delete(id);
      log.error('inbound message failed', { channel: m.channel, chatId: m.chat.id, messageId: m.messageId, err });
      throw err;
    }
  }

  /** Journals and queues; false when the lane refused it (closed as done in the journal). */
  async function accept(m: Inbound, id: string, agentId: string, sessionKey: string): Promise<boolean> {
    const item: QueuedMessage = { id, agentId, sessionKey, inbound: { ...m, raw: undefined }, acceptedAt: clock.now() };
    // Journal before acting: once this resolves the adapter may confirm the platform offset.
    await stores.journal.append({ type: 'accepted', id, ts: item.acceptedAt, agentId, sessionKey, inbound: item.inbound });
    if (stopping) return true; // journaled: the next start runs it
    if (lanes.enqueue(sessionKey, item).accepted) return true;
    await stores.journal.append({ type: 'done', ids: [id], ts: clock.now() });
    return false;
  }

  async function submit(m: Inbound, agentId: string, sessionKey: string): Promise<{ accepted: boolean }> {
    const id = inboundId(m);
    if (seen.has(id)) return { accepted: true };
    remember(id);
    try {
      return { accepted: await accept(m, id, agentId, sessionKey) };
    } catch (err) {
      seen.delete(id);
      throw err;
    }
  }

  async function onDenied(m: Inbound, reason: string) {
    if (reason === 'no-mention') return; // group chatter not addressed to the bot: not an access event
    await stores.audit.append({ kind: 'access', channel: m.channel, senderId: m.sender.id, chatId: m.chat.id, reason });
    if (m.chat.kind !== 'direct') return; // not for us: never answered in groups
    if (reason === 'dm-disabled') return;
    if (reason === 'dm-pairing') {
      const p = pairingResponse(stores.state, m, clock.now());
      if (p.reply) await answer(m, p.reply);
      if (p.ownerNotice) await notifyOwners(p.ownerNotice, { channel: m.channel, accountId: m.accountId });
      return;
    }
    await answer(m, `This bot does not know you yet. Ask its owner to allow your ${m.channel} id ${m.sender.id} ` + `(channels.${m.channel}.allowFrom).`);
  }

  return {
    ...api,
    get ready() {
      return ready;
    },
    handleInbound,
    submit,
    async start() {
      await recoverJournal({ journal: stores.journal, lanes, delivery, getChannel, log, remember });
      // All at once: each start is mostly a network handshake (getMe, Discord's IDENTIFY, Slack's socket), so the
      // gateway is ready after the slowest one, not after their sum.
      await Promise.all(
        deps.channels.map(async (c) => {
          await c.start((m) => handleInbound(m));
          log.info('channel started', { channel: c.id, accountId: c.accountId });
        }),
      );
      ready = true;
    },
    async stop() {
      ready = false;
      stopping = true;
      for (const c of deps.channels) {
        await c.stop().catch((err: unknown) => log.warn('channel stop failed', { channel: c.id, err }));
      }
      await lanes.shutdown();
      // Nothing more goes out; what is unsent stays in the journal for the next start.
      await delivery.close();
      await stores.state.flush();
      await stores.sessions.flush();
    },
  };
}
