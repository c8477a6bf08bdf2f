// `channels.webchat`: the built-in web chat's block of switchyard.json (strict: unknown keys are errors).
import { z } from 'zod';

export const webchatConfigSchema = z.strictObject({
  enabled: z.boolean().prefault(true),
  /** Only invited users (personal links) and the operator reach the page, so the default is open; allowFrom narrows it. */
  dmPolicy: z.enum(['pairing', 'allowlist', 'open', 'disabled']).prefault('open'),
  allowFrom: z.array(z.union([z.string(), z.number()]).transform(String)).prefault([]),
});

export type WebchatConfig = z.output<typeof webchatConfigSchema>;
