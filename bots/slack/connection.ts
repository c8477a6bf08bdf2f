// Socket Mode through the real bolt App: auth.test tells us who the bot is, then bolt's SocketModeReceiver asks
// apps.connections.open for a socket URL and keeps the socket. bolt acknowledges every events_api envelope before
// any listener runs, so an ack never waits for the agent. Our listener drops a delivery already seen (by event_id
// and by channel + ts), decodes it, and hands it to the runtime in arrival order.
//
// Reconnects are the SDK's: a `disconnect` request or a dropped socket makes it open a new one, and we log one line
// when it is back. What the SDK cannot survive is a failed start (apps.connections.open refused or unreachable):
// its reconnect path leaves that promise rejected with nobody listening, so the socket client's start is wrapped
// and such failures come back here — a rejected token stops this account with a clear line, anything else is
// retried with backoff on our clock.
import type * as Bolt from '@slack/bolt';
import type { Clock, Inbound, Logger } from '../../runtime/types/channel.js';
import type { ReplyToMode } from './config.js';
import { SeenKeys } from './dedupe.js';
import { AUTH_ERRORS, classifySlackError, slackErrorName } from './errors.js';
import { decodeEvent, dedupeKeys, type SlackIdentity } from './inbound.js';
import type { WebClient } from './outbound.js';
import { backoffMs, pause, type RetryPolicy } from '../../runtime/types/retry.js';
import { sdkLogger } from './sdk-logger.js';

export type BoltModule = typeof Bolt;
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'unauthorized' | 'stopped';

export interface ConnectionDeps {
  bolt: BoltModule;
  accountId: string;
  botToken: string;
  appToken: string;
  apiUrl: string;
  replyToMode: ReplyToMode;
  /** The bot's Web API client (shared with the sender). */
  client: WebClient;
  log: Logger;
  clock: Clock;
  retry: RetryPolicy;
  /** How long start() waits for the first connection before it resolves anyway (the socket keeps trying). */
  connectWaitMs: number;
  /** bolt's clientPingTimeout: also the SDK's wait before it reconnects (default 5,000 ms). */
  clientPingTimeoutMs?: number;
  /** A delivery is about to be handed to the runtime (the working indicator remembers its message). */
  onDecoded?(m: Inbound): void;
  /** Looks up a sender's display name (users.info, cached); undefined when unknown. */
  senderName?(userId: string): Promise<{ name?: string; username?: string } | undefined>;
}

export const SLASH_HINT =
  'Slack slash commands are not used here: write the command in a message that mentions me, e.g. `@Switchyard /bind work` (or start it with a space: ` /status`).';

/** A delivery the runtime keeps refusing is retried this often (the envelope is already acked), then logged. */
const MAX_DELIVERY_ATTEMPTS = 3;

type SocketClient = Bolt.SocketModeReceiver['client'];

export class SlackConnection {
  state: ConnectionState = 'idle';
  me: SlackIdentity | undefined;
  /** The bot's handle (auth.test `user`). */
  botName: string | undefined;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private socket: SocketClient | undefined;
  private rawStart: (() => Promise<unknown>) | undefined;
  private onInbound: ((m: Inbound) => void | Promise<void>) | undefined;
  private readonly seen = new SeenKeys();
  /** Deliveries run one after another, so the runtime sees messages in the order Slack sent them. */
  private queue: Promise<void> = Promise.resolve();
  private lostAt: number | undefined;
  private reconnecting = false;

  constructor(private readonly deps: ConnectionDeps) {}

  /**
   * Starts. Resolves once the socket is connected — or after the first failed attempt or connectWaitMs, while
   * connecting goes on in the background (a Slack outage at boot must not hold up the other channels) — or when
   * a rejected token has stopped this account with a clear error.
   */
  start(onInbound: (m: Inbound) => void | Promise<void>): Promise<void> {
    if (this.loop) throw new Error(`slack account ${this.deps.accountId}: start() called twice`);
    this.onInbound = onInbound;
    this.abort = new AbortController();
    let firstAttempt!: () => void;
    const ready = new Promise<void>((r) => (firstAttempt = r));
    const waitCap = this.deps.clock.setTimeout(() => firstAttempt(), this.deps.connectWaitMs);
    const settle = () => {
      this.deps.clock.clearTimeout(waitCap);
      firstAttempt();
    };
    this.loop = this.run(settle).catch((err: unknown) => {
      // run() handles every expected failure itself; reaching here is a bug, so say so loudly.
      this.deps.log.error('slack: connection loop crashed', { accountId: this.deps.accountId, err });
      this.state = 'stopped';
      settle();
    });
    return ready;
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error('slack adapter stopped'));
    await this.closeSocket();
    await this.loop;
    this.loop = undefined;
    // A delivery still in the runtime's hands is not waited for: a stuck runtime must not hold up shutdown.
    if (this.state !== 'unauthorized') this.state = 'stopped';
  }

  /** A call on the bot token was refused as unauthenticated: this account stops. */
  unauthorized(which: 'botToken' | 'appToken', error: string, err?: unknown): void {
    if (this.state === 'unauthorized') return;
    this.state = 'unauthorized';
    const { accountId } = this.deps;
    const key = accountId === 'default' ? `channels.slack.${which}` : `channels.slack.accounts.${accountId}.${which}`;
    const fix =
      which === 'botToken'
        ? 'check the Bot User OAuth Token (xoxb-…) under OAuth & Permissions, and that the app is installed in the workspace'
        : 'check the App-Level Token (xapp-…, scope connections:write) under Basic Information, and that Socket Mode is on';
    this.deps.log.error(`${key} was rejected by Slack (${error}): ${fix}. This Slack account is stopped; the rest of the gateway keeps running.`, {
      accountId,
      error,
      err,
    });
    this.abort.abort(new Error('slack token rejected'));
    void this.closeSocket();
  }

  private async run(settle: () => void): Promise<void> {
    const signal = this.abort.signal;
    this.state = 'connecting';
    const me = await this.identify(signal, settle);
    if (!me) return settle();
    this.me = me;
    this.buildApp(me);
    await this.connect(signal, settle);
  }

  /** auth.test until it works; null when the token is rejected or we were stopped. */
  private async identify(signal: AbortSignal, settle: () => void): Promise<SlackIdentity | null> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const res = await this.deps.client.auth.test();
        if (typeof res.user_id !== 'string' || res.user_id === '') throw new Error(`auth.test answered without user_id: ${describe(res)}`);
        if (typeof res.user === 'string') this.botName = res.user;
        const me: SlackIdentity = { userId: res.user_id };
        if (typeof res.bot_id === 'string') me.botId = res.bot_id;
        if (typeof res.team_id === 'string') me.teamId = res.team_id;
        return me;
      } catch (err) {
        if (signal.aborted) return null;
        const f = classifySlackError(err);
        if (f.kind === 'unauthorized') {
          this.unauthorized('botToken', f.error, err);
          return null;
        }
        const wait = f.kind === 'rate-limit' ? f.retryAfterMs : backoffMs(this.deps.retry, ++failures);
        this.deps.log.warn('slack: auth.test failed; retrying', { accountId: this.deps.accountId, detail: f.detail, waitMs: wait, err });
        settle();
        await pause(this.deps.clock, wait, signal);
      }
    }
    return null;
  }

  private buildApp(me: SlackIdentity): void {
    const { bolt, botToken, appToken, apiUrl } = this.deps;
    const logger = sdkLogger(this.deps.log, this.deps.accountId, bolt.LogLevel.INFO);
    const receiver = new bolt.SocketModeReceiver({
      appToken,
      logger,
      ...(this.deps.clientPingTimeoutMs ? { clientPingTimeout: this.deps.clientPingTimeoutMs } : {}),
      // The socket client's own Web API client (apps.connections.open): our retry loop owns retries.
      installerOptions: { clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, timeout: 30_000 } },
    });
    const app = new bolt.App({
      token: botToken,
      // Known from our auth.test, so bolt does not call it again.
      botId: me.botId ?? '',
      botUserId: me.userId,
      receiver,
      logger,
      // No conversation state is kept through bolt (the runtime owns sessions): one middleware less per event.
      convoStore: false,
      clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
    });
    const listener = async ({ body }: { body: unknown }) => this.handle(body);
    app.event('message', listener);
    app.event('app_mention', listener);
    // Slash commands are not needed (a message `@bot /bind work` is a command), but a workspace may register some;
    // their envelopes wait for the listener's ack, so one is given at once, with a hint of what works.
    app.command(/.*/, async ({ ack }) => {
      await ack({ response_type: 'ephemeral', text: SLASH_HINT });
    });
    app.error(async (err) => {
      this.deps.log.error('slack: a listener failed', { accountId: this.deps.accountId, err });
    });

    const socket = receiver.client;
    this.socket = socket;
    const rawStart = socket.start.bind(socket);
    this.rawStart = rawStart;
    // The SDK's reconnects call `this.start()`: failures come back to us instead of becoming unhandled rejections.
    socket.start = (async () => {
      try {
        return await rawStart();
      } catch (err) {
        this.onReconnectFailed(err);
        return undefined;
      }
    }) as SocketClient['start'];
    socket.on('close', () => {
      if (!this.abort.signal.aborted && this.lostAt === undefined) this.lostAt = this.deps.clock.now();
    });
    socket.on('connected', () => {
      this.state = 'connected';
      if (this.lostAt !== undefined) {
        // The one line a reconnect is worth: the SDK did the work.
        this.deps.log.info('slack: socket reconnected', { accountId: this.deps.accountId, downMs: this.deps.clock.now() - this.lostAt });
      }
      this.lostAt = undefined;
    });
  }

  /** The first connection, retried on our clock until it works, the token is refused, or stop(). */
  private async connect(signal: AbortSignal, settle: () => void): Promise<void> {
    let failures = 0;
    while (!signal.aborted && this.rawStart) {
      try {
        await this.rawStart();
        if (signal.aborted) return;
        this.state = 'connected';
        this.deps.log.info('slack: connected (Socket Mode)', { accountId: this.deps.accountId, bot: this.botName, team: this.me?.teamId });
        settle();
        return;
      } catch (err) {
        if (signal.aborted) return;
        if (this.refused(err)) return settle();
        const f = classifySlackError(err);
        const wait = f.kind === 'rate-limit' ? f.retryAfterMs : backoffMs(this.deps.retry, ++failures);
        this.deps.log.warn('slack: opening the socket failed; retrying', { accountId: this.deps.accountId, detail: f.detail, waitMs: wait, err });
        settle();
        await pause(this.deps.clock, wait, signal);
      }
    }
  }

  /** A reconnect the SDK started could not open a socket. */
  private onReconnectFailed(err: unknown): void {
    const signal = this.abort.signal;
    if (signal.aborted || this.refused(err) || this.reconnecting) return;
    this.reconnecting = true;
    const f = classifySlackError(err);
    const wait = f.kind === 'rate-limit' ? f.retryAfterMs : backoffMs(this.deps.retry, 1);
    this.deps.log.warn('slack: reconnecting failed; retrying', { accountId: this.deps.accountId, detail: f.detail, waitMs: wait, err });
    void pause(this.deps.clock, wait, signal)
      .then(() => (signal.aborted ? undefined : this.connect(signal, () => {})))
      .finally(() => (this.reconnecting = false));
  }

  /** True (and the account stopped) when apps.connections.open refused the app token. */
  private refused(err: unknown): boolean {
    const name = slackErrorName(err);
    if (name === undefined || !AUTH_ERRORS.has(name)) return false;
    this.unauthorized('appToken', name, err);
    return true;
  }

  private async closeSocket(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    try {
      await socket.disconnect();
    } catch (err) {
      this.deps.log.warn('slack: closing the socket failed', { accountId: this.deps.accountId, err });
    }
  }

  /** One events_api delivery (already acknowledged by bolt). */
  private handle(body: unknown): Promise<void> {
    const { accountId, log, clock } = this.deps;
    const keys = dedupeKeys(body);
    if (keys.length > 0 && this.seen.check(keys)) {
      log.debug?.('slack: delivery already seen, ignored', { accountId, keys });
      return Promise.resolve();
    }
    const me = this.me;
    if (!me || this.abort.signal.aborted) return Promise.resolve();
    const m = decodeEvent(body, me, accountId, { replyToMode: this.deps.replyToMode }, clock.now());
    if (!m) return Promise.resolve();
    this.deps.onDecoded?.(m);
    this.queue = this.queue.then(() => this.deliver(m));
    return this.queue;
  }

  private async deliver(m: Inbound): Promise<void> {
    const { accountId, log } = this.deps;
    if (!m.sender.name && this.deps.senderName) {
      const who = await this.deps.senderName(m.sender.id);
      if (who?.name) m.sender.name = who.name;
      if (who?.username) m.sender.username = who.username;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.onInbound?.(m);
        return;
      } catch (err) {
        const where = { accountId, chatId: m.chat.id, messageId: m.messageId, attempt, err };
        if (attempt >= MAX_DELIVERY_ATTEMPTS || this.abort.signal.aborted) {
          log.error('slack: the runtime did not accept a message; it is lost (Slack already has its ack)', where);
          return;
        }
        log.error('slack: the runtime did not accept a message; trying again', where);
        await pause(this.deps.clock, backoffMs(this.deps.retry, attempt), this.abort.signal);
      }
    }
  }
}

function describe(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}
