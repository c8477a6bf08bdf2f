// The gateway side of one bot account: the real discord.js Client logs in (GET {apiRoot}/v10/gateway/bot, then the
// WebSocket), discord.js keeps the connection (heartbeats, resume, reconnect), and every MESSAGE_CREATE dispatch
// is decoded from its raw JSON and handed to the runtime in the order Discord sent it.
//
// Failures that must not hide: a rejected token (401 from REST, close 4004) and a refused Message Content intent
// (close 4014) stop this account with one plain line saying what to fix; everything else at login is retried
// with backoff in the background, so a Discord outage at boot holds up no other platform.
import type * as DiscordJs from 'discord.js';
import type { Clock, Inbound, Logger } from '../../runtime/types/channel.js';
import { tokenPath, type DiscordAccount } from './config.js';
import { decodeMessage, isThreadType, type ChannelInfo } from './inbound.js';
import type { DiscordSender } from './outbound.js';
import { backoffMs, pause, type RetryPolicy } from './retry.js';

type DiscordModule = typeof DiscordJs;

export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'unauthorized' | 'intents-refused' | 'failed' | 'stopped';

export interface ConnectionDeps {
  djs: DiscordModule;
  account: DiscordAccount;
  sender: DiscordSender;
  log: Logger;
  clock: Clock;
  retry: RetryPolicy;
}

/** Messages waiting for the runtime; past this, new ones are dropped with an error line (a stuck runtime). */
export const MAX_INBOX = 5000;
/** A message the runtime keeps refusing is retried this often, then skipped (logged), so one cannot wedge the rest. */
const MAX_DELIVERY_ATTEMPTS = 3;
/** Thread → parent lookups remembered (threads outlive discord.js's cache once archived). */
const CHANNEL_CACHE_LIMIT = 1000;

/** How long stop() waits for discord.js to close the connection. */
const DESTROY_WAIT_MS = 3000;
const CLOSE_AUTH_FAILED = 4004;
const CLOSE_DISALLOWED_INTENTS = 4014;
/** Close codes after which discord.js does not reconnect: this account is down until the config is fixed. */
const FATAL_CLOSE: Record<number, string> = {
  4010: 'invalid shard (close 4010)',
  4011: 'sharding required (close 4011): this bot is in too many servers for one connection',
  4012: 'invalid API version (close 4012)',
  4013: 'invalid intents (close 4013)',
};

export class DiscordConnection {
  state: ConnectionState = 'idle';
  private client: DiscordJs.Client | undefined;
  private readonly abort = new AbortController();
  private run: Promise<void> | undefined;
  private lastCloseCode: number | undefined;
  private inbox: unknown[] = [];
  private draining: Promise<void> | undefined;
  private readonly channels = new Map<string, ChannelInfo>();
  private onInbound: (m: Inbound) => void | Promise<void> = () => {};

  constructor(private readonly deps: ConnectionDeps) {}

  /** The bot's own user once logged in. */
  get me(): { id: string; username: string } | undefined {
    const u = this.client?.user;
    return u ? { id: u.id, username: u.username } : undefined;
  }

  /**
   * Logs in. Resolves once the client is ready — or after the first failed attempt, in which case the login is
   * retried in the background, or (token, intents) this account has stopped with its error logged.
   */
  start(onInbound: (m: Inbound) => void | Promise<void>): Promise<void> {
    if (this.run) throw new Error(`discord account ${this.deps.account.accountId}: start() called twice`);
    this.onInbound = onInbound;
    let firstAttempt!: () => void;
    const settled = new Promise<void>((r) => (firstAttempt = r));
    // A gateway that takes the connection but never gets to READY keeps discord.js retrying inside login():
    // after a while start() returns anyway and the login goes on in the background.
    const patience = this.deps.clock.setTimeout(() => {
      if (this.state === 'connecting') this.deps.log.warn('discord: still connecting; continuing in the background', { accountId: this.deps.account.accountId });
      firstAttempt();
    }, this.deps.retry.loginWaitMs);
    void settled.then(() => this.deps.clock.clearTimeout(patience));
    this.run = this.loginLoop(firstAttempt).catch((err: unknown) => {
      // loginLoop handles every expected failure itself; reaching here is a bug, so say so loudly.
      this.deps.log.error('discord: login loop crashed', { accountId: this.deps.account.accountId, err });
      this.state = 'failed';
      firstAttempt();
    });
    return settled;
  }

  /** Disconnects, then lets the messages already received reach the runtime (it journals them). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.run; // returns at once, even in the middle of a login
    const client = this.client;
    this.client = undefined;
    if (client) await this.destroy(client);
    while (this.draining) await this.draining;
    if (this.state === 'ready' || this.state === 'connecting' || this.state === 'idle') this.state = 'stopped';
  }

  private async loginLoop(firstAttempt: () => void): Promise<void> {
    const { account, log, clock, retry } = this.deps;
    const signal = this.abort.signal;
    const stopped = whenAborted(signal);
    let failures = 0;
    while (!signal.aborted) {
      this.state = 'connecting';
      this.lastCloseCode = undefined;
      const client = this.makeClient();
      this.client = client;
      try {
        // discord.js's login can wait a long time (it reconnects by itself while no HELLO/READY comes): stop()
        // must not wait for it, so the abort wins the race and stop() destroys the client.
        const loggedIn = await Promise.race([client.login(account.token).then(() => true), stopped]);
        if (!loggedIn || signal.aborted) return;
        this.state = 'ready';
        log.info('discord: connected', { accountId: account.accountId, bot: client.user?.username, servers: client.guilds.cache.size });
        firstAttempt();
        return;
      } catch (err) {
        await this.destroy(client);
        if (signal.aborted) return;
        if (this.stopFor(isTokenInvalid(err) ? CLOSE_AUTH_FAILED : this.lastCloseCode)) {
          firstAttempt();
          return;
        }
        const wait = backoffMs(retry, ++failures);
        log.warn('discord: login failed; retrying', { accountId: account.accountId, attempt: failures, waitMs: wait, err });
        firstAttempt();
        await pause(clock, wait, signal);
      }
    }
  }

  /**
   * client.destroy(), bounded: discord.js never settles it when destroyed while waiting for the gateway's HELLO
   * (its shard reconnects instead of closing). A real Discord says HELLO at once; a stuck proxy may not.
   */
  private async destroy(client: DiscordJs.Client): Promise<void> {
    const { clock, log, account } = this.deps;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const gaveUp = new Promise<boolean>((r) => (timer = clock.setTimeout(() => r(false), DESTROY_WAIT_MS)));
    const closed = client.destroy().then(
      () => true,
      (err: unknown) => {
        log.warn('discord: client did not close cleanly', { accountId: account.accountId, err });
        return true;
      },
    );
    const done = await Promise.race([closed, gaveUp]);
    if (timer) clock.clearTimeout(timer);
    if (!done) log.warn('discord: the gateway connection did not close in time; leaving it to discord.js', { accountId: account.accountId });
  }

  /** Logs the one line for a close code that ends this account, and says whether it did. */
  private stopFor(code: number | undefined): boolean {
    const { account, log } = this.deps;
    const rest = `This Discord account (${account.accountId}) is stopped; the rest of the gateway keeps running.`;
    if (code === CLOSE_AUTH_FAILED) {
      this.state = 'unauthorized';
      log.error(
        `${tokenPath(account.accountId)} was rejected by Discord (401 / close 4004): copy the bot token again from the Developer Portal (Bot → Reset Token). ${rest}`,
        { accountId: account.accountId },
      );
      return true;
    }
    if (code === CLOSE_DISALLOWED_INTENTS) {
      this.state = 'intents-refused';
      log.error(
        `Discord refused the Message Content intent (close 4014): turn on Bot → Privileged Gateway Intents → Message Content Intent in the Developer Portal, then restart. ${rest}`,
        { accountId: account.accountId },
      );
      return true;
    }
    const fatal = code !== undefined ? FATAL_CLOSE[code] : undefined;
    if (fatal) {
      this.state = 'failed';
      log.error(`Discord closed the gateway connection: ${fatal}. ${rest}`, { accountId: account.accountId, code });
      return true;
    }
    return false;
  }

  private makeClient(): DiscordJs.Client {
    const { Client, GatewayIntentBits: I, Partials, Options } = this.deps.djs;
    const { account, log } = this.deps;
    const client = new Client({
      intents: [I.Guilds, I.GuildMessages, I.DirectMessages, I.MessageContent],
      // DM channels discord.js has never seen are otherwise dropped from its events (we decode MESSAGE_CREATE from
      // the raw packet ourselves, so this keeps its other DM events consistent with ours).
      partials: [Partials.Channel],
      // This client's REST only fetches the gateway URL; messages go through the sender's own REST.
      rest: { api: account.apiRoot },
      // We read raw dispatches, so discord.js needs no message cache; members and users are bounded.
      makeCache: Options.cacheWithLimits({
        ...Options.DefaultMakeCacheSettings,
        MessageManager: 0,
        PresenceManager: 0,
        ReactionManager: 0,
        GuildMemberManager: { maxSize: 200, keepOverLimit: (m) => m.id === m.client.user.id },
        UserManager: { maxSize: 1000, keepOverLimit: (u) => u.id === u.client.user.id },
      }),
    });
    client.on('raw', (packet: { t?: unknown; d?: unknown }) => {
      if (packet.t !== 'MESSAGE_CREATE') return;
      this.enqueue(packet.d);
      // discord.js handles this same packet object right after this listener. We decode messages ourselves and need
      // nothing it does with them, and on a payload with odd field values it throws out of its packet handler (an
      // unhandled rejection, which ends the gateway): renamed, no handler matches and it skips the packet.
      packet.t = 'MESSAGE_CREATE_HANDLED_BY_SWITCHYARD';
    });
    client.on('shardDisconnect', (event: { code: number }) => {
      this.lastCloseCode = event.code;
      // After login, an unrecoverable close ends the account (discord.js will not reconnect); say why once.
      if (this.state === 'ready' && !this.stopFor(event.code)) {
        this.state = 'failed';
        log.error(`Discord closed the gateway connection for good (close ${event.code}). This Discord account (${account.accountId}) is stopped.`, {
          accountId: account.accountId,
        });
      }
    });
    client.on('shardError', (err: Error) => log.warn('discord: gateway connection error (discord.js reconnects)', { accountId: account.accountId, err }));
    client.on('shardResume', (_id: number, replayed: number) => log.info('discord: gateway session resumed', { accountId: account.accountId, replayed }));
    client.on('warn', (message: string) => log.warn(`discord.js: ${message}`, { accountId: account.accountId }));
    client.on('error', (err: Error) => log.error('discord.js error', { accountId: account.accountId, err }));
    return client;
  }

  private enqueue(d: unknown): void {
    if (this.inbox.length >= MAX_INBOX) {
      this.deps.log.error(`discord: ${MAX_INBOX} messages are waiting for the runtime; dropping a new one`, { accountId: this.deps.account.accountId });
      return;
    }
    this.inbox.push(d);
    if (!this.draining) this.draining = this.drain();
  }

  /** One message at a time, in gateway order: a thread lookup for one never lets a later one overtake it. */
  private async drain(): Promise<void> {
    try {
      for (let d = this.inbox.shift(); d !== undefined; d = this.inbox.shift()) await this.handle(d);
    } finally {
      // In the same step as the loop's last check, so a message arriving right after starts a new drain.
      this.draining = undefined;
    }
  }

  private async handle(d: unknown): Promise<void> {
    const { account, log, clock, retry } = this.deps;
    const me = this.me;
    if (!me) return; // dispatches before READY carry no messages
    let m: Inbound | null;
    try {
      const guildId = isRec(d) && typeof d.guild_id === 'string' ? d.guild_id : undefined;
      m = decodeMessage(d, {
        accountId: account.accountId,
        bot: me,
        botRoleIds: guildId ? this.botRoles(guildId) : [],
        channel: await this.channelInfo(d),
        receivedAt: clock.now(),
      });
    } catch (err) {
      log.error('discord: a message could not be decoded; skipped', { accountId: account.accountId, err });
      return;
    }
    // Its own messages and other bots' (and webhooks') are never answered: two bots would talk forever.
    if (!m || m.sender.isBot) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.onInbound(m);
        return;
      } catch (err) {
        if (attempt >= MAX_DELIVERY_ATTEMPTS) {
          log.error('discord: message skipped after repeated delivery failures', { accountId: account.accountId, messageId: m.messageId, attempts: attempt, err });
          return;
        }
        log.error('discord: the runtime did not accept a message; retrying', { accountId: account.accountId, messageId: m.messageId, attempt, err });
        if (!(await pause(clock, backoffMs(retry, attempt), this.abort.signal))) return;
      }
    }
  }

  /** The bot's managed role in a server (a mention of it addresses the bot). */
  private botRoles(guildId: string): string[] {
    const client = this.client;
    const role = client?.user ? client.guilds.cache.get(guildId)?.roles.botRoleFor(client.user) : undefined;
    return role ? [role.id] : [];
  }

  /** A channel from discord.js's cache (filled by GUILD_CREATE, CHANNEL_CREATE and THREAD_CREATE). */
  private cachedChannel(id: string): ChannelInfo | undefined {
    const c = this.client?.channels.cache.get(id);
    if (!c) return undefined;
    const info: ChannelInfo = { type: c.type };
    if ('parentId' in c && typeof c.parentId === 'string') info.parentId = c.parentId;
    if ('name' in c && typeof c.name === 'string') info.name = c.name;
    return info;
  }

  private withParentName(info: ChannelInfo): ChannelInfo {
    if (!isThreadType(info.type) || !info.parentId || info.parentName) return info;
    const parentName = this.cachedChannel(info.parentId)?.name;
    return parentName ? { ...info, parentName } : info;
  }

  /**
   * What is known about a server message's channel: discord.js's cache (filled by GUILD_CREATE and THREAD_CREATE),
   * else — for a thread, whose parent the payload does not carry — GET /channels/{id}, remembered.
   */
  private async channelInfo(d: unknown): Promise<ChannelInfo | undefined> {
    if (!isRec(d) || typeof d.channel_id !== 'string' || typeof d.guild_id !== 'string') return undefined;
    const id = d.channel_id;
    const cached = this.cachedChannel(id);
    if (cached) return this.withParentName(cached);
    const type = typeof d.channel_type === 'number' ? d.channel_type : undefined;
    if (type !== undefined && !isThreadType(type)) return { type };
    const known = this.channels.get(id);
    if (known) return known;
    try {
      const info = this.withParentName(await this.deps.sender.fetchChannel(id));
      this.channels.set(id, info);
      if (this.channels.size > CHANNEL_CACHE_LIMIT) this.channels.delete(this.channels.keys().next().value as string);
      return info;
    } catch (err) {
      // Without the parent the thread is judged on its own id (usually: not a listed channel, so ignored).
      this.deps.log.warn("discord: could not look up a thread's parent channel", { accountId: this.deps.account.accountId, channelId: id, err });
      return type !== undefined ? { type } : undefined;
    }
  }
}

function isRec(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Resolves false once the signal aborts (never rejects). */
function whenAborted(signal: AbortSignal): Promise<false> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(false);
    else signal.addEventListener('abort', () => resolve(false), { once: true });
  });
}

function isTokenInvalid(err: unknown): boolean {
  return isRec(err) && (err.code === 'TokenInvalid' || err.status === 401);
}
