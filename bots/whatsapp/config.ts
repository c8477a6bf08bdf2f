// `channels.whatsapp`: the keys are product interface (users' switchyard.json files). Strict objects, so a typo is
// an error naming the key instead of a setting that silently does nothing.
//
// People are named by phone number in E.164 form (`+15551234567`): that is what a user knows, and it is how the
// adapter reports a sender whenever WhatsApp tells it the number (see inbound.ts). A sender WhatsApp only knows
// by its LID (`<digits>@lid`) can be listed in that form too.
import { z } from 'zod';

/** `+` and 6–15 digits; spaces, dashes, dots and parentheses people paste along are removed first. */
const E164 = /^\+[1-9]\d{5,14}$/;
const LID = /^\d+@lid$/;

const person = z
  .union([z.string(), z.number()])
  .transform((v) => {
    const s = String(v).trim();
    return s === '*' || LID.test(s) ? s : s.replace(/[\s().-]/g, '');
  })
  .refine((s) => s === '*' || E164.test(s) || LID.test(s), {
    message: 'expected a phone number in E.164 form with its country code, like "+15551234567" (or "*" for everyone)',
  });

const groupSchema = z.strictObject({
  /** Default true: only messages that @mention the bot or reply to one of its messages are answered. */
  requireMention: z.boolean().optional(),
});

/** Group JIDs end in `@g.us`; `*` applies to every group without its own entry. */
const groupKey = z.string().refine((k) => k === '*' || /^[\d-]+@g\.us$/.test(k), {
  message: 'expected a group JID like "120363012345678901@g.us", or "*" for every group',
});

const accountSchema = z.strictObject({
  /** Overrides the channel's sendReadReceipts for this number. */
  sendReadReceipts: z.boolean().optional(),
});

/** Account ids name a folder under credentials/whatsapp/, so they stay plain. */
const accountId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'expected an account id of letters, digits, - and _ (it names a folder)');

export const whatsappConfigSchema = z.strictObject({
  dmPolicy: z.enum(['pairing', 'allowlist', 'open', 'disabled']).prefault('pairing'),
  allowFrom: z.array(person).prefault([]),
  groups: z.record(groupKey, groupSchema).prefault({}),
  /** Blue ticks: messages the gateway acts on are marked read. */
  sendReadReceipts: z.boolean().prefault(true),
  /** More WhatsApp numbers; without this block there is one account, `default`. */
  accounts: z.record(accountId, accountSchema).optional(),
});

export type WhatsAppConfig = z.output<typeof whatsappConfigSchema>;
export type WhatsAppConfigInput = z.input<typeof whatsappConfigSchema>;

export interface WhatsAppAccount {
  accountId: string;
  sendReadReceipts: boolean;
}

/**
 * The accounts to run: the ids under `accounts` when there are any, else the single account `default`. (Unlike a
 * bot token, a WhatsApp link has no config key of its own to tell a default account from a listed one.)
 */
export function resolveAccounts(cfg: WhatsAppConfig): WhatsAppAccount[] {
  const listed = Object.entries(cfg.accounts ?? {});
  if (listed.length === 0) return [{ accountId: 'default', sendReadReceipts: cfg.sendReadReceipts }];
  return listed.map(([accountId, a]) => ({ accountId, sendReadReceipts: a.sendReadReceipts ?? cfg.sendReadReceipts }));
}
