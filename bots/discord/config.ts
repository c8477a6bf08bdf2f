// The `channels.discord` block. Its key names are product interface (users write them); unknown keys are errors.
// Ids are strings everywhere: a Discord id (snowflake) is a 64-bit number, which a JS number cannot hold
// exactly, so a bare number in the file is refused instead of silently pointing at another id.
import { z } from 'zod';

/** Where discord.js talks to unless `apiRoot` says otherwise (REST; the gateway URL comes from GET /gateway/bot). */
export const DEFAULT_API_ROOT = 'https://discord.com/api';

const ID_EXPECTED = 'expected an id in quotes, e.g. "123456789012345678" (Discord ids do not fit a JSON number)';

/** A Discord id (or another allowlist entry) written as a non-empty string. */
const discordId = z.custom<string>((v) => typeof v === 'string' && v.trim() !== '', { message: ID_EXPECTED });

const channelEntrySchema = z.strictObject({
  /** false: the bot ignores this channel (and its threads). */
  allow: z.boolean().optional(),
  requireMention: z.boolean().optional(),
});

const guildSchema = z.strictObject({
  /** Default true: in servers the bot answers when @mentioned or replied to. */
  requireMention: z.boolean().optional(),
  /** Who may talk to the bot in this server: these users OR members with one of `roles`; absent = everyone. */
  users: z.array(discordId).optional(),
  roles: z.array(discordId).optional(),
  /** When present, only these channels (and their threads) are answered; unlisted channels are ignored. */
  channels: z.record(z.string(), channelEntrySchema).optional(),
});

const accountSchema = z.strictObject({
  token: z.string().optional(),
  apiRoot: z.url().optional(),
});

export const discordConfigSchema = z.strictObject({
  token: z.string().optional(),
  apiRoot: z.url().optional(),
  dmPolicy: z.enum(['pairing', 'allowlist', 'open', 'disabled']).prefault('pairing'),
  allowFrom: z.array(discordId).prefault([]),
  /** Servers the bot answers in, by guild id; `"*"` applies to every server without its own entry. */
  guilds: z.record(z.string(), guildSchema).prefault({}),
  /** More bots: each account logs in with its own token (the plain keys above are account `default`). */
  accounts: z.record(z.string(), accountSchema).optional(),
});

export type DiscordConfig = z.output<typeof discordConfigSchema>;
export type DiscordGuildConfig = z.output<typeof guildSchema>;

export interface DiscordAccount {
  accountId: string;
  token: string;
  apiRoot: string;
}

/**
 * The accounts to run: the plain keys are account `default` (its token may come from DISCORD_BOT_TOKEN, which
 * the config loader fills in); `accounts.<id>` adds more, inheriting apiRoot. Accounts without a token are skipped.
 */
export function resolveAccounts(cfg: DiscordConfig | undefined): DiscordAccount[] {
  if (!cfg) return [];
  const root = (s: string | undefined) => (s ?? cfg.apiRoot ?? DEFAULT_API_ROOT).replace(/\/+$/, '');
  const out: DiscordAccount[] = [];
  const add = (accountId: string, token: string | undefined, apiRoot: string | undefined) => {
    const t = token?.trim().replace(/^Bot\s+/i, '');
    if (t) out.push({ accountId, token: t, apiRoot: root(apiRoot) });
  };
  if (!cfg.accounts?.default) add('default', cfg.token, cfg.apiRoot);
  for (const [id, acc] of Object.entries(cfg.accounts ?? {})) add(id, acc.token ?? (id === 'default' ? cfg.token : undefined), acc.apiRoot);
  return out;
}

/** Where in the config an account's token lives, for error messages a user can act on. */
export function tokenPath(accountId: string): string {
  return accountId === 'default' ? 'channels.discord.token' : `channels.discord.accounts.${accountId}.token`;
}
