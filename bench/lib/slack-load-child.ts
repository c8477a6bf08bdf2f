// Child process of bench/slack.ts: what Slack support costs a process that has it unconfigured vs configured.
// Imports the Slack module (as the adapter registry does), calls create() with no block or with a configured one
// (create() builds the channel, it does not connect), and prints one JSON line: whether bolt was loaded, how many
// CommonJS modules the process holds, RSS and heap after a GC, and how long create() took. Run compiled (dist/).
import { createRequire } from 'node:module';
import { slackModule } from '../../bots/slack/module.js';
import type { Channel, Logger } from '../../runtime/types/index.js';
import { getGc } from './memory.js';

const mode = process.argv[2];
if (mode !== 'unconfigured' && mode !== 'configured') throw new Error('usage: slack-load-child.ts unconfigured|configured');

const quiet: Logger = { info() {}, debug() {}, warn: (m) => console.error(m), error: (m) => console.error(m) };
const cache = createRequire(import.meta.url).cache;
const boltLoaded = () => Object.keys(cache).some((k) => k.includes('/@slack/bolt/'));

const cfg =
  mode === 'configured'
    ? slackModule.configSchema.safeParse({ botToken: 'xoxb-bench', appToken: 'xapp-bench', apiUrl: 'http://127.0.0.1:9/api/' })
    : undefined;
if (cfg && !cfg.success) throw new Error('bench config did not validate');
const t0 = performance.now();
const channels: Channel[] = await slackModule.create(cfg?.success ? cfg.data : undefined, {
  log: quiet,
  env: {},
  home: '/nonexistent',
  clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
  offsets: { get: () => undefined, set: () => {} },
});
const createMs = performance.now() - t0;
getGc()?.();
const mem = process.memoryUsage();
console.log(JSON.stringify({ mode, channels: channels.length, boltLoaded: boltLoaded(), cjsModules: Object.keys(cache).length, rss: mem.rss, heapUsed: mem.heapUsed, createMs }));
process.exit(0);
