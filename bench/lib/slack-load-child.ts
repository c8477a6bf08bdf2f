// Child process of bench/slack.ts (run compiled: node dist/bench/lib/slack-load-child.js unconfigured|configured):
// the whole gateway started as runtime/main.ts starts it, on a fresh temp home, with no Slack block or with one
// (its apiUrl points at a closed port on 127.0.0.1, so the adapter is built and its first connection attempt
// fails and is retried in the background; nothing leaves the machine). Prints one JSON line: whether bolt was
// loaded, how many CommonJS modules the process holds, RSS and heap after a GC, and the time to ready.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../../runtime/main.js';
import type { Logger } from '../../runtime/types/index.js';
import { getGc, settle } from './memory.js';

const mode = process.argv[2];
if (mode !== 'unconfigured' && mode !== 'configured') throw new Error('usage: slack-load-child.js unconfigured|configured');

const quiet: Logger = { info() {}, debug() {}, warn() {}, error: (m) => console.error(m) };
const cache = createRequire(import.meta.url).cache;
const boltLoaded = () => Object.keys(cache).some((k) => k.includes('/@slack/bolt/'));

const home = await mkdtemp(join(tmpdir(), 'sy-bench-slack-load-'));
const slack = { botToken: 'xoxb-bench', appToken: 'xapp-bench', apiUrl: 'http://127.0.0.1:9/api/' };
await writeFile(join(home, 'switchyard.json'), JSON.stringify({ channels: mode === 'configured' ? { slack } : {} }));
const t0 = performance.now();
const gw = await startGateway({ home, env: {}, port: 0, log: quiet });
const readyMs = performance.now() - t0;
await settle(getGc());
const mem = process.memoryUsage();
console.log(JSON.stringify({ mode, boltLoaded: boltLoaded(), cjsModules: Object.keys(cache).length, rss: mem.rss, heapUsed: mem.heapUsed, readyMs }));
await gw.stop();
await rm(home, { recursive: true, force: true });
process.exit(0);
