// Long polling with our own loop (not bot.start) so the update offset is ours: an update is handed to the
// runtime, the runtime journals it and resolves, and only then is offset = update_id + 1 persisted. A restart
// resumes from the persisted offset: nothing accepted is lost, nothing handled is handled again.
import type { Api } from 'grammy';
import type { Inbound, Logger } from '../../runtime/types/channel.js';
import { classifyTelegramError } from './errors.js';
import { decodeUpdate, type BotIdentity } from './inbound.js';
import type { Clock } from '../../runtime/types/clock.js';
import { backoffMs, pause, type RetryPolicy } from '../../runtime/types/retry.js';

/** Where offsets live (the runtime's state store). Keys: `telegram:<accountId>` and `telegram:<accountId>:botId`. */
export interface OffsetStore {
  get(key: string): number | undefined;
  set(key: string, v: number): void;
}

export type PollerState = 'idle' | 'connecting' | 'polling' | 'unauthorized' | 'stopped';

export interface PollerDeps {
  api: Api;
  accountId: string;
  offsets: OffsetStore;
  log: Logger;
  clock: Clock;
  retry: RetryPolicy;
  /** getUpdates long-poll timeout in seconds. */
  pollTimeoutSeconds: number;
}

/** grammY types its signal with the abort-controller polyfill; a native AbortSignal works (it only needs addEventListener). */
type GrammySignal = Parameters<Api['getMe']>[0];
const forGrammy = (s: AbortSignal) => s as unknown as GrammySignal;

/** A delivery to the runtime that keeps failing is retried this often, then skipped (logged), so one bad update cannot wedge the bot. */
const MAX_DELIVERY_ATTEMPTS = 3;

export class TelegramPoller {
  state: PollerState = 'idle';
  me: BotIdentity | undefined;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private offset: number | undefined;
  private deliveryFailures = new Map<number, number>();

  constructor(private readonly deps: PollerDeps) {}

  private get key(): string {
    return `telegram:${this.deps.accountId}`;
  }

  /**
   * Starts the loop. Resolves once the bot identity is known — or after the first failed attempt, in which case
   * the loop keeps retrying in the background (a Telegram outage at boot must not hold up the other channels)
   * or, for a rejected token, has stopped with a clear error.
   */
  start(onInbound: (m: Inbound) => void | Promise<void>): Promise<void> {
    if (this.loop) throw new Error(`telegram account ${this.deps.accountId}: start() called twice`);
    this.abort = new AbortController();
    let firstAttempt!: () => void;
    const ready = new Promise<void>((r) => (firstAttempt = r));
    this.loop = this.run(onInbound, firstAttempt).catch((err: unknown) => {
      // run() handles every expected failure itself; reaching here is a bug, so say so loudly.
      this.deps.log.error('telegram: polling loop crashed', { accountId: this.deps.accountId, err });
      this.state = 'stopped';
      firstAttempt();
    });
    return ready;
  }

  /** Ends the loop promptly: aborts the in-flight long poll and any backoff wait. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('telegram adapter stopped'));
    await this.loop;
    this.loop = undefined;
    if (this.state !== 'unauthorized') this.state = 'stopped';
  }

  private async run(onInbound: (m: Inbound) => void | Promise<void>, firstAttempt: () => void): Promise<void> {
    const { log, accountId } = this.deps;
    const signal = this.abort.signal;
    this.state = 'connecting';
    const me = await this.identify(signal, firstAttempt);
    if (!me) return;
    this.me = me;
    this.restoreOffset(me);
    firstAttempt();
    await this.dropWebhook(signal);
    this.state = 'polling';
    log.info('telegram: polling', { accountId, bot: `@${me.username}`, offset: this.offset });

    let failures = 0;
    while (!signal.aborted) {
      let updates: unknown;
      try {
        updates = await this.deps.api.getUpdates({ offset: this.offset, timeout: this.deps.pollTimeoutSeconds, allowed_updates: ['message'] }, forGrammy(signal));
      } catch (err) {
        if (signal.aborted) break;
        const f = classifyTelegramError(err);
        if (f.kind === 'unauthorized') return this.unauthorized(f.detail, err);
        const wait = f.kind === 'rate-limit' ? f.retryAfterMs : backoffMs(this.deps.retry, ++failures);
        const hint = f.kind === 'conflict' ? ' (another process is polling this bot token, or a webhook is set)' : '';
        log.warn(`telegram: getUpdates failed${hint}; retrying`, { accountId, detail: f.detail, waitMs: wait, err });
        await pause(this.deps.clock, wait, signal);
        continue;
      }
      // `ok: true` with a result that is not a list (a proxy or a broken local Bot API server): iterating it would
      // throw and end the loop for good, so treat it like a failed call.
      if (!Array.isArray(updates)) {
        const wait = backoffMs(this.deps.retry, ++failures);
        log.warn('telegram: getUpdates answered without a list of updates; retrying', { accountId, result: describeJunk(updates), waitMs: wait });
        await pause(this.deps.clock, wait, signal);
        continue;
      }
      failures = 0;
      if (!(await this.deliver(updates, me, onInbound, signal))) {
        await pause(this.deps.clock, backoffMs(this.deps.retry, ++failures), signal);
      }
    }
  }

  /** getMe until it works; null when the token is rejected or we were stopped. */
  private async identify(signal: AbortSignal, firstAttempt: () => void): Promise<BotIdentity | null> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const me: unknown = await this.deps.api.getMe(forGrammy(signal));
        const identity = botIdentityOf(me);
        // Without its id and username the decoder can tell neither mentions nor `/cmd@bot`: ask again.
        if (!identity) throw new Error(`getMe answered without the bot's id and username: ${describeJunk(me)}`);
        return identity;
      } catch (err) {
        if (signal.aborted) return null;
        const f = classifyTelegramError(err);
        if (f.kind === 'unauthorized') {
          this.unauthorized(f.detail, err);
          firstAttempt();
          return null;
        }
        const wait = f.kind === 'rate-limit' ? f.retryAfterMs : backoffMs(this.deps.retry, ++failures);
        this.deps.log.warn('telegram: getMe failed; retrying', { accountId: this.deps.accountId, detail: f.detail, waitMs: wait, err });
        firstAttempt();
        await pause(this.deps.clock, wait, signal);
      }
    }
    return null;
  }

  private unauthorized(detail: string, err: unknown): void {
    this.state = 'unauthorized';
    const which = this.deps.accountId === 'default' ? 'channels.telegram.botToken' : `channels.telegram.accounts.${this.deps.accountId}.botToken`;
    this.deps.log.error(
      `${which} was rejected by Telegram (401): check the token from @BotFather. This Telegram account is stopped; the rest of the gateway keeps running.`,
      { accountId: this.deps.accountId, detail, err },
    );
  }

  /** The persisted offset belongs to one bot: if the token now names another bot, its offset means nothing. */
  private restoreOffset(me: BotIdentity): void {
    const { offsets, log, accountId } = this.deps;
    const botKey = `${this.key}:botId`;
    const storedBot = offsets.get(botKey);
    const stored = offsets.get(this.key);
    if (storedBot !== undefined && storedBot !== me.id) {
      log.warn('telegram: the bot token now belongs to a different bot; ignoring the saved update offset', { accountId });
      this.offset = undefined;
    } else {
      this.offset = stored;
    }
    if (storedBot !== me.id) offsets.set(botKey, me.id);
  }

  /** getUpdates fails while a webhook is set; long polling needs it gone (grammY's bot.start does the same). */
  private async dropWebhook(signal: AbortSignal): Promise<void> {
    try {
      await this.deps.api.deleteWebhook({ drop_pending_updates: false }, forGrammy(signal));
    } catch (err) {
      if (signal.aborted) return;
      // Not fatal: if a webhook really is set, getUpdates answers 409 and the loop reports it.
      this.deps.log.warn('telegram: deleteWebhook failed', { accountId: this.deps.accountId, detail: classifyTelegramError(err).detail, err });
    }
  }

  /**
   * Hands each new update to the runtime in order, persisting the offset after each one is accepted. Returns
   * false when a delivery failed and the batch should be fetched again after a pause.
   */
  private async deliver(updates: unknown[], me: BotIdentity, onInbound: (m: Inbound) => void | Promise<void>, signal: AbortSignal): Promise<boolean> {
    const { log, accountId, offsets, clock } = this.deps;
    for (const update of updates) {
      if (signal.aborted) return true; // not confirmed: the next start fetches it again
      const id = updateIdOf(update);
      if (id === undefined) {
        log.warn('telegram: update without update_id skipped', { accountId });
        continue;
      }
      if (this.offset !== undefined && id < this.offset) continue; // already handled (dedupe)
      try {
        const m = decodeUpdate(update, me, accountId, clock.now());
        if (m) await onInbound(m);
      } catch (err) {
        const n = (this.deliveryFailures.get(id) ?? 0) + 1;
        this.deliveryFailures.set(id, n);
        if (n < MAX_DELIVERY_ATTEMPTS) {
          log.error('telegram: the runtime did not accept an update; will fetch it again', { accountId, updateId: id, attempt: n, err });
          return false;
        }
        log.error('telegram: update skipped after repeated delivery failures', { accountId, updateId: id, attempts: n, err });
      }
      this.deliveryFailures.delete(id);
      this.offset = id + 1;
      offsets.set(this.key, this.offset);
    }
    return true;
  }
}

function updateIdOf(update: unknown): number | undefined {
  if (typeof update !== 'object' || update === null) return undefined;
  const id = (update as { update_id?: unknown }).update_id;
  return typeof id === 'number' && Number.isInteger(id) ? id : undefined;
}

function botIdentityOf(me: unknown): BotIdentity | undefined {
  if (typeof me !== 'object' || me === null) return undefined;
  const { id, username } = me as { id?: unknown; username?: unknown };
  return typeof id === 'number' && Number.isFinite(id) && typeof username === 'string' && username !== '' ? { id, username } : undefined;
}

/** A short description of an unexpected API result for the log. */
function describeJunk(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}
