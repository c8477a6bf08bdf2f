// Tool policy: deny beats allow, a non-empty allow blocks the rest, a lower layer cannot widen, groups.
import { describe, expect, it } from 'vitest';
import { configSchema, configSchemaFor, type Config } from '../../runtime/config/schema.js';
import { channelSettings } from '../../runtime/channel-settings.js';
import type { ChannelId, ChatRef } from '../../runtime/types/channel.js';
import { CHANNEL_MODULES } from '../../bots/registry.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { builtinTools } from '../../runtime/tools/builtin.js';
import { chatLayers, configLayers, decide, filterTools, type PolicyLayer } from '../../runtime/tools/policy.js';

const config = configSchema.parse({});
const tools = builtinTools({ config: () => config, clock: new FakeClock() });
const names = (layers: PolicyLayer[]) => filterTools(tools, layers).map((t) => t.spec.name);

describe('decide / filterTools', () => {
  it('with no layers everything is allowed', () => {
    expect(names([])).toEqual(['read', 'write', 'edit', 'list', 'exec', 'web_fetch', 'time']);
  });

  it('deny beats allow, within a layer and across layers', () => {
    expect(decide('exec', 'runtime', [{ source: 'tools', allow: ['exec'], deny: ['exec'] }])).toEqual({
      allowed: false,
      reason: '"exec" is denied by tools.deny ("exec")',
    });
    const layers = [
      { source: 'tools', allow: ['*'] },
      { source: 'agents.list[main].tools', deny: ['group:runtime'] },
    ];
    expect(decide('exec', 'runtime', layers).allowed).toBe(false);
    expect(decide('read', 'fs', layers).allowed).toBe(true);
  });

  it('a non-empty allow list blocks everything it does not name; groups and wildcards work', () => {
    expect(names([{ source: 'tools', allow: ['group:fs'] }])).toEqual(['read', 'write', 'edit', 'list']);
    expect(names([{ source: 'tools', allow: ['group:core', 'web_*'] }])).toEqual(['web_fetch', 'time']);
    expect(names([{ source: 'tools', allow: ['READ'] }])).toEqual(['read']);
    expect(names([{ source: 'tools', allow: [] }])).toHaveLength(7); // empty = no restriction
    expect(names([{ source: 'tools', deny: ['*'] }])).toEqual([]);
    expect(decide('exec', 'runtime', [{ source: 'tools', allow: ['group:fs'] }])).toEqual({
      allowed: false,
      reason: '"exec" is not in tools.allow',
    });
  });

  it('a lower layer can only restrict: its allow cannot re-enable what a higher layer blocked', () => {
    const layers: PolicyLayer[] = [
      { source: 'tools', allow: ['group:fs', 'time'] },
      { source: 'channels.telegram.groups[-100].tools', allow: ['exec', 'read'] },
    ];
    expect(names(layers)).toEqual(['read']);
    expect(decide('exec', 'runtime', layers).reason).toBe('"exec" is not in tools.allow');
    const denied: PolicyLayer[] = [
      { source: 'tools', deny: ['web_fetch'] },
      { source: 'agents.list[main].tools', allow: ['*'] },
    ];
    expect(names(denied)).not.toContain('web_fetch');
  });
});

/** The chat's layers as the tool host gets them: its channel module reads the block, policy turns it into layers. */
const chatLayersOf = (cfg: Config, channel: ChannelId, chat: ChatRef) => chatLayers(channelSettings(CHANNEL_MODULES, () => cfg).chat(channel, chat, 'default'), channel);

describe('layers from config', () => {
  const cfg = configSchemaFor(CHANNEL_MODULES).parse({
    tools: { deny: ['web_fetch'] },
    agents: { list: [{ id: 'main', default: true, tools: { allow: ['group:fs', 'group:runtime', 'time'] } }, { id: 'other' }] },
    channels: {
      telegram: {
        botToken: '1:x',
        groups: {
          '-100': { tools: { deny: ['exec'] }, topics: { '7': { tools: { allow: ['read', 'list'] } } } },
          '*': { tools: { allow: ['time'] } },
        },
      },
    },
  });

  it('global + agent, then chat and topic', () => {
    const main = configLayers(cfg, 'main');
    expect(main.map((l) => l.source)).toEqual(['tools', 'agents.list[main].tools']);
    expect(names(main)).toEqual(['read', 'write', 'edit', 'list', 'exec', 'time']);
    expect(names(configLayers(cfg, 'other'))).toEqual(['read', 'write', 'edit', 'list', 'exec', 'time']);

    const group = chatLayersOf(cfg, 'telegram', { kind: 'group', id: '-100' });
    expect(names([...main, ...group])).toEqual(['read', 'write', 'edit', 'list', 'time']);
    const topic = chatLayersOf(cfg, 'telegram', { kind: 'group', id: '-100', threadId: '7' });
    expect(topic.map((l) => l.source)).toEqual(['channels.telegram.groups[-100].tools', 'channels.telegram.groups[-100].topics[7].tools']);
    expect(names([...main, ...topic])).toEqual(['read', 'list']);

    // A group without its own entry gets the `*` entry; direct chats have no chat layers.
    expect(names([...main, ...chatLayersOf(cfg, 'telegram', { kind: 'group', id: '-200' })])).toEqual(['time']);
    expect(chatLayersOf(cfg, 'telegram', { kind: 'direct', id: '5' })).toEqual([]);
    expect(chatLayersOf(cfg, 'discord', { kind: 'channel', id: '5' })).toEqual([]);
  });
});
