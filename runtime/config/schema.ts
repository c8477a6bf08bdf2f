// The configuration schema: these key names are the product's interface (users' switchyard.json files).
// Unknown keys are errors (strict objects) so a typo is reported, not silently ignored.
import { z } from 'zod';
import type { ChannelModule } from '../types/channel.js';

const channelId = z.enum(['telegram', 'discord', 'whatsapp', 'slack', 'webchat']);
const peerKind = z.enum(['direct', 'group', 'channel']);

export const toolPolicySchema = z.strictObject({
  allow: z.array(z.string()).optional(),
  deny: z.array(z.string()).optional(),
});

const modelSchema = z.strictObject({
  primary: z
    .string()
    .regex(/^[^/]+\/.+$/, 'expected "<provider>/<model>"')
    .optional(),
  fallbacks: z.array(z.string().regex(/^[^/]+\/.+$/, 'expected "<provider>/<model>"')).prefault([]),
});

const queueMode = z.enum(['collect', 'followup', 'steer', 'interrupt']);
const dropPolicy = z.enum(['old', 'new', 'summarize']);

const sandboxSchema = z.strictObject({
  mode: z.enum(['all', 'non-main', 'off']).prefault('all'),
  network: z.boolean().prefault(false),
  timeoutSeconds: z.number().int().positive().prefault(60),
  maxOutputBytes: z.number().int().positive().prefault(200_000),
});

const compactionSchema = z.strictObject({
  /** Compact after a turn whose context exceeds window − reserveTokens. */
  reserveTokens: z.number().int().min(0).prefault(20_000),
  /** About this many tokens of the newest history are kept verbatim. */
  keepRecentTokens: z.number().int().min(0).prefault(20_000),
  /** One silent turn before compacting lets the agent write durable notes to memory/YYYY-MM-DD.md. */
  memoryFlush: z.boolean().prefault(true),
});

const contextPruningSchema = z.strictObject({
  mode: z.enum(['auto', 'off']).prefault('auto'),
  /** Tool results in the last this many assistant turns are never pruned. */
  keepLastAssistants: z.number().int().min(0).prefault(3),
  softTrimRatio: z.number().min(0).max(1).prefault(0.3),
  hardClearRatio: z.number().min(0).max(1).prefault(0.5),
  minPrunableToolChars: z.number().int().min(0).prefault(50_000),
  softTrim: z
    .strictObject({
      maxChars: z.number().int().min(0).prefault(4000),
      headChars: z.number().int().min(0).prefault(1500),
      tailChars: z.number().int().min(0).prefault(1500),
    })
    .prefault({}),
  hardClear: z.strictObject({ placeholder: z.string().prefault('[Old tool result content cleared]') }).prefault({}),
  /** Every tool result, every call, is cut to this many characters (head and tail kept). */
  maxToolResultChars: z.number().int().min(1000).prefault(50_000),
});

const agentSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'expected an id of letters, digits, - and _'),
  name: z.string().optional(),
  default: z.boolean().optional(),
  workspace: z.string().optional(),
  model: modelSchema.optional(),
  tools: toolPolicySchema.optional(),
});

const bindingSchema = z.strictObject({
  agentId: z.string(),
  match: z.strictObject({
    channel: channelId,
    accountId: z.string().optional(),
    peer: z.strictObject({ kind: peerKind, id: z.union([z.string(), z.number()]).transform(String) }).optional(),
    guildId: z.union([z.string(), z.number()]).transform(String).optional(),
    teamId: z.string().optional(),
    roles: z.array(z.string()).optional(),
  }),
});

export const configSchema = z.strictObject({
  gateway: z
    .strictObject({
      port: z.number().int().min(0).max(65535).prefault(18789),
      bind: z.string().min(1).prefault('loopback'),
      auth: z.strictObject({ token: z.string().min(16, 'expected at least 16 characters').optional() }).prefault({}),
      /** Optional HTTP API: `chatCompletions` turns on the OpenAI-compatible POST /v1/chat/completions. */
      http: z.strictObject({ chatCompletions: z.boolean().prefault(false) }).prefault({}),
    })
    .prefault({}),
  models: z
    .strictObject({
      providers: z
        .record(
          z.string(),
          z.strictObject({
            api: z.enum(['anthropic-messages', 'openai-completions']),
            baseUrl: z.string().url().optional(),
            apiKey: z.string().optional(),
            /** Context window in tokens, used for /context and compaction. */
            contextWindow: z.number().int().positive().optional(),
            maxTokens: z.number().int().positive().optional(),
            /** Per-model settings, by the model id as the provider knows it (overrides contextWindow above). */
            models: z.record(z.string(), z.strictObject({ contextWindow: z.number().int().positive().optional() })).optional(),
          }),
        )
        .prefault({}),
    })
    .prefault({}),
  auth: z
    .strictObject({
      profiles: z
        .record(
          z.string().regex(/^[^:]+:.+$/, 'expected "<provider>:<name>"'),
          z.strictObject({
            provider: z.string(),
            mode: z.enum(['api_key', 'token']),
            key: z.string().optional(),
            token: z.string().optional(),
          }),
        )
        .prefault({}),
      order: z.record(z.string(), z.array(z.string())).prefault({}),
    })
    .prefault({}),
  agents: z
    .strictObject({
      defaults: z
        .strictObject({
          model: modelSchema.prefault({}),
          maxConcurrent: z.number().int().min(1).max(256).prefault(4),
          timeoutSeconds: z.number().positive().prefault(600),
          maxToolRounds: z.number().int().min(1).max(100).prefault(12),
          workspace: z.string().optional(),
          sandbox: sandboxSchema.prefault({}),
          compaction: compactionSchema.prefault({}),
          contextPruning: contextPruningSchema.prefault({}),
          /** Each agent workspace a git repository with a commit per run that changed it (default: on if git is on PATH). */
          workspaceGit: z.boolean().optional(),
        })
        .prefault({}),
      list: z.array(agentSchema).prefault([{ id: 'main', default: true }]),
    })
    .prefault({}),
  bindings: z.array(bindingSchema).prefault([]),
  session: z
    .strictObject({
      dmScope: z.enum(['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer']).prefault('per-channel-peer'),
      identityLinks: z.record(z.string(), z.array(z.string())).prefault({}),
    })
    .prefault({}),
  messages: z
    .strictObject({
      queue: z
        .strictObject({
          mode: queueMode.prefault('collect'),
          debounceMs: z.number().int().min(0).prefault(1000),
          cap: z.number().int().min(1).prefault(20),
          drop: dropPolicy.prefault('summarize'),
          byChannel: z.partialRecord(channelId, queueMode).prefault({}),
        })
        .prefault({}),
    })
    .prefault({}),
  commands: z
    .strictObject({
      ownerAllowFrom: z.array(z.string().regex(/^[a-z]+:.+$/, 'expected "<channel>:<userId>"')).prefault([]),
    })
    .prefault({}),
  tools: z
    .strictObject({
      allow: z.array(z.string()).optional(),
      deny: z.array(z.string()).optional(),
      exec: z
        .strictObject({
          security: z.enum(['deny', 'allowlist', 'full']).prefault('allowlist'),
          ask: z.enum(['off', 'on-miss', 'always']).prefault('on-miss'),
          approvalTimeoutSeconds: z.number().positive().prefault(1800),
          allowlist: z.array(z.string()).prefault([]),
          /** Processes one command may run at once (a fork bomb dies alone). */
          maxProcesses: z.number().int().min(4).max(100_000).prefault(64),
          /** Memory one command may use, in MB (each process, and all of them together where that can be bounded). */
          maxMemoryMb: z.number().int().min(16).max(1_048_576).prefault(512),
        })
        .prefault({}),
      web: z
        .strictObject({
          allowPrivateNetwork: z.boolean().prefault(false),
          maxBytes: z.number().int().positive().prefault(500_000),
          timeoutSeconds: z.number().positive().prefault(20),
        })
        .prefault({}),
    })
    .prefault({}),
  memory: z
    .strictObject({
      /** Embeddings for memory search: a models.providers id speaking OpenAI's /v1/embeddings, and its model. */
      embedding: z.strictObject({ provider: z.string().min(1), model: z.string().min(1) }).optional(),
      /** How vector and keyword (BM25) scores are weighed in hybrid search. */
      weights: z.strictObject({ vector: z.number().min(0).max(1).prefault(0.7), text: z.number().min(0).max(1).prefault(0.3) }).prefault({}),
    })
    .prefault({}),
  /**
   * One block per platform, each validated by its adapter module's schema (configSchemaFor); the runtime reads
   * them only through the module (ChannelModule.directSettings / chatSettings / agentRefs), never by shape.
   */
  channels: z.record(z.string(), z.unknown()).prefault({}),
});

/**
 * The whole config's schema with `channels.<id>` validated by the registered modules: a block no module
 * validates is an unknown key (the loader reports a known platform's as "not supported yet").
 */
export function configSchemaFor(modules: readonly ChannelModule[]): z.ZodType<Config, ConfigInput> {
  const blocks = Object.fromEntries(modules.map((m) => [m.id, m.configSchema.optional()]));
  return configSchema.extend({ channels: z.strictObject(blocks).prefault({}) }) as unknown as z.ZodType<Config, ConfigInput>;
}

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type AgentConfig = z.output<typeof agentSchema>;
export type ToolPolicyConfig = z.output<typeof toolPolicySchema>;
export type QueueMode = z.output<typeof queueMode>;
export type DropPolicy = z.output<typeof dropPolicy>;
