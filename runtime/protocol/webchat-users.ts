// Web chat users' personal credentials. An owner invites a user by name (`/webchat invite <name>`); the user gets a
// personal link whose token is shown once and stored only as its sha256 (the tokens are 256 random bits, so a fast
// hash is enough). A web chat connection's user id is the one its token is bound to — never what the client says.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { GatewayState, JsonDoc, WebchatUser } from '../types/index.js';

/** Personal tokens start with this, so a page can tell them from the gateway (operator) token. */
export const PERSONAL_TOKEN_PREFIX = 'wc_';
/** The web chat id the operator (gateway token) chats as when no `webchat:<id>` owner is configured. */
export const OPERATOR_WEBCHAT_ID = 'owner';
/** The web chat id the HTTP API chats as (`api`, or `api-<user>` with the request's `user`). */
export const API_WEBCHAT_ID = 'api';
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface WebchatUsers {
  /** Creates (or replaces, invalidating the old link) the credential of `name`; returns the token (shown once). */
  invite(name: string, by: string): Promise<{ userId: string; token: string; replaced: boolean }>;
  /** The user a personal token belongs to, or undefined. */
  verify(token: string): string | undefined;
  revoke(name: string): Promise<boolean>;
  list(): Omit<WebchatUser, 'tokenHash'>[];
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Checks a name as a web chat user id; throws with what to do. */
export function webchatUserId(name: string): string {
  const id = name.trim().toLowerCase();
  if (!NAME.test(id)) throw new Error(`"${name}" is not a usable name: 1–64 letters, digits, - or _, starting with a letter or digit`);
  if (id === OPERATOR_WEBCHAT_ID) throw new Error(`"${OPERATOR_WEBCHAT_ID}" is the gateway token holder's web chat name; pick another`);
  if (id === API_WEBCHAT_ID || id.startsWith(`${API_WEBCHAT_ID}-`))
    throw new Error(`"${API_WEBCHAT_ID}" and "${API_WEBCHAT_ID}-…" are the HTTP API's web chat names; pick another`);
  return id;
}

export function createWebchatUsers(deps: { state: JsonDoc<GatewayState>; now(): number }): WebchatUsers {
  const users = () => deps.state.data.webchatUsers ?? [];
  return {
    async invite(name, by) {
      const userId = webchatUserId(name);
      const token = PERSONAL_TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const replaced = users().some((u) => u.userId === userId);
      deps.state.update((d) => {
        d.webchatUsers = (d.webchatUsers ?? []).filter((u) => u.userId !== userId);
        d.webchatUsers.push({ userId, tokenHash: sha256(token), createdAt: deps.now(), createdBy: by });
      });
      // On disk before the link is shown: a link that a restart forgets would be a broken promise.
      await deps.state.flush();
      return { userId, token, replaced };
    },
    verify(token) {
      if (!token.startsWith(PERSONAL_TOKEN_PREFIX)) return undefined;
      const given = Buffer.from(sha256(token), 'hex');
      return users().find((u) => {
        const stored = Buffer.from(u.tokenHash, 'hex');
        return stored.length === given.length && timingSafeEqual(stored, given);
      })?.userId;
    },
    async revoke(name) {
      const userId = name.trim().toLowerCase();
      if (!users().some((u) => u.userId === userId)) return false;
      deps.state.update((d) => {
        d.webchatUsers = (d.webchatUsers ?? []).filter((u) => u.userId !== userId);
      });
      await deps.state.flush();
      return true;
    },
    list: () => users().map(({ tokenHash: _h, ...u }) => u),
  };
}
