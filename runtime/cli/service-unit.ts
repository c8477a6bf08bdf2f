// The systemd unit `switchyard service` installs: the gateway under systemd with restarts on failure, a memory
// ceiling sized for the board, tokens from an EnvironmentFile (mode 600) and logs to journald.

export interface UnitOptions {
  /** Absolute path of node. */
  node: string;
  /** The checkout (holds package.json and dist/). */
  root: string;
  home: string;
  envFile: string;
  /** Bytes for MemoryMax=. */
  memoryMax: number;
  system: boolean;
  /** --system: the account the gateway runs as. */
  user?: string;
}

const MiB = 1024 * 1024;

/**
 * MemoryMax for a board with `totalBytes` of RAM: 60 % of it (the rest for the OS, Ollama's client, a shell),
 * at least 256 MiB (the gateway with all four platforms idles at about 160 MB) and at most 1.5 GiB.
 */
export function memoryMaxFor(totalBytes: number): number {
  const mib = Math.round((totalBytes * 0.6) / MiB);
  return Math.min(1536, Math.max(256, mib)) * MiB;
}

/** V8's old-space limit under that ceiling: the heap must start collecting hard before systemd kills the process. */
export function oldSpaceMiB(memoryMax: number): number {
  return Math.max(128, Math.floor((memoryMax / MiB) * 0.6));
}

/** "512M", "1536M": what systemd accepts. */
export function systemdSize(bytes: number): string {
  return `${Math.round(bytes / MiB)}M`;
}

/** Parses a size such as 300M, 1G, 1.5G, 400000000 (bytes); undefined when it is not one. */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMG]i?B?|B)?$/i.exec(s.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'B').toUpperCase()[0];
  const mult = unit === 'K' ? 1024 : unit === 'M' ? MiB : unit === 'G' ? 1024 * MiB : 1;
  const v = Math.round(Number(m[1]) * mult);
  return v > 0 ? v : undefined;
}

/** Quotes a path for an Exec line or an assignment when it needs it (systemd's own quoting rules). */
function q(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

export function renderUnit(o: UnitOptions): string {
  const lines = [
    '# Switchyard AI agent gateway (written by `switchyard service install`; re-run it after moving the checkout).',
    '[Unit]',
    'Description=Switchyard AI agent gateway',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    ...(o.system && o.user ? [`User=${o.user}`] : []),
    `WorkingDirectory=${q(o.root)}`,
    `Environment=${q(`SWITCHYARD_HOME=${o.home}`)}`,
    'Environment=NODE_ENV=production',
    // Node 22.1+ keeps compiled code of the gateway and its SDKs here, so restarts skip most of the compiling
    // (Node 20 ignores it). %C is systemd's cache directory (~/.cache for a user unit, /var/cache for a system one).
    'Environment=NODE_COMPILE_CACHE=%C/switchyard-node',
    '# Tokens and API keys (TELEGRAM_BOT_TOKEN=…, ANTHROPIC_API_KEY=…), one per line; keep this file mode 600.',
    `EnvironmentFile=-${q(o.envFile)}`,
    // A small young generation keeps RSS low under load (measured in bench/README.md); the old-space limit makes
    // V8 collect before MemoryMax is reached.
    `ExecStart=${q(o.node)} --max-semi-space-size=2 --max-old-space-size=${oldSpaceMiB(o.memoryMax)} ${q(`${o.root}/dist/runtime/main.js`)}`,
    'Restart=on-failure',
    'RestartSec=5',
    `MemoryMax=${systemdSize(o.memoryMax)}`,
    'StandardOutput=journal',
    'StandardError=journal',
    'SyslogIdentifier=switchyard',
    '',
    '[Install]',
    `WantedBy=${o.system ? 'multi-user.target' : 'default.target'}`,
    '',
  ];
  return lines.join('\n');
}

export const ENV_TEMPLATE = `# Environment for the Switchyard service (systemd EnvironmentFile). Mode 600: only you can read it.
# One VAR=value per line; lines starting with # are ignored. Restart the service after editing:
#   systemctl --user restart switchyard
# TELEGRAM_BOT_TOKEN=
# ANTHROPIC_API_KEY=
# OPENAI_API_KEY=
# OPENAI_BASE_URL=http://127.0.0.1:11434/v1
# SWITCHYARD_MODEL=openai/llama3.2
# SWITCHYARD_GATEWAY_TOKEN=
`;
