// The web chat's entry in the adapter registry. It is a module like any platform, although its transport is the
// gateway's own HTTP server, so that its config block, DM policy and channel go through the same contract and
// runtime/ has no web-chat special case: the control plane hands the module its users' messages (deps.webchat)
// and the server serves the page below. It is on by default: an absent block means enabled.
import type { ChannelModule } from '../../runtime/types/channel.js';
import { webchatConfigSchema, type WebchatConfig } from './config.js';
import { createWebchatChannel } from './index.js';
import { WEBCHAT_CSP, WEBCHAT_PAGE } from './page.js';

export const webchatModule: ChannelModule<WebchatConfig> = {
  id: 'webchat',
  configSchema: webchatConfigSchema,
  directSettings: (cfg) => ({ dmPolicy: cfg?.dmPolicy ?? 'open', allowFrom: cfg?.allowFrom ?? [] }),
  // Web chat has direct chats only.
  chatSettings: () => undefined,
  async create(cfg, deps) {
    if (cfg?.enabled === false) return [];
    if (!deps.webchat) throw new Error('the web chat needs the gateway control plane (deps.webchat); set channels.webchat.enabled to false to run without it');
    // Message ids use the wall clock, not deps.clock: a fake clock restarting at the same time would reuse ids.
    return [createWebchatChannel({ transport: deps.webchat, log: deps.log })];
  },
};

/** What the gateway's HTTP server serves at `/` (the page) with its Content-Security-Policy. */
export const webchatPage = { html: WEBCHAT_PAGE, csp: WEBCHAT_CSP };
