// Tool policy: which tools an agent may call in a given chat. Layers, from the top: global `tools`, the
// agent's `agents.list[].tools`, the chat's `channels.<ch>.groups.<id>.tools`, then its topic's. Every layer
// must permit a tool, so a lower layer can only restrict: its allow list cannot bring back what a higher
// layer blocked. Deny always wins; a non-empty allow list blocks everything it does not name.
//
// Entries: `*` (every tool), `group:<name>` (`group:fs`, `group:runtime`, `group:web`, `group:core`), or a
// tool name, where `*` matches any characters (`web_*`). Matching ignores case.
import type { Config, ToolPolicyConfig } from '../config/schema.js';
import type { ChannelId, ChatRef } from '../types/channel.js';
import type { Tool } from './types.js';

export interface PolicyLayer {
  /** Where the layer came from, for reasons shown to the owner (e.g. `tools`, `agents.list[main].tools`). */
  source: string;
  allow?: string[];
  deny?: string[];
}

export interface PolicyDecision {
  allowed: boolean;
  reason: string;
}

function nameMatches(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(name);
}

/** Whether one allow/deny entry covers the tool. */
export function entryMatches(entry: string, toolName: string, group: string): boolean {
  const e = entry.trim().toLowerCase();
  if (e === '*') return true;
  if (e.startsWith('group:')) return nameMatches(e.slice('group:'.length), group.toLowerCase());
  return nameMatches(e, toolName.toLowerCase());
}

export function decide(toolName: string, group: string, layers: PolicyLayer[]): PolicyDecision {
  for (const layer of layers) {
    const hit = layer.deny?.find((e) => entryMatches(e, toolName, group));
    if (hit !== undefined) return { allowed: false, reason: `"${toolName}" is denied by ${layer.source}.deny ("${hit}")` };
  }
  for (const layer of layers) {
    if (layer.allow && layer.allow.length > 0 && !layer.allow.some((e) => entryMatches(e, toolName, group))) {
      return { allowed: false, reason: `"${toolName}" is not in ${layer.source}.allow` };
    }
  }
  return { allowed: true, reason: 'allowed by policy' };
}

/** The tools the model may see and call under these layers. */
export function filterTools(tools: Tool[], layers: PolicyLayer[]): Tool[] {
  return tools.filter((t) => decide(t.spec.name, t.group, layers).allowed);
}

function layerOf(source: string, p: ToolPolicyConfig | undefined): PolicyLayer[] {
  return p && (p.allow?.length || p.deny?.length) ? [{ source, allow: p.allow, deny: p.deny }] : [];
}

/** The global and agent layers from config. */
export function configLayers(config: Config, agentId: string): PolicyLayer[] {
  const agent = config.agents.list.find((a) => a.id === agentId);
  return [
    ...layerOf('tools', { allow: config.tools.allow, deny: config.tools.deny }),
    ...layerOf(`agents.list[${agentId}].tools`, agent?.tools),
  ];
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

function decodePolicy(v: unknown): ToolPolicyConfig | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  return { allow: stringList(o.allow), deny: stringList(o.deny) };
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * The chat and topic layers: `channels.<ch>.groups.<chatId>.tools` (a group entry `*` applies to groups without
 * their own entry) and `...groups.<chatId>.topics.<threadId>.tools`. Direct chats have none. Channel blocks are
 * read defensively because some platforms' blocks are not typed yet.
 */
export function chatLayers(config: Config, channel: ChannelId, chat: ChatRef): PolicyLayer[] {
  if (chat.kind === 'direct') return [];
  const groups = record(record(record(config.channels)?.[channel])?.groups);
  if (!groups) return [];
  const key = chat.id in groups ? chat.id : chat.parentId && chat.parentId in groups ? chat.parentId : '*';
  const group = record(groups[key]);
  if (!group) return [];
  const base = `channels.${channel}.groups[${key}]`;
  const layers = layerOf(`${base}.tools`, decodePolicy(group.tools));
  if (chat.threadId) {
    const topic = record(record(group.topics)?.[chat.threadId]);
    layers.push(...layerOf(`${base}.topics[${chat.threadId}].tools`, decodePolicy(topic?.tools)));
  }
  return layers;
}
