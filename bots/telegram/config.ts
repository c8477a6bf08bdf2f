// `channels.telegram`: the Telegram block of switchyard.json. These key names are product interface (users'
// config files); strict objects, so a typo is an error naming the key instead of a silently ignored setting.
import { z } from 'zod';

const idList = z.array(z.union([z.string(), z.number()]).transform(String));

const toolPolicy = z.strictObject({
  allow: z.array(z.string()).optional(),
  deny: z.array(z.string()).optional(),
});

const topicSchema = z.strictObject({
  agentId: z.string().optional(),
  requireMention: z.boolean().optional(),
  tools: toolPolicy.optional(),
  enabled: z.boolean().optional(),
});

const groupSchema = z.strictObject({
  requireMention: z.boolean().optional(),
  tools: toolPolicy.optional(),
  enabled: z.boolean().optional(),
  allowFrom: idList.optional(),
  topics: z.record(z.string(), topicSchema).optional(),
});

/** One more bot beside the default one (the block's own botToken): its own token, offset and bindings scope. */
const accountSchema = z.strictObject({
  botToken: z.string().optional(),
  apiRoot: z.string().url().optional(),
});

export const telegramConfigSchema = z.strictObject({
  enabled: z.boolean().prefault(true),
  botToken: z.string().optional(),
  /** A local Bot API server instead of api.telegram.org. */
  apiRoot: z.string().url().optional(),
  accounts: z.record(z.string(), accountSchema).optional(),
  dmPolicy: z.enum(['pairing', 'allowlist', 'open', 'disabled']).prefault('pairing'),
  allowFrom: idList.prefault([]),
  /** The group allowlist: chat id → settings; `"*"` applies to every group without its own entry. */
  groups: z.record(z.string(), groupSchema).prefault({}),
  /** Long-poll timeout in seconds (getUpdates `timeout`). */
  pollTimeoutSeconds: z.number().int().min(0).max(50).prefault(25),
});

export type TelegramConfig = z.output<typeof telegramConfigSchema>;
export type TelegramGroupConfig = z.output<typeof groupSchema>;
