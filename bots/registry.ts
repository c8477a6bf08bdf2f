// THE list of channel adapters. The composition root (runtime/main.ts) loops over it: a module's config schema
// validates `channels.<id>` (a block without a module here is "not supported yet"), and its factory makes the
// channels. Adding a platform: its folder under bots/, one line below (see docs/architecture.md).
// test/unit/architecture.test.ts allows only this file to import a bots/<platform>/module.ts.
import type { ChannelModule } from '../runtime/types/channel.js';
import type { ChannelLogin } from '../runtime/types/login.js';
import { discordModule } from './discord/module.js';
import { slackModule } from './slack/module.js';
import { telegramModule } from './telegram/module.js';
import { webchatModule, webchatPage } from './webchat/module.js';
import { whatsappLogin, whatsappModule } from './whatsapp/module.js';

export const CHANNEL_MODULES: readonly ChannelModule[] = [telegramModule, discordModule, slackModule, webchatModule, whatsappModule];

/** Platforms linked from a terminal (`login <channel>`) rather than by a token in the config. */
export const CHANNEL_LOGINS: readonly ChannelLogin[] = [whatsappLogin];

/** The web chat page, served by the gateway's HTTP server (the web chat's transport). */
export const WEBCHAT_PAGE = webchatPage;
