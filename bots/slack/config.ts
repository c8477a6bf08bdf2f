// `channels.slack`: the keys are product interface (users' switchyard.json). Strict objects, so a typo is an
// error naming the key instead of a setting silently ignored.
import { z } from 'zod';

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

const botToken = z.string().regex(/^xoxb-/, 'expected a bot token starting with xoxb- (Slack app → OAuth & Permissions → Bot User OAuth Token)');
const appToken = z
  .string()
  .regex(/^xapp-/, 'expected an app-level token starting with xapp- (Slack app → Basic Information → App-Level Tokens, scope connections:write)');
const apiUrl = z.string().url();
/** "off": a top-level message gets a top-level answer; "all": every answer in a thread. */
const replyToMode = z.enum(['off', 'all']);

const toolPolicy = z.strictObject({
  allow: z.array(z.string()).optional(),
  deny: z.array(z.string()).optional(),
});

const slackChatSchema = z.strictObject({
  /** Default true: only messages that mention the bot (or reply in a thread the bot started) are answered. */
  requireMention: z.boolean().optional(),
  /** false: the bot ignores this channel. */
  enabled: z.boolean().optional(),
  /** Only these members (user ids) may use the bot here. */
  allowFrom: z.array(z.string()).optional(),
  /** This channel's tool policy (may only restrict). */
  tools: toolPolicy.optional(),
});

const slackAccountSchema = z.strictObject({
  botToken: botToken.optional(),
  appToken: appToken.optional(),
  apiUrl: apiUrl.optional(),
  replyToMode: replyToMode.optional(),
});

export const slackConfigSchema = z.strictObject({
  /** false: the block stays in the file but no Slack account starts. */
  enabled: z.boolean().prefault(true),
  botToken: botToken.optional(),
  appToken: appToken.optional(),
  /** The Web API base; apps.connections.open is called there too and returns the Socket Mode URL. */
  apiUrl: apiUrl.prefault(DEFAULT_SLACK_API_URL),
  dmPolicy: z.enum(['pairing', 'allowlist', 'open', 'disabled']).prefault('pairing'),
  allowFrom: z.array(z.string()).prefault([]),
  /** Channel id (or "*") → settings. A channel that is listed neither by id nor by "*" is not answered. */
  channels: z.record(z.string(), slackChatSchema).prefault({}),
  replyToMode: replyToMode.prefault('off'),
  accounts: z.record(z.string(), slackAccountSchema).optional(),
});

export type SlackConfig = z.output<typeof slackConfigSchema>;
export type SlackConfigInput = z.input<typeof slackConfigSchema>;
export type ReplyToMode = z.output<typeof replyToMode>;
