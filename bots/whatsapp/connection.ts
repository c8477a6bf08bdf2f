// One WhatsApp account's socket and its reconnect loop. WhatsApp drops Web connections routinely (network changes,
// server restarts, the phone going offline); Baileys does not reconnect by itself, so this does:
// - close 515 "restart required" (sent right after linking, and now and then by WhatsApp): a new socket at once;
// - close 401 "logged out" (the device was removed on the phone, or WhatsApp ended the link): the account stops,
//   its credentials are moved aside, one error line names the login command; no retrying, it cannot work again;
// - any other close: a new socket after a backoff of 1 s doubling to 60 s, with jitter so that several gateways
//   (or accounts) do not reconnect in step; the backoff starts over once a connection has stayed up a minute.
// Timers run on the injected clock, so tests drive the backoff without sleeping.
import type { Clock, Logger, TimerHandle } from '../../runtime/types/channel.js';
import { loginCommand, moveAside } from './credentials.js';
import { CONNECTION_REPLACED, LOGGED_OUT, RESTART_REQUIRED, closeCode, type AuthOpener, type SocketFactory, type WaSocket } from './socket.js';

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'waiting' | 'logged-out' | 'stopped';

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Each wait is the backoff times a factor in [1 - jitter, 1 + jitter], capped at maxMs. */
  jitter: number;
  /** A connection open this long resets the backoff. */
  healthyMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000, jitter: 0.25, healthyMs: 60_000 };

/** How long start() waits for the first outcome before letting the gateway go on (the socket keeps trying). */
const START_WAIT_MS = 10_000;

export function backoffDelay(policy: BackoffPolicy, failures: number, random: number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, Math.min(failures, 30) - 1));
  const factor = 1 + policy.jitter * (2 * random - 1);
  return Math.round(Math.min(policy.maxMs, base * factor));
}

export interface ConnectionDeps {
  accountId: string;
  credsDir: string;
  openAuth: AuthOpener;
  makeSocket: SocketFactory;
  clock: Clock;
  log: Logger;
  /** A number in [0, 1) for jitter (Math.random by default; tests fix it). */
  random?: () => number;
  backoff?: BackoffPolicy;
  /** Called for every new socket, before it can emit anything, so the channel attaches its listeners. */
  onSocket: (sock: WaSocket) => void;
}

export class WhatsAppConnection {
  state: ConnectionState = 'idle';
  /** Consecutive failed connections since the last healthy minute. */
  failures = 0;
  private sock: WaSocket | undefined;
  private auth: Awaited<ReturnType<AuthOpener>> | undefined;
  private retryTimer: TimerHandle | undefined;
  private healthyTimer: TimerHandle | undefined;
  private openWaiters: { resolve: (s: WaSocket) => void; reject: (e: Error) => void }[] = [];
  private firstOutcome: (() => void) | undefined;
  private readonly policy: BackoffPolicy;
  private readonly random: () => number;

  constructor(private readonly deps: ConnectionDeps) {
    this.policy = deps.backoff ?? DEFAULT_BACKOFF;
    this.random = deps.random ?? Math.random;
  }

  /** The open socket, if there is one right now. */
  get socket(): WaSocket | undefined {
    return this.state === 'open' ? this.sock : undefined;
  }

  /**
   * Opens the first socket. Resolves when it is open, when its first attempt failed (the loop keeps trying in the
   * background: a WhatsApp outage at boot must not hold up the other channels), or after 10 s.
   */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`whatsapp account ${this.deps.accountId}: start() called twice`);
    const { accountId, credsDir, log } = this.deps;
    try {
      this.auth = await this.deps.openAuth(credsDir, log);
    } catch (err) {
      // Only this account stops; the gateway and its other channels start as usual.
      this.state = 'stopped';
      log.error(
        `WhatsApp account "${accountId}" could not open its credentials in ${credsDir}: move the folder away and run ${loginCommand(accountId)}. This account is stopped.`,
        {
          accountId,
          err,
        },
      );
      return;
    }
    const outcome = new Promise<void>((resolve) => (this.firstOutcome = resolve));
    const timer = this.deps.clock.setTimeout(() => this.settleStart(), START_WAIT_MS);
    await this.connect();
    await outcome;
    this.deps.clock.clearTimeout(timer);
  }

  async stop(): Promise<void> {
    if (this.state !== 'logged-out') this.state = 'stopped';
    this.clearTimers();
    this.settleStart();
    this.rejectWaiters(new Error(`whatsapp account ${this.deps.accountId} is stopped`));
    const sock = this.sock;
    this.sock = undefined;
    // end() emits a last `close`, which the listener ignores now that the state says stopped.
    await sock?.end(undefined).catch(() => {});
  }

  /**
   * The socket once it is open; rejects after `timeoutMs`, or at once when the account is logged out or stopped.
   * `not`: a socket that just failed (its close event may not have arrived yet); only a newer one will do.
   */
  whenOpen(timeoutMs: number, not?: WaSocket): Promise<WaSocket> {
    if (this.state === 'open' && this.sock && this.sock !== not) return Promise.resolve(this.sock);
    if (this.state === 'logged-out') return Promise.reject(new Error(`WhatsApp account ${this.deps.accountId} is logged out: run ${loginCommand(this.deps.accountId)}`));
    if (this.state === 'stopped' || this.state === 'idle') return Promise.reject(new Error(`whatsapp account ${this.deps.accountId} is not running`));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (s: WaSocket) => {
          this.deps.clock.clearTimeout(t);
          resolve(s);
        },
        reject: (e: Error) => {
          this.deps.clock.clearTimeout(t);
          reject(e);
        },
      };
      const t = this.deps.clock.setTimeout(() => {
        this.openWaiters = this.openWaiters.filter((w) => w !== waiter);
        reject(new Error(`WhatsApp account ${this.deps.accountId} is not connected (waited ${Math.round(timeoutMs / 1000)} s)`));
      }, timeoutMs);
      this.openWaiters.push(waiter);
    });
  }

  private async connect(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'logged-out' || !this.auth) return;
    this.state = 'connecting';
    const { accountId, log } = this.deps;
    let sock: WaSocket;
    try {
      sock = await this.deps.makeSocket({ accountId, auth: this.auth.state, log });
    } catch (err) {
      // Making a socket only fails on bad local state (e.g. unreadable keys); retrying on the backoff says so in
      // the log at a bounded rate instead of ending the account silently.
      log.error('whatsapp: could not create a socket', { accountId, err });
      this.scheduleReconnect();
      return;
    }
    if ((this.state as ConnectionState) === 'stopped') {
      await sock.end(undefined).catch(() => {});
      return;
    }
    this.sock = sock;
    const saveCreds = this.auth.saveCreds;
    // Every update: Baileys changes creds (pre-key counters, routing info) and expects them on disk before the next
    // start; a lost update can cost the link.
    sock.ev.on('creds.update', () => {
      saveCreds().catch((err: unknown) => log.error('whatsapp: could not save credentials', { accountId, dir: this.deps.credsDir, err }));
    });
    sock.ev.on('connection.update', (u) => {
      if (this.sock !== sock) return; // a late event of a socket we already replaced
      if (u.connection === 'open') this.onOpen(sock);
      else if (u.connection === 'close') void this.onClose(closeCode(u.lastDisconnect));
    });
    this.deps.onSocket(sock);
  }

  private onOpen(sock: WaSocket): void {
    this.state = 'open';
    const me = sock.user?.id;
    this.deps.log.info('whatsapp: connected', { accountId: this.deps.accountId, as: me ? `+${me.split('@')[0].split(':')[0]}` : undefined });
    if (this.healthyTimer) this.deps.clock.clearTimeout(this.healthyTimer);
    this.healthyTimer = this.deps.clock.setTimeout(() => {
      this.healthyTimer = undefined;
      this.failures = 0;
    }, this.policy.healthyMs);
    const waiters = this.openWaiters;
    this.openWaiters = [];
    for (const w of waiters) w.resolve(sock);
    this.settleStart();
  }

  private async onClose(code: number | undefined): Promise<void> {
    this.sock = undefined;
    if (this.healthyTimer) this.deps.clock.clearTimeout(this.healthyTimer);
    this.healthyTimer = undefined;
    if (this.state === 'stopped' || this.state === 'logged-out') return;
    const { accountId, log } = this.deps;
    if (code === LOGGED_OUT) {
      await this.loggedOut();
      this.settleStart();
      return;
    }
    if (code === RESTART_REQUIRED) {
      log.info('whatsapp: restart required by WhatsApp; opening a new connection', { accountId });
      await this.connect();
      return;
    }
    if (code === CONNECTION_REPLACED) {
      log.warn('whatsapp: another client connected with these credentials (is a second gateway, or `login`, running for this account?)', { accountId });
    }
    this.scheduleReconnect(code);
    this.settleStart();
  }

  private scheduleReconnect(code?: number): void {
    this.state = 'waiting';
    this.failures++;
    const wait = backoffDelay(this.policy, this.failures, this.random());
    this.deps.log.warn('whatsapp: connection closed; reconnecting', { accountId: this.deps.accountId, code, attempt: this.failures, waitMs: wait });
    this.retryTimer = this.deps.clock.setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, wait);
  }

  private async loggedOut(): Promise<void> {
    this.state = 'logged-out';
    this.clearTimers();
    const { accountId, credsDir, log, clock } = this.deps;
    let where: string;
    try {
      where = `the old credentials were moved to ${await moveAside(credsDir, clock.now())}`;
    } catch (err) {
      where = `the old credentials in ${credsDir} could not be moved aside (${(err as NodeJS.ErrnoException).code ?? String(err)}); remove them before linking`;
    }
    log.error(`WhatsApp logged out: run ${loginCommand(accountId)} again. This account is stopped; ${where}. The rest of the gateway keeps running.`, {
      accountId,
    });
    this.rejectWaiters(new Error(`WhatsApp account ${accountId} is logged out: run ${loginCommand(accountId)}`));
  }

  private settleStart(): void {
    const f = this.firstOutcome;
    this.firstOutcome = undefined;
    f?.();
  }

  private rejectWaiters(err: Error): void {
    const waiters = this.openWaiters;
    this.openWaiters = [];
    for (const w of waiters) w.reject(err);
  }

  private clearTimers(): void {
    if (this.retryTimer) this.deps.clock.clearTimeout(this.retryTimer);
    if (this.healthyTimer) this.deps.clock.clearTimeout(this.healthyTimer);
    this.retryTimer = this.healthyTimer = undefined;
  }
}
