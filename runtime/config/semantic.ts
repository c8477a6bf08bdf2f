// Checks that need more than one key at a time (the schema checks keys one by one): references between
// agents, bindings, providers and auth profiles must resolve, so a typo fails at start-up instead of
// silently routing messages to the default agent or failing on the first model call.
import { CHANNEL_IDS, type ChannelModule } from '../types/channel.js';
import { parseModelRef } from '../types/provider.js';
import { type ConfigProblem, formatPath } from './errors.js';
import type { Config } from './schema.js';
import { implicitProfileIds } from '../providers/credentials.js';
import { checkMemory } from './memory-check.js';

/** Providers the runtime knows without a `models.providers` entry. */
export const BUILTIN_PROVIDERS = ['anthropic', 'openai'] as const;

export function knownProviders(config: Config): string[] {
  return [...new Set([...BUILTIN_PROVIDERS, ...Object.keys(config.models.providers)])];
}

export function checkConfig(config: Config, env: NodeJS.ProcessEnv, modules: readonly ChannelModule[]): ConfigProblem[] {
  return [
    ...checkAgents(config),
    ...checkBindings(config, modules),
    ...checkModels(config, env),
    ...checkAuth(config),
    ...checkChannelAgentRefs(config, modules),
    ...checkIdentityLinks(config),
    ...checkMemory(config),
  ];
}

function agentIdList(config: Config): string {
  return config.agents.list.map((a) => a.id).join(', ');
}

function agentExists(config: Config, id: string): boolean {
  return config.agents.list.some((a) => a.id === id);
}

function unknownAgent(config: Config, path: string, id: string): ConfigProblem {
  return { path, expected: `an agent id from agents.list (${agentIdList(config)})`, found: JSON.stringify(id) };
}

function checkAgents(config: Config): ConfigProblem[] {
  const list = config.agents.list;
  if (list.length === 0) return [{ path: 'agents.list', expected: 'at least one agent', found: 'an empty list' }];
  const problems: ConfigProblem[] = [];
  // Session keys are lowercased, so ids differing only by case would share sessions: treat them as equal.
  const seen = new Map<string, number>();
  let firstDefault = -1;
  list.forEach((agent, i) => {
    const lower = agent.id.toLowerCase();
    const prev = seen.get(lower);
    if (prev !== undefined) {
      problems.push({
        path: `agents.list[${i}].id`,
        expected: `a unique agent id (ids are compared ignoring case)`,
        found: `${JSON.stringify(agent.id)}, already used by agents.list[${prev}]`,
      });
    } else seen.set(lower, i);
    if (agent.default === true) {
      if (firstDefault >= 0) {
        problems.push({
          path: `agents.list[${i}].default`,
          expected: 'only one agent with default: true',
          found: `a second one (agents.list[${firstDefault}] is already the default)`,
        });
      } else firstDefault = i;
    }
  });
  return problems;
}

function checkBindings(config: Config, modules: readonly ChannelModule[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const supported = modules.map((m) => m.id);
  config.bindings.forEach((b, i) => {
    if (!agentExists(config, b.agentId)) problems.push(unknownAgent(config, `bindings[${i}].agentId`, b.agentId));
    const module = modules.find((m) => m.id === b.match.channel);
    if (!module) {
      problems.push({
        path: `bindings[${i}].match.channel`,
        expected: `a platform this build supports (${supported.join(', ')})`,
        found: `${JSON.stringify(b.match.channel)}, which is not supported yet`,
      });
    }
    // An account that does not exist would never match: the binding would silently do nothing.
    const block = config.channels[b.match.channel];
    const accounts = module?.accountIds && block !== undefined ? module.accountIds(block) : undefined;
    const wanted = b.match.accountId;
    if (accounts && wanted !== undefined && wanted !== '*' && !accounts.includes(wanted)) {
      problems.push({
        path: `bindings[${i}].match.accountId`,
        expected: `an account of channels.${b.match.channel} (${accounts.join(', ')}) or "*"`,
        found: JSON.stringify(wanted),
      });
    }
    if (b.match.roles && b.match.roles.length > 0 && b.match.guildId === undefined) {
      problems.push({
        path: `bindings[${i}].match.roles`,
        expected: 'match.guildId alongside roles (roles are per guild)',
        found: 'roles without a guildId',
      });
    }
  });
  return problems;
}

function checkModelRef(config: Config, path: string, ref: string): ConfigProblem[] {
  const parsed = parseModelRef(ref);
  if (!parsed) return [{ path, expected: '"<provider>/<model>"', found: JSON.stringify(ref) }];
  const providers = knownProviders(config);
  if (providers.includes(parsed.provider)) return [];
  return [
    {
      path,
      expected: `a provider that is built in or defined in models.providers (${providers.join(', ')})`,
      found: `provider ${JSON.stringify(parsed.provider)} in ${JSON.stringify(ref)}`,
    },
  ];
}

function checkModels(config: Config, env: NodeJS.ProcessEnv): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const check = (base: string, model: { primary?: string; fallbacks: string[] } | undefined) => {
    if (!model) return;
    if (model.primary !== undefined) problems.push(...checkModelRef(config, `${base}.primary`, model.primary));
    for (const [i, f] of model.fallbacks.entries()) problems.push(...checkModelRef(config, `${base}.fallbacks[${i}]`, f));
  };
  check('agents.defaults.model', config.agents.defaults.model);
  for (const [i, a] of config.agents.list.entries()) check(`agents.list[${i}].model`, a.model);
  // SWITCHYARD_MODEL is either "<provider>/<model>" or a bare model name for the guessed provider.
  const envModel = env.SWITCHYARD_MODEL;
  if (envModel?.includes('/')) problems.push(...checkModelRef(config, '$SWITCHYARD_MODEL', envModel));
  return problems;
}

function checkAuth(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const profiles = config.auth.profiles;
  const ids = Object.keys(profiles);
  const providers = knownProviders(config);
  for (const [id, p] of Object.entries(profiles)) {
    if (!providers.includes(p.provider)) {
      problems.push({
        path: formatPath(['auth', 'profiles', id, 'provider']),
        expected: `a provider that is built in or defined in models.providers (${providers.join(', ')})`,
        found: JSON.stringify(p.provider),
      });
    } else if (id.slice(0, id.indexOf(':')) !== p.provider) {
      problems.push({
        path: formatPath(['auth', 'profiles', id]),
        expected: `an id starting with "${p.provider}:" (the profile's provider)`,
        found: JSON.stringify(id),
      });
    }
    const field = p.mode === 'token' ? 'token' : 'key';
    if (!(p[field] ?? '').trim()) {
      problems.push({
        path: formatPath(['auth', 'profiles', id, field]),
        expected: `the ${p.mode === 'token' ? 'token' : 'API key'} (mode "${p.mode}"), e.g. "\${ENV_VAR}"`,
        found: p[field] === undefined ? 'nothing' : 'an empty string',
      });
    }
  }
  for (const [provider, order] of Object.entries(config.auth.order)) {
    order.forEach((profileId, i) => {
      const path = formatPath(['auth', 'order', provider, i]);
      const profile = profiles[profileId];
      if (!profile && implicitProfileIds(provider).includes(profileId)) return; // env / models.providers key
      if (!profile) {
        problems.push({
          path,
          expected: `a profile id from auth.profiles or an implicit one (${[...ids, ...implicitProfileIds(provider)].join(', ')})`,
          found: JSON.stringify(profileId),
        });
      } else if (profile.provider !== provider) {
        problems.push({
          path,
          expected: `a profile of provider ${JSON.stringify(provider)}`,
          found: `${JSON.stringify(profileId)} (provider ${JSON.stringify(profile.provider)})`,
        });
      }
    });
  }
  return problems;
}

/** Agent ids named inside channel blocks (e.g. a Telegram topic pinned to an agent), as each module lists them. */
function checkChannelAgentRefs(config: Config, modules: readonly ChannelModule[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const m of modules) {
    const block = config.channels[m.id];
    if (block === undefined || !m.agentRefs) continue;
    for (const ref of m.agentRefs(block)) {
      if (!agentExists(config, ref.agentId)) problems.push(unknownAgent(config, ref.path, ref.agentId));
    }
  }
  return problems;
}

function checkIdentityLinks(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const owner = new Map<string, string>();
  for (const [canonical, identities] of Object.entries(config.session.identityLinks)) {
    identities.forEach((identity, i) => {
      const path = formatPath(['session', 'identityLinks', canonical, i]);
      const sep = identity.indexOf(':');
      const channel = identity.slice(0, Math.max(sep, 0)).toLowerCase(); // matched ignoring case, like session keys
      if (sep <= 0 || sep === identity.length - 1 || !(CHANNEL_IDS as readonly string[]).includes(channel)) {
        problems.push({ path, expected: `"<channel>:<userId>" with channel one of ${CHANNEL_IDS.join(', ')}`, found: JSON.stringify(identity) });
        return;
      }
      // One platform identity linked to two people would make its session key depend on iteration order.
      const key = identity.toLowerCase();
      const prev = owner.get(key);
      if (prev !== undefined && prev !== canonical) {
        problems.push({
          path,
          expected: 'each identity linked to one canonical name only',
          found: `${JSON.stringify(identity)}, also linked to ${JSON.stringify(prev)}`,
        });
      } else owner.set(key, canonical);
    });
  }
  return problems;
}
