// Senders' display names for the model ("Ana: …" in a shared channel). Message events carry only the user id, so
// users.info is asked once per user and cached. A failed lookup never holds a message back: it goes on without a
// name, and the user is not asked about again for a while. A workspace without the users:read scope is asked once.
import type { Clock, Logger } from '../../runtime/types/channel.js';
import { classifySlackError } from './errors.js';
import type { WebClient } from './outbound.js';

export const NAME_TTL_MS = 60 * 60 * 1000;
export const FAILED_TTL_MS = 5 * 60 * 1000;
export const MAX_NAMES = 1000;

type Who = { name?: string; username?: string };

export class SenderNames {
  private readonly cache = new Map<string, { who: Who | undefined; until: number }>();
  private disabled = false;

  constructor(private readonly deps: { client: WebClient; clock: Clock; log: Logger; accountId: string }) {}

  async lookup(userId: string): Promise<Who | undefined> {
    if (this.disabled) return undefined;
    const now = this.deps.clock.now();
    const hit = this.cache.get(userId);
    if (hit && hit.until > now) return hit.who;
    let who: Who | undefined;
    try {
      const res = await this.deps.client.users.info({ user: userId });
      const u = res.user;
      const name = u?.profile?.display_name || u?.real_name || u?.profile?.real_name || undefined;
      who = { ...(name ? { name } : {}), ...(u?.name ? { username: u.name } : {}) };
    } catch (err) {
      const f = classifySlackError(err);
      if (f.kind === 'rejected' && f.error === 'missing_scope') {
        this.disabled = true;
        this.deps.log.warn('slack: users.info needs the users:read scope; senders are shown by id (add the scope from the manifest)', {
          accountId: this.deps.accountId,
        });
        return undefined;
      }
      this.deps.log.debug?.('slack: users.info failed; going on without a name', { accountId: this.deps.accountId, userId, detail: f.detail, err });
    }
    if (this.cache.size >= MAX_NAMES) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(userId, { who, until: now + (who ? NAME_TTL_MS : FAILED_TTL_MS) });
    return who;
  }
}
