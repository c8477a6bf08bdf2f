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
import { isPaired, pairingResponse } from '../pairing.js';
import { createDelivery, type Delivery } from './delivery.js';
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
  /** DMs every owner (commands.ownerAllowFrom) on their own channel; queued in order per chat, failures are logged. */
  notifyOwners(text: string): Promise<void>;
  queueSettings(sessionKey: string, m: Inbound): QueueSettings;
  isOwner(channel: string, senderId: string): boolean;
  /** Queues a plain answer to the chat (and topic/thread) a message came from; sent in order per chat. */
  answer(m: Inbound, text: string): Promise<void>;
  /**
   * Journals and queues a message for its session without the interceptors and the access check (the caller,
   * e.g. a chat command that turns into a model turn, has checked them).
   */
  submit(m: Inbound): Promise<void>;
  /** Compacts the session of `m` now (after a run in progress); undefined when it has nothing to compact. */
  compact(m: Inbound, focus?: string): Promise<CompactOutcome | undefined>;
}

export interface Gateway extends GatewayApi {
  start(): Promise<void>;
  stop(): Promise<void>;
  handleInbound(m: Inbound): Promise<void>;
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
  const isOwner = (channel: string, senderId: string) =>
    deps.config().commands.ownerAllowFrom.some((o) => o.toLowerCase() === `${channel}:${senderId}`.toLowerCase());

  const delivery = createDelivery({
    journal: stores.journal,
    audit: stores.audit,
    log,
    now: () => clock.now(),
    onFailed: (t, error) => {
      const where = `${t.channel.id} chat ${t.chat.id}${t.chat.threadId ? ` (topic/thread ${t.chat.threadId})` : ''}`;
      return notifyOwners(`⚠️ A reply to ${where} could not be delivered: ${error.slice(0, 300)}`);
    },
  });

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
      // Shutdown: left pending in the journal, so the next start runs them.
      if (reason === 'shutdown') return;
      log.info('queued messages dropped', { sessionKey: key, count: items.length, reason });
      void stores.journal.append({ type: 'done', ids: items.map((i) => i.id), ts: clock.now() });
    },
    onError: (key, err) => log.error('run failed unexpectedly', { sessionKey: key, err: errorText(err) }),
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
    const route = resolveRoute({ inbound: m, config, stored: stores.state.data.bindings });
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
    const channelCfg = (deps.config().channels as Record<string, unknown>)[m.channel] as Parameters<typeof checkAccess>[1];
    return checkAccess(m, channelCfg, { isPaired: () => isPaired(stores.state, m.channel, m.sender.id) });
  }

  // Answers and owner notices are sent in the background, in order per chat. Adapters wait for handleInbound
  // before they read the next update, so awaiting a send here let one chat stall all others: an answer to a
  // stranger waiting out Telegram's 429 (up to minutes) held up every chat of that bot.
  const outbox = new Map<string, Promise<void>>();
  function sendInOrder(target: Parameters<Delivery['notice']>[0], text: string): Promise<void> {
    const key = `${target.channel.id}:${target.channel.accountId}:${target.chat.id}:${target.chat.threadId ?? ''}`;
    const next = (outbox.get(key) ?? Promise.resolve())
      .then(() => delivery.notice(target, text))
      .catch((err: unknown) => log.error('an answer could not be sent', { channel: target.channel.id, chatId: target.chat.id, err: errorText(err) }));
    outbox.set(key, next);
    void next.then(() => {
      if (outbox.get(key) === next) outbox.delete(key);
    });
    return Promise.resolve();
  }

  async function notifyOwners(text: string) {
    for (const owner of deps.config().commands.ownerAllowFrom) {
      const i = owner.indexOf(':');
      const channel = deps.channels.find((c) => c.id === owner.slice(0, i));
      if (!channel) continue;
      await sendInOrder({ channel, chat: { kind: 'direct', id: owner.slice(i + 1) } }, text);
    }
  }

  async function answer(m: Inbound, text: string) {
    const channel = getChannel(m.channel, m.accountId);
    if (!channel) return;
    await sendInOrder({ channel, chat: m.chat, replyToId: m.chat.kind === 'direct' ? undefined : m.messageId }, text);
  }

  async function accept(m: Inbound, id: string): Promise<void> {
    const { agentId, sessionKey } = locate(m);
    const item: QueuedMessage = { id, agentId, sessionKey, inbound: { ...m, raw: undefined }, acceptedAt: clock.now() };
    // Journal before acting: once this resolves the adapter may confirm the platform offset.
    await stores.journal.append({ type: 'accepted', id, ts: item.acceptedAt, agentId, sessionKey, inbound: item.inbound });
    if (stopping) return; // journaled: the next start runs it
    const res = lanes.enqueue(sessionKey, item);
    if (!res.accepted) {
      await stores.journal.append({ type: 'done', ids: [id], ts: clock.now() });
      await answer(m, 'This conversation has too many queued messages; this one was not accepted. Try again when the current answer is done.');
    }
  }

  const submit = (m: Inbound) => accept(m, inboundId(m));

  const compact = (m: Inbound, focus?: string) => {
    const { agentId, sessionKey } = locate(m);
    return runner.compactNow(m, agentId, sessionKey, focus);
  };

  const api: GatewayApi = { lanes, delivery, getChannel, locate, access, notifyOwners, queueSettings, isOwner, answer, submit, compact };

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
      await accept(m, id);
    } catch (err) {
      seen.delete(id);
      log.error('inbound message failed', { channel: m.channel, chatId: m.chat.id, messageId: m.messageId, err: errorText(err) });
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
      if (p.ownerNotice) await notifyOwners(p.ownerNotice);
      return;
    }
    await answer(
      m,
      `This bot does not know you yet. Ask its owner to allow your ${m.channel} id ${m.sender.id} ` +
        `(channels.${m.channel}.allowFrom).`,
    );
  }

  return {
    ...api,
    get ready() {
      return ready;
    },
    handleInbound,
    async start() {
      await recoverJournal({ journal: stores.journal, lanes, delivery, getChannel, log, remember });
      for (const c of deps.channels) {
        await c.start((m) => handleInbound(m));
        log.info('channel started', { channel: c.id, accountId: c.accountId });
      }
      ready = true;
    },
    async stop() {
      ready = false;
      stopping = true;
      for (const c of deps.channels) {
        await c.stop().catch((err) => log.warn('channel stop failed', { channel: c.id, err: errorText(err) }));
      }
      await lanes.shutdown();
      await stores.state.flush();
      await stores.sessions.flush();
    },
  };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
