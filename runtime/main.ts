// The composition root: builds stores, providers, tools, adapters and the gateway, and wires them. The only
// file allowed to import from every folder. `node dist/runtime/main.js [--config PATH]` starts the gateway.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Channel, ChannelModule, Clock, Logger } from './types/index.js';
import { systemClock } from './clock.js';
import { loadConfig, ConfigError } from './config/load.js';
import type { Config } from './config/schema.js';
import { createConfigReloader, type ReloadResult } from './config/reload.js';
import { agentModelCandidates, defaultAgentId } from './config/agents.js';
import { createLogger, isLogLevel, LOG_LEVELS } from './log.js';
import { installProcessGuards } from './process-guards.js';
import { createEventBus } from './events.js';
import { createProviders } from './providers/registry.js';
import { resolveCredentials } from './providers/credentials.js';
import type { ModelCaller } from './agent/model-caller.js';
import { createContextAssembler } from './agent/context.js';
import { createSkillCatalog } from './context/skills/catalog.js';
import { createContextGovernor } from './context/compaction/governor.js';
import { createMemoryService } from './context/memory/service.js';
import { memoryTools } from './context/memory/tools.js';
import { createWorkspaceGit } from './context/workspace-git.js';
import { createFailoverModelCaller, profileHealthReport, sessionSticky } from './failover/index.js';
import { createControl, type Control } from './gateway/control.js';
import { createGateway, type Gateway, type Interceptor } from './gateway/gateway.js';
import { noModelMessage } from './gateway/session-runner.js';
import { bindHost, isLoopbackHost, startHttpServer, type GatewayHttpServer } from './http-server.js';
import { createToolHost } from './gateway/tool-host.js';
import type { Approvals } from './tools/approvals.js';
import { resolveHome } from '../storage/paths.js';
import { openStateStore } from '../storage/state-store.js';
import { openSessionStore } from '../storage/session-store.js';
import { createTranscriptStore } from '../storage/transcripts.js';
import { createAuditLog } from '../storage/audit-log.js';
import { createInboundJournal } from '../storage/journal.js';
import { createMemoryIndexStore } from '../storage/memory-index.js';
import { redactSecrets } from '../storage/redact.js';
import { createControlEventStore, createIdempotencyStore } from '../storage/control-log.js';
import { createControlPlane, type ControlPlane } from './protocol/plane.js';
import { createLogRing } from './protocol/log-ring.js';
import { CONTROL_CSP, CONTROL_PAGE } from './control-page/page.js';
import { VERSION } from './version.js';
import { builtinCommands, createCommandInterceptor } from '../admin/index.js';
import { CHANNEL_MODULES, WEBCHAT_PAGE } from '../bots/registry.js';
import { channelSettings } from './channel-settings.js';
import { createGatewayOutbound } from './gateway/outbound.js';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  configPath?: string;
  log?: Logger;
  clock?: Clock;
  /** Overrides gateway.port (tests and benchmarks use 0). */
  port?: number;
  /** Watch the config file and reload it on edits (default true). */
  watchConfig?: boolean;
  /** Replaces the provider-backed model caller (benchmarks). */
  modelCaller?: ModelCaller;
  /** The channel adapter modules (default: bots/registry.ts). */
  modules?: readonly ChannelModule[];
}

export interface RunningGateway {
  gateway: Gateway;
  /** What chat commands act on (admin/'s AdminDeps), as the command layer of this gateway uses it. */
  control: Control;
  http: GatewayHttpServer;
  config: Config;
  home: string;
  token: string;
  /** The web chat URL with its token. */
  chatUrl: string;
  /** The control plane (protocol on /ws). */
  plane: ControlPlane;
  /** Personal web chat credentials (what /webchat invite uses). */
  webchatUsers: ControlPlane['webchatUsers'];
  /** Loads switchyard.json again and applies what can change without a restart (what SIGHUP does). */
  reload(reason?: string): Promise<ReloadResult>;
  stop(): Promise<void>;
}

export async function startGateway(opts: StartOptions = {}): Promise<RunningGateway> {
  const env = opts.env ?? process.env;
  const clock = opts.clock ?? systemClock;
  // The newest log lines are kept for the control plane's logs.tail / `switchyard logs -f`.
  const logs = createLogRing(opts.log ?? createLogger(), { now: () => clock.now(), redact: redactSecrets });
  const log = logs.logger;
  const home = opts.home ?? resolveHome(env);
  await ensureWritableHome(home);
  const modules = opts.modules ?? CHANNEL_MODULES;
  const loaded = await loadConfig({ home, configPath: opts.configPath, env, modules });
  // Replaced by a hot reload; everything reads it through getConfig() when it needs it.
  let config = loaded.config;

  const host = bindHost(config.gateway.bind);
  const configuredToken = config.gateway.auth.token;
  if (!isLoopbackHost(host) && !configuredToken) {
    throw new ConfigError([
      {
        path: 'gateway.auth.token',
        expected: 'a token of at least 16 characters when gateway.bind is not loopback',
        found: 'nothing (set SWITCHYARD_GATEWAY_TOKEN or gateway.auth.token)',
      },
    ]);
  }
  const token = configuredToken ?? (await loadOrCreateToken(join(home, 'gateway-token')));

  const agentIds = config.agents.list.map((a) => a.id);
  const storageLog = (msg: string, data?: { err: unknown }) => log.warn(msg, data);
  const [state, sessions] = await Promise.all([openStateStore(home, storageLog), openSessionStore(home, storageLog, agentIds)]);
  const transcripts = createTranscriptStore(home, storageLog);
  const audit = createAuditLog(home, clock, storageLog);
  const journal = createInboundJournal(home, storageLog);

  const bus = createEventBus(log);
  // Runs are traceable in the log by runId and sessionKey (text deltas stay off the log).
  bus.on((e) => {
    if (e.stream === 'lifecycle') {
      const { stream: _s, ts: _t, ...rest } = e;
      (e.phase === 'error' ? log.warn : log.info)(`run ${e.phase}`, e.phase === 'end' ? { ...rest, text: undefined, chars: e.text.length } : rest);
    } else if (e.stream === 'tool') log.debug?.(`tool ${e.phase}`, { runId: e.runId, sessionKey: e.sessionKey, tool: e.tool, callId: e.callId });
  });
  const getConfig = () => config;
  const providers = createProviders(config.models.providers, env);
  const credentials = resolveCredentials(config, env);
  const modelCaller =
    opts.modelCaller ?? createFailoverModelCaller({ providers, credentials, config: getConfig, state, sticky: sessionSticky(sessions), audit, clock, log });
  const channels: Channel[] = [];
  let gatewayRef: Gateway | undefined;
  let approvalsRef: Approvals | undefined;
  const plane = createControlPlane({
    config: getConfig,
    home,
    clock,
    log,
    logs,
    version: VERSION,
    gatewayToken: token,
    gateway: () => gatewayRef,
    sessions,
    transcripts,
    state,
    audit,
    approvals: () => approvalsRef,
    redact: redactSecrets,
    providerIds: () => [...providers.keys()],
    profileHealth: () => profileHealthReport(state, credentials, clock.now()),
    resetSession: (agentId, sessionKey) => control.resetSession(agentId, sessionKey),
    eventStore: createControlEventStore(home, (m) => log.warn(m)),
    idempotencyStore: createIdempotencyStore(home, (m) => log.warn(m)),
  });
  await plane.init();
  bus.on((e) => plane.onAgentEvent(e));
  const port = opts.port ?? config.gateway.port;
  const http = await startHttpServer({
    host,
    port,
    log,
    page: WEBCHAT_PAGE.html,
    pageCsp: WEBCHAT_PAGE.csp,
    pages: { '/control': { html: CONTROL_PAGE, csp: CONTROL_CSP } },
    route: (req, res, url) => plane.httpRoute(req, res, url),
    health: () => ({ ready: gatewayRef?.ready ?? false, service: 'switchyard', channels: channels.map((c) => `${c.id}:${c.accountId}`) }),
  }).catch((err: unknown) => {
    throw listenError(err, host, port, config.gateway.bind);
  });
  plane.attach(http.wss);

  // Every registered module makes its channels (none when its block is absent or has no credentials, and then
  // its platform SDK is never loaded).
  const factoryDeps = {
    log,
    env,
    home,
    clock,
    webchat: plane.webchatTransport,
    offsets: {
      get: (key: string) => state.data.channelOffsets[key],
      set: (key: string, v: number) => state.update((d) => void (d.channelOffsets[key] = v)),
    },
  };
  for (const m of modules) {
    try {
      channels.push(...(await m.create(config.channels[m.id], factoryDeps)));
    } catch (err) {
      await http.close();
      throw err;
    }
  }
  // Observed for the control plane's channel status (connected, last event, last error).
  channels.splice(0, channels.length, ...channels.map((c) => plane.observeChannel(c)));
  const settings = channelSettings(modules, getConfig);
  const outbound = createGatewayOutbound({ config: getConfig, channels: () => channels, journal, audit, log, clock });

  // Built once the channels exist: approvals left pending by a crash are announced (expired) in their origin
  // chats as soon as the tool host is created, and that needs the channel to send through.
  const memory = createMemoryService({ config: getConfig, env, store: createMemoryIndexStore(home, (m) => log.warn(m)), clock, log });
  const tools = createToolHost({
    config: getConfig,
    state,
    audit,
    clock,
    log,
    channels: () => channels,
    settings,
    outbound,
    onApprovalSettled: (r) => plane.approvalSettled(r),
    extraTools: memoryTools(memory),
  });
  approvalsRef = tools.approvals;
  const skills = createSkillCatalog({ home, env });
  const workspaceGit = createWorkspaceGit({ config: getConfig, env, log });
  const assemble = createContextAssembler({ transcripts, skills });
  const control = createControl({
    config: getConfig,
    home,
    env,
    clock,
    log,
    gateway: () => gateway,
    sessions,
    transcripts,
    state,
    audit,
    tools,
    approvals: tools.approvals,
    assemble,
    skills,
    workspaceGit,
    redact: redactSecrets,
    providerIds: () => [...providers.keys()],
    profileHealth: () => profileHealthReport(state, credentials, clock.now()),
    webchatUsers: plane.webchatUsers,
    webchatLink: (t) => `${http.url}/#token=${t}`,
    dropWebchatUser: (userId) => plane.dropWebchatUser(userId),
  });
  const commands = createCommandInterceptor(control, builtinCommands);
  const interceptors: Interceptor[] = [async (m) => tools.handleApprovalReply(m), (m, gw) => commands(m, (text) => gw.answer(m, text))];

  const governor = createContextGovernor({ config: getConfig, clock, log, emit: (e) => bus.emit(e), transcripts, sessions, modelCaller });
  const gateway = createGateway({
    config: getConfig,
    home,
    env,
    clock,
    log,
    bus,
    stores: { state, sessions, transcripts, audit, journal },
    modelCaller,
    tools,
    assemble,
    channels,
    settings,
    outbound,
    interceptors,
    governor,
    workspaceGit,
  });
  gatewayRef = gateway;
  await gateway.start();

  const chatUrl = `${http.url}/#token=${token}`;
  if (agentModelCandidates(config, defaultAgentId(config), undefined, env).length === 0) log.warn(noModelMessage());
  const reloader = createConfigReloader({
    load: async () => (await loadConfig({ home, configPath: opts.configPath, env, modules })).config,
    current: getConfig,
    apply: (next) => void (config = next),
    log,
    file: opts.watchConfig === false ? undefined : loaded.path,
  });
  let stopped = false;
  return {
    gateway,
    control,
    http,
    get config() {
      return config;
    },
    home,
    token,
    chatUrl,
    plane,
    webchatUsers: plane.webchatUsers,
    reload: (reason = 'requested') => reloader.reload(reason),
    async stop() {
      if (stopped) return;
      stopped = true;
      reloader.close();
      plane.announceShutdown('the gateway is stopping');
      await gateway.stop();
      await memory.flush();
      tools.approvals.dispose();
      await plane.close();
      await http.close();
    },
  };
}

/** The state directory, created if missing; refused at start (not at the first message) when it cannot be written. */
async function ensureWritableHome(home: string): Promise<void> {
  const fix = 'make it writable by this user, or set SWITCHYARD_HOME to a directory that is';
  try {
    await mkdir(home, { recursive: true });
    await access(home, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new Error(`the state directory ${home} cannot be created or written (${code}): ${fix}`);
  }
}

/** What a user can do about the HTTP server not starting, naming the config key involved. */
function listenError(err: unknown, host: string, port: number, bind: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new Error(
      `gateway.port ${port} on ${host} is already in use (another Switchyard or another program): stop it, or set gateway.port in switchyard.json to a free port`,
    );
  }
  if (code === 'EACCES') {
    return new Error(`gateway.port ${port} needs privileges this user does not have: set gateway.port in switchyard.json to 1024 or above`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new Error(`gateway.bind "${bind}" is not an address of this machine (${code}): use "loopback", "lan" or one of this machine's IP addresses`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

async function loadOrCreateToken(file: string): Promise<string> {
  try {
    const t = (await readFile(file, 'utf8')).trim();
    if (t.length >= 16) return t;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const t = randomBytes(24).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, t + '\n', { mode: 0o600 });
  return t;
}

const USAGE = `Usage: npm start [-- --config PATH]   (or: node dist/runtime/main.js [--config PATH])

  --config PATH       the config file (JSON5); default: $SWITCHYARD_HOME/switchyard.json, itself optional
  --log-level LEVEL   trace, debug, info (default), warn, error, fatal or silent ($SWITCHYARD_LOG_LEVEL)
  --help              this text

Logs are JSON lines, or readable coloured lines when the output is a terminal. Editing switchyard.json (or
SIGHUP) reloads it without a restart.

State goes to $SWITCHYARD_HOME (default ~/.switchyard). Models from ANTHROPIC_API_KEY, OPENAI_API_KEY or
OPENAI_BASE_URL (a local OpenAI-compatible server such as Ollama) with SWITCHYARD_MODEL; see README.md.
`;

function parseArgs(argv: string[]): { configPath?: string; help?: boolean; logLevel?: string } {
  const out: { configPath?: string; help?: boolean; logLevel?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') out.help = true;
    else if (a === '--config') {
      if (!argv[i + 1]) throw new Error('--config needs a path: --config /path/to/switchyard.json');
      out.configPath = argv[++i];
    } else if (a.startsWith('--config=')) out.configPath = a.slice('--config='.length);
    else if (a === '--log-level' || a.startsWith('--log-level=')) {
      const v = a === '--log-level' ? argv[++i] : a.slice('--log-level='.length);
      if (!v || !isLogLevel(v)) throw new Error(`--log-level needs one of ${LOG_LEVELS.join(', ')}${v ? `, not "${v}"` : ''}`);
      out.logLevel = v;
    } else throw new Error(`unknown argument ${a}: the options are --config PATH and --log-level LEVEL (--help for usage)`);
  }
  return out;
}

async function cli(): Promise<void> {
  const started = performance.now();
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`Switchyard could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  let log: Logger;
  try {
    log = createLogger({ level: args.logLevel });
  } catch (err) {
    process.stderr.write(`Switchyard could not start: ${(err as Error).message} (SWITCHYARD_LOG_LEVEL)\n`);
    process.exit(1);
  }
  installProcessGuards(log);
  let running: RunningGateway;
  try {
    running = await startGateway({ configPath: args.configPath, log });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Configuration is not valid:\n${err.format()}\n`);
    } else {
      process.stderr.write(`Switchyard could not start: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    process.exit(1);
  }
  log.info('gateway ready', { home: running.home, readyMs: Math.round(performance.now() - started) });
  // The log is JSON lines; what a person starting the gateway needs to read is also said in plain text.
  const noModel = agentModelCandidates(running.config, defaultAgentId(running.config)).length === 0;
  const control = running.chatUrl.replace('/#token=', '/control#token=');
  process.stdout.write(`\nSwitchyard is running. Web chat: ${running.chatUrl}\nControl page: ${control}\n${noModel ? `\n${noModelMessage()}\n` : ''}\n`);
  const shutdown = async (sig: string) => {
    log.info('shutting down', { signal: sig });
    await running.stop().catch((err: unknown) => log.error('shutdown failed', { err }));
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGHUP', () => void running.reload('SIGHUP'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void cli();
