// Tool policy: which tools an agent may call in a given chat. Layers, from the top: global `tools`, the
// agent's `agents.list[].tools`, then the chat's (its channel module's ChatSettings.tools: on Telegram
// `channels.telegram.groups.<id>.tools`, then its topic's). Every layer
// must permit a tool, so a lower layer can only restrict: its allow list cannot bring back what a higher
// layer blocked. Deny always wins; a non-empty allow list blocks everything it does not name.
//
// Entries: `*` (every tool), `group:<name>` (`group:fs`, `group:runtime`, `group:web`, `group:core`), or a
// tool name, where `*` matches any characters (`web_*`). Matching ignores case.
import type { Config, ToolPolicyConfig } from '../config/schema.js';
import type { ChannelId, ChatSettings } from '../types/channel.js';
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
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
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
  return [...layerOf('tools', { allow: config.tools.allow, deny: config.tools.deny }), ...layerOf(`agents.list[${agentId}].tools`, agent?.tools)];
}

/**
 * The chat's layers, from its channel module's ChatSettings.tools (outer chat first, e.g. a group's then its
 * topic's). Direct chats and chats the config does not list have none.
 */
export function chatLayers(settings: ChatSettings | undefined, channel: ChannelId): PolicyLayer[] {
  const tools = settings?.tools;
  if (!tools) return [];
  const list = Array.isArray(tools) ? tools : [tools];
  return list.flatMap((p, i) => layerOf(p.source ?? `channels.${channel} chat tools${list.length > 1 ? ` #${i + 1}` : ''}`, p));
}
