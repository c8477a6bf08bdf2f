// A whole gateway talking Discord: the fake Discord (REST + WebSocket gateway) and a fake Anthropic server on
// 127.0.0.1, the real discord.js client and the real Anthropic SDK pointed at them. Shared by the Discord
// end-to-end tests.
import type { Clock } from '../../runtime/clock.js';
import { startFakeAnthropic, type FakeModelServer } from './fake-anthropic.js';
import { FakeDiscord, type FakeUser, type SentDiscordMessage } from './fake-discord.js';
import { startHarness, type Harness } from './gateway-harness.js';
import { merge, type Json } from './telegram-gateway.js';

export const GUILD = '1150000000000000001';
export const GENERAL = '1150000000000000010';
export const CODING = '1150000000000000011';
export const SECRET = '1150000000000000012';
export const THREAD = '1187700000000000100';
export const MODS_ROLE = '1150000000000000300';
export const BOT_ROLE = '1187650000000000001';
export const MODEL_KEY = 'key-a';

export const OWNER: FakeUser = { id: '1100000000000000001', username: 'owner', globalName: 'Olivia' };
export const MEMBER: FakeUser = { id: '1100000000000000042', username: 'ana_r', globalName: 'Ana' };
export const STRANGER: FakeUser = { id: '1100000000000000099', username: 'stranger' };
export const BOT: FakeUser = { id: '900000000000000001', username: 'switchyard', bot: true };

export interface DiscordGateway {
  dc: FakeDiscord;
  model: FakeModelServer;
  h: Harness;
  /** A message in a server channel or thread; `mention` prefixes `<@bot>` like Discord's autocomplete. */
  say(channelId: string, author: FakeUser, text: string, opts?: { mention?: boolean; roles?: string[]; replyTo?: string }): string;
  /** A DM from a user to the bot; `replyTo` answers one of the bot's messages. */
  dm(author: FakeUser, text: string, replyTo?: string): string;
  /** The first message the bot posted that matches (already posted or still to come). */
  sent(pred: (m: SentDiscordMessage) => boolean, timeoutMs?: number): Promise<SentDiscordMessage>;
  /** The bot's messages in a channel (or thread, or DM channel), in order. */
  sentTo(channelId: string): SentDiscordMessage[];
  /** The DM channel the bot and this user share (made on first use, as Discord does). */
  dmChannel(user: FakeUser): string;
  stop(opts?: { keepHome?: boolean }): Promise<void>;
}

export function discordServer(): ConstructorParameters<typeof FakeDiscord>[0] {
  return {
    bot: BOT,
    guilds: [
      {
        id: GUILD,
        name: 'Home Lab',
        channels: [
          { id: GENERAL, name: 'general' },
          { id: CODING, name: 'coding' },
          { id: SECRET, name: 'secret' },
        ],
        threads: [{ id: THREAD, name: 'backup failures', parentId: GENERAL }],
        roles: [
          { id: MODS_ROLE, name: 'mods' },
          { id: BOT_ROLE, name: 'switchyard', botId: BOT.id },
        ],
      },
    ],
  };
}

/** Starts the fakes (unless given, e.g. to keep one across a gateway restart) and a gateway with Discord. */
export async function startDiscordGateway(
  opts: { config?: Json; clock?: Clock; home?: string; dc?: FakeDiscord; model?: FakeModelServer } = {},
): Promise<DiscordGateway> {
  const dc = opts.dc ?? (await new FakeDiscord(discordServer()).start());
  const model = opts.model ?? (await startFakeAnthropic());
  const base: Json = {
    models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: model.url } } },
    agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
    commands: { ownerAllowFrom: [`discord:${OWNER.id}`] },
    channels: {
      webchat: { enabled: false },
      discord: {
        token: dc.token,
        apiRoot: dc.apiRoot,
        dmPolicy: 'allowlist',
        allowFrom: [MEMBER.id],
        guilds: { [GUILD]: { channels: { [GENERAL]: {}, [CODING]: {} } } },
      },
    },
  };
  let h: Harness;
  try {
    h = await startHarness({ home: opts.home, config: merge(base, opts.config ?? {}), env: { ANTHROPIC_API_KEY: MODEL_KEY }, clock: opts.clock });
  } catch (err) {
    if (!opts.dc) await dc.close();
    if (!opts.model) await model.close();
    throw err;
  }
  return {
    dc,
    model,
    h,
    say(channelId, author, text, o = {}) {
      const mention = o.mention ?? true;
      return dc.pushMessage({
        channelId,
        author,
        content: mention ? `<@${BOT.id}> ${text}` : text,
        mentions: mention ? [BOT] : [],
        roles: o.roles ?? [],
        ...(o.replyTo ? { replyTo: { id: o.replyTo, author: BOT } } : {}),
      });
    },
    dm: (author, text, replyTo) => dc.dm(author, text, replyTo ? { replyTo: { id: replyTo, author: BOT } } : {}),
    sent: (pred, timeoutMs = 10_000) => dc.waitForSent(pred, timeoutMs),
    sentTo: (channelId) => dc.sent.filter((s) => s.channelId === channelId),
    dmChannel: (user) => dc.dmChannelFor(user.id),
    async stop({ keepHome = false } = {}) {
      try {
        await h.stop({ keepHome });
      } finally {
        if (!opts.dc) await dc.close();
        if (!opts.model) await model.close();
      }
    },
  };
}
