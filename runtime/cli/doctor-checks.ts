// The checks `switchyard doctor` runs. Each returns OK, WARN or FAIL with one line that says what to do; only a
// FAIL makes doctor exit non-zero. A check that needs the network and cannot reach it is a WARN, never a FAIL.
import { spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { ChannelModule } from '../types/channel.js';
import { agentModelCandidates, defaultAgentId } from '../config/agents.js';

export type Level = 'OK' | 'WARN' | 'FAIL';
export interface CheckResult {
  name: string;
  level: Level;
  /** What was found and, unless OK, the fix, in one line. */
  detail: string;
}

export interface DoctorEnv {
  home: string;
  /** The channel adapter modules (their schemas validate channels.<id>); passed in by the composition root. */
  modules: readonly ChannelModule[];
  env: Record<string, string | undefined>;
  now: () => number;
  fetch: typeof globalThis.fetch;
  /** Bytes of RAM: total and available (MemAvailable). */
  memory: () => { total: number; available: number };
  /** How long a network probe may take. */
  timeoutMs: number;
  /** Free bytes for this user on the filesystem of path (default: statfs). */
  diskFree?: (path: string) => Promise<number>;
  /** Runs a program; exit code (null when it could not be started). */
  run: (cmd: string, args: string[]) => { status: number | null; output: string };
}

const ok = (name: string, detail: string): CheckResult => ({ name, level: 'OK', detail });
const warn = (name: string, detail: string): CheckResult => ({ name, level: 'WARN', detail });
const fail = (name: string, detail: string): CheckResult => ({ name, level: 'FAIL', detail });

export function checkNode(version = process.versions.node): CheckResult {
  const major = Number(version.split('.')[0]);
  return major >= 20 ? ok('node', `Node ${version}`) : fail('node', `Node ${version} is too old: install Node 20 or newer (README: Raspberry Pi)`);
}

/** The state dir is writable; secrets are not readable by others (files 600, credential dirs 700). */
export async function checkPermissions(d: DoctorEnv): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  try {
    await access(d.home, constants.W_OK | constants.X_OK);
    out.push(ok('state dir', `${d.home} is writable`));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [warn('state dir', `${d.home} does not exist yet: the gateway creates it at its first start`)];
    return [fail('state dir', `${d.home} is not writable (${code}): chown -R $USER ${d.home}, or set SWITCHYARD_HOME to a directory you own`)];
  }
  const secrets = ['gateway-token', 'service.env', 'switchyard.json'];
  for (const f of secrets) {
    const st = await stat(join(d.home, f)).catch(() => undefined);
    if (st && (st.mode & 0o077) !== 0) {
      const level = f === 'switchyard.json' ? warn : fail;
      out.push(level(`permissions ${f}`, `${join(d.home, f)} is readable by others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 ${join(d.home, f)}`));
    }
  }
  const creds = join(d.home, 'credentials');
  const walk = async (dir: string): Promise<void> => {
    const st = await stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) return;
    if ((st.mode & 0o077) !== 0) out.push(fail('permissions credentials', `${dir} is open to others (mode ${(st.mode & 0o777).toString(8)}): chmod -R go-rwx ${creds}`));
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && ((await stat(p)).mode & 0o077) !== 0) {
        out.push(fail('permissions credentials', `${p} is readable by others: chmod -R go-rwx ${creds}`));
        return;
      }
    }
  };
  await walk(creds);
  if (out.length === 1) out.push(ok('permissions', 'tokens and credentials are private (600/700)'));
  return out;
}

export async function checkConfig(d: DoctorEnv): Promise<{ result: CheckResult; config?: Config }> {
  try {
    const { config, path, exists } = await loadConfig({ home: d.home, env: d.env as NodeJS.ProcessEnv, modules: d.modules });
    return { result: ok('config', exists ? `${path} is valid` : 'no switchyard.json: the embedded defaults apply'), config };
  } catch (err) {
    if (err instanceof ConfigError) {
      const first = err.problems[0];
      const more = err.problems.length > 1 ? ` (+${err.problems.length - 1} more)` : '';
      return {
        result: fail(
          'config',
          `${first?.path || 'file'}: expected ${first?.expected}, found ${first?.found}${more}: fix switchyard.json (doctor shows the first problem)`,
        ),
      };
    }
    return { result: fail('config', `cannot load the config: ${(err as Error).message}`) };
  }
}

async function probe(
  d: DoctorEnv,
  url: string,
  init: RequestInit = {},
  readSlackError = false,
): Promise<{ status: number; date?: string; slackError?: string } | { offline: string }> {
  try {
    const res = await d.fetch(url, { ...init, signal: AbortSignal.timeout(d.timeoutMs) });
    const text = await res.text().catch(() => '');
    let slackError: string | undefined;
    if (readSlackError) {
      // Slack's Web API answers 200 with { ok: false, error } for a bad token.
      try {
        const body = JSON.parse(text) as { ok?: boolean; error?: string };
        if (body.ok === false) slackError = body.error ?? 'not ok';
      } catch {
        slackError = 'not JSON';
      }
    }
    return { status: res.status, date: res.headers.get('date') ?? undefined, slackError };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { offline: cause ?? (err as Error).name ?? 'network error' };
  }
}

const TELEGRAM_TOKEN = /^\d{5,}:[A-Za-z0-9_-]{30,}$/;

/** Token shape of each configured platform and, when online, an authenticated probe. */
export async function checkPlatforms(d: DoctorEnv, config: Config): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const channels = config.channels as Record<string, unknown>;
  const tg = channels.telegram as
    | { enabled?: boolean; botToken?: string; apiRoot?: string; accounts?: Record<string, { botToken?: string; apiRoot?: string }> }
    | undefined;
  if (tg && tg.enabled !== false) {
    const accounts = [
      { id: 'default', token: tg.botToken, apiRoot: tg.apiRoot },
      ...Object.entries(tg.accounts ?? {}).map(([id, a]) => ({ id, token: a.botToken ?? tg.botToken, apiRoot: a.apiRoot ?? tg.apiRoot })),
    ];
    for (const a of accounts) {
      if (!a.token) continue;
      const key = a.id === 'default' ? 'channels.telegram.botToken' : `channels.telegram.accounts.${a.id}.botToken`;
      const name = `telegram ${a.id}`;
      if (!TELEGRAM_TOKEN.test(a.token.trim())) {
        out.push(fail(name, `${key} does not look like a bot token (<digits>:<35 characters>): copy it again from @BotFather`));
        continue;
      }
      const r = await probe(d, `${(a.apiRoot ?? 'https://api.telegram.org').replace(/\/+$/, '')}/bot${a.token.trim()}/getMe`);
      if ('offline' in r) out.push(warn(name, `token looks right; Telegram not reachable to check it (${r.offline}): check the network, then run doctor again`));
      else if (r.status === 401 || r.status === 404) out.push(fail(name, `${key} was rejected by Telegram (${r.status}): get a new token from @BotFather (/token)`));
      else if (r.status >= 400) out.push(warn(name, `Telegram answered ${r.status} to getMe: try again later`));
      else out.push(ok(name, 'token accepted by Telegram (getMe)'));
    }
  }
  for (const [id, block] of Object.entries(channels)) {
    if (id === 'telegram' || id === 'webchat' || !block || typeof block !== 'object') continue;
    const b = block as Record<string, unknown>;
    if (id === 'discord' && typeof b.token === 'string') {
      if (!/^[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}$/.test(b.token.trim())) {
        out.push(fail('discord', 'channels.discord.token does not look like a bot token: copy it from the Developer Portal (Bot → Reset Token)'));
        continue;
      }
      const root = (typeof b.apiRoot === 'string' ? b.apiRoot : 'https://discord.com/api').replace(/\/+$/, '');
      const r = await probe(d, `${root}/v10/users/@me`, { headers: { authorization: `Bot ${b.token.trim()}` } });
      if ('offline' in r) out.push(warn('discord', `token looks right; Discord not reachable to check it (${r.offline}): check the network`));
      else if (r.status === 401)
        out.push(fail('discord', 'channels.discord.token was rejected by Discord (401): reset it in the Developer Portal and paste the new one'));
      else if (r.status >= 400) out.push(warn('discord', `Discord answered ${r.status}: try again later`));
      else out.push(ok('discord', 'token accepted by Discord (users/@me)'));
    } else if (id === 'slack') {
      const bot = typeof b.botToken === 'string' && b.botToken.startsWith('xoxb-');
      const app = typeof b.appToken === 'string' && b.appToken.startsWith('xapp-');
      if (!bot || !app) {
        out.push(fail('slack', 'channels.slack needs botToken xoxb-… and appToken xapp-… (Socket Mode): see README, Slack'));
        continue;
      }
      const base = (typeof b.apiUrl === 'string' ? b.apiUrl : 'https://slack.com/api/').replace(/\/*$/, '/');
      const r = await probe(d, `${base}auth.test`, { method: 'POST', headers: { authorization: `Bearer ${String(b.botToken)}` } }, true);
      if ('offline' in r) out.push(warn('slack', `tokens look right; Slack not reachable to check them (${r.offline}): check the network`));
      else if (r.status === 401 || r.slackError === 'invalid_auth' || r.slackError === 'not_authed' || r.slackError === 'account_inactive')
        out.push(fail('slack', `channels.slack.botToken was rejected by Slack (${r.slackError ?? r.status}): reinstall the app and copy the Bot User OAuth Token`));
      else if (r.status >= 400 || r.slackError) out.push(warn('slack', `Slack answered ${r.slackError ?? r.status}: try again later`));
      else out.push(ok('slack', 'bot token accepted by Slack (auth.test)'));
    } else if (id === 'whatsapp') {
      const creds = await readdir(join(d.home, 'credentials', 'whatsapp')).catch(() => []);
      out.push(
        creds.length > 0
          ? ok('whatsapp', `linked (${creds.length} account${creds.length === 1 ? '' : 's'})`)
          : warn('whatsapp', 'not linked yet: run npm run login -- whatsapp'),
      );
    }
  }
  return out;
}

/** The default agent's model: configured, and its server reachable (any HTTP answer but 401/403 counts). */
export async function checkModel(d: DoctorEnv, config: Config): Promise<CheckResult> {
  const candidates = agentModelCandidates(config, defaultAgentId(config), undefined, d.env as NodeJS.ProcessEnv);
  if (candidates.length === 0) return warn('model', 'no model configured: set ANTHROPIC_API_KEY, OPENAI_API_KEY or OPENAI_BASE_URL (Ollama), see README');
  const first = candidates[0];
  const declared = config.models.providers[first.provider];
  const api = declared?.api ?? (first.provider === 'anthropic' ? 'anthropic-messages' : 'openai-completions');
  const base =
    declared?.baseUrl ??
    (first.provider === 'anthropic'
      ? d.env.ANTHROPIC_BASE_URL || 'https://api.anthropic.com'
      : first.provider === 'openai'
        ? d.env.OPENAI_BASE_URL || 'https://api.openai.com/v1'
        : undefined);
  if (!base) return warn('model', `${first.provider}/${first.model}: no baseUrl to check`);
  const url = api === 'anthropic-messages' ? `${base.replace(/\/+$/, '')}/v1/models` : `${base.replace(/\/+$/, '')}/models`;
  const key = first.provider === 'anthropic' ? d.env.ANTHROPIC_API_KEY : d.env.OPENAI_API_KEY;
  const headers: Record<string, string> = key
    ? api === 'anthropic-messages'
      ? { 'x-api-key': key, 'anthropic-version': '2023-06-01' }
      : { authorization: `Bearer ${key}` }
    : {};
  const r = await probe(d, url, { headers });
  if ('offline' in r)
    return warn('model', `${first.provider}/${first.model}: ${base} not reachable (${r.offline}): start the server (ollama serve) or check the network`);
  if (r.status === 401 || r.status === 403) return fail('model', `${first.provider}/${first.model}: the key was rejected (${r.status}): check the API key`);
  return ok('model', `${first.provider}/${first.model}: ${base} answers`);
}

export function checkBubblewrap(d: DoctorEnv, config?: Config): CheckResult {
  const mode = config?.agents.defaults.sandbox.mode ?? 'all';
  const r = d.run('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', 'true']);
  if (r.status === 0) return ok('sandbox', 'bubblewrap works');
  const what = mode === 'off' ? 'exec runs on the host (sandbox mode off)' : 'exec refuses to run commands until it is fixed';
  if (r.status === null) return warn('sandbox', `bubblewrap is not installed, so ${what}: sudo apt-get install bubblewrap`);
  return warn(
    'sandbox',
    `bubblewrap is installed but cannot run (${r.output.trim().split('\n')[0] || `exit ${r.status}`}), so ${what}: enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)`,
  );
}

export function checkGit(d: DoctorEnv): CheckResult {
  const r = d.run('git', ['--version']);
  return r.status === 0 ? ok('git', r.output.trim()) : warn('git', 'git is not installed (the agent workspace history needs it): sudo apt-get install git');
}

export async function checkDisk(d: DoctorEnv): Promise<CheckResult> {
  const diskFree = d.diskFree ?? (async (p: string) => ((s) => s.bavail * s.bsize)(await statfs(p)));
  const free = await diskFree(d.home).catch(() => undefined);
  if (free === undefined) return warn('disk', `cannot read free space of ${d.home}`);
  const mb = (free / 1048576).toFixed(0);
  if (free < 100 * 1048576)
    return fail('disk', `${mb} MB free where ${d.home} lives: free space (the journal and transcripts need room), e.g. switchyard archive --older-than 90d`);
  if (free < 1024 * 1048576) return warn('disk', `${mb} MB free: less than 1 GB left, free some space soon`);
  return ok('disk', `${mb} MB free`);
}

/** Local clock against an HTTP Date header (a skewed clock breaks TLS and token checks). */
export async function checkClock(d: DoctorEnv, config?: Config): Promise<CheckResult> {
  const tg = (config?.channels as Record<string, { apiRoot?: string } | undefined> | undefined)?.telegram;
  const url = tg?.apiRoot ?? 'https://api.telegram.org';
  const before = d.now();
  const r = await probe(d, url, { method: 'HEAD' });
  if ('offline' in r || !r.date)
    return warn('clock', `could not compare the clock with ${url} (${'offline' in r ? r.offline : 'no Date header'}): check the network; timedatectl shows NTP`);
  const skew = (before + d.now()) / 2 - Date.parse(r.date);
  const s = Math.round(Math.abs(skew) / 1000);
  if (s > 60) return fail('clock', `the clock is ${s} s ${skew > 0 ? 'ahead' : 'behind'}: sudo timedatectl set-ntp true`);
  return ok('clock', `within ${Math.max(1, s)} s of ${new URL(url).host}`);
}

/** Measured idle RSS (bench/README.md): the gateway with Telegram, plus each further platform's SDK and connection. */
export const MEMORY_NEED_MB = { base: 80, perPlatform: { discord: 30, slack: 25, whatsapp: 45 } as Record<string, number>, headroom: 1.5 };

export function checkMemory(d: DoctorEnv, config?: Config): CheckResult {
  const channels = Object.keys((config?.channels as Record<string, unknown>) ?? {});
  const need = (MEMORY_NEED_MB.base + channels.reduce((n, c) => n + (MEMORY_NEED_MB.perPlatform[c] ?? 0), 0)) * MEMORY_NEED_MB.headroom;
  const { total, available } = d.memory();
  const mb = (b: number) => Math.round(b / 1048576);
  if (mb(total) < need)
    return fail('memory', `${mb(total)} MB of RAM, the configured platforms need about ${Math.round(need)} MB: configure fewer platforms or add swap`);
  if (mb(available) < need)
    return warn('memory', `${mb(available)} MB available of ${mb(total)} MB, the gateway needs about ${Math.round(need)} MB: stop other programs or add swap`);
  return ok('memory', `${mb(available)} MB available, about ${Math.round(need)} MB needed`);
}

export function runProgram(cmd: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return { status: null, output: r.error.message };
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
