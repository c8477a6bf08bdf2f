// Which credentials each provider may use, in the order to try them. Sources: `auth.profiles` (ordered by
// `auth.order`), `models.providers.<id>.apiKey` (profile `<id>:config`) and the environment
// (ANTHROPIC_API_KEY → `anthropic:env`, ANTHROPIC_AUTH_TOKEN → `anthropic:env-token`, OPENAI_API_KEY →
// `openai:env`). Without an explicit order, tokens (OAuth / bearer) come before API keys.
import type { Config } from '../config/schema.js';
import type { Credential } from '../types/provider.js';

const ENV_SOURCES: { variable: string; provider: string; profileId: string; mode: Credential['mode'] }[] = [
  { variable: 'ANTHROPIC_API_KEY', provider: 'anthropic', profileId: 'anthropic:env', mode: 'api_key' },
  { variable: 'ANTHROPIC_AUTH_TOKEN', provider: 'anthropic', profileId: 'anthropic:env-token', mode: 'token' },
  { variable: 'OPENAI_API_KEY', provider: 'openai', profileId: 'openai:env', mode: 'api_key' },
];

type ProfileConfig = Config['auth']['profiles'][string];

/** Profiles that exist without an auth.profiles entry (env keys, models.providers.<id>.apiKey); auth.order may name them. */
export function implicitProfileIds(provider: string): string[] {
  return [`${provider}:config`, ...ENV_SOURCES.filter((s) => s.provider === provider).map((s) => s.profileId)];
}

function profileSecret(p: ProfileConfig): string | undefined {
  const s = p.mode === 'token' ? (p.token ?? p.key) : (p.key ?? p.token);
  return s && s.trim() !== '' ? s.trim() : undefined;
}

export function resolveCredentials(config: Config, env: NodeJS.ProcessEnv): Map<string, Credential[]> {
  const byProvider = new Map<string, Credential[]>();
  const add = (provider: string, c: Credential) => {
    const list = byProvider.get(provider) ?? [];
    // The same secret from two sources (say a profile and the env) is one credential, not two to rotate through.
    if (!list.some((x) => x.secret === c.secret && x.mode === c.mode)) list.push(c);
    byProvider.set(provider, list);
  };

  for (const [profileId, p] of Object.entries(config.auth.profiles)) {
    const secret = profileSecret(p);
    if (secret) add(p.provider, { profileId, mode: p.mode, secret });
  }
  for (const [id, p] of Object.entries(config.models.providers)) {
    const secret = p.apiKey?.trim();
    if (secret) add(id, { profileId: `${id}:config`, mode: 'api_key', secret });
  }
  for (const s of ENV_SOURCES) {
    const secret = env[s.variable]?.trim();
    if (secret) add(s.provider, { profileId: s.profileId, mode: s.mode, secret });
  }

  for (const [provider, list] of byProvider) {
    byProvider.set(provider, orderCredentials(list, config.auth.order[provider]));
  }
  return byProvider;
}

/**
 * Profiles named in `auth.order` first, in that order; the others after them (nothing configured is dropped),
 * tokens before API keys, otherwise in source order.
 */
function orderCredentials(list: Credential[], order: string[] | undefined): Credential[] {
  const rank = (c: Credential) => {
    const i = order?.indexOf(c.profileId) ?? -1;
    return i >= 0 ? i : Number.MAX_SAFE_INTEGER;
  };
  const modeRank = (c: Credential) => (c.mode === 'token' ? 0 : 1);
  return list
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c) - rank(b.c) || modeRank(a.c) - modeRank(b.c) || a.i - b.i)
    .map((x) => x.c);
}

/** Configuration mistakes resolveCredentials works around; the config loader or a doctor command reports them. */
