// JSON objects as Discord's API v10 sends them (field names and shapes from the gateway and REST docs), built for
// the fake Discord server: users, guilds with their channels, threads and roles, and MESSAGE_CREATE data.
export type Json = Record<string, unknown>;

export const CHANNEL_TYPES = { text: 0, dm: 1, forum: 15, publicThread: 11, privateThread: 12 } as const;

export interface FakeUser {
  id: string;
  username: string;
  globalName?: string;
  bot?: boolean;
}

export interface FakeChannel {
  id: string;
  name: string;
  /** 0 text (default), 15 forum. */
  type?: number;
}

export interface FakeThread {
  id: string;
  name: string;
  parentId: string;
  /** 11 public (default; forum posts too), 12 private. */
  type?: number;
}

export interface FakeRole {
  id: string;
  name: string;
  /** The role Discord creates for a bot when it joins (tags.bot_id). */
  botId?: string;
}

export interface FakeGuild {
  id: string;
  name: string;
  channels: FakeChannel[];
  threads?: FakeThread[];
  roles?: FakeRole[];
}

export function userJson(u: FakeUser): Json {
  return {
    id: u.id,
    username: u.username,
    discriminator: '0',
    global_name: u.globalName ?? null,
    avatar: null,
    public_flags: 0,
    flags: 0,
    ...(u.bot ? { bot: true } : {}),
  };
}

const ISO = (ms = Date.now()) => new Date(ms).toISOString();

export function channelJson(c: FakeChannel, guildId: string, position = 0): Json {
  return {
    id: c.id,
    type: c.type ?? CHANNEL_TYPES.text,
    guild_id: guildId,
    name: c.name,
    position,
    parent_id: null,
    topic: null,
    nsfw: false,
    last_message_id: null,
    rate_limit_per_user: 0,
    permission_overwrites: [],
    flags: 0,
  };
}

export function threadJson(t: FakeThread, guildId: string, ownerId: string): Json {
  return {
    id: t.id,
    type: t.type ?? CHANNEL_TYPES.publicThread,
    guild_id: guildId,
    parent_id: t.parentId,
    owner_id: ownerId,
    name: t.name,
    last_message_id: null,
    rate_limit_per_user: 0,
    message_count: 1,
    member_count: 2,
    total_message_sent: 1,
    flags: 0,
    thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: ISO(), locked: false, create_timestamp: ISO() },
  };
}

export function roleJson(r: FakeRole, position: number): Json {
  return {
    id: r.id,
    name: r.name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: '0',
    managed: r.botId !== undefined,
    mentionable: false,
    flags: 0,
    ...(r.botId !== undefined ? { tags: { bot_id: r.botId } } : {}),
  };
}

/** GUILD_CREATE data: the guild with its channels, active threads, roles and the bot's own member. */
export function guildCreateJson(g: FakeGuild, bot: FakeUser): Json {
  const everyone: FakeRole = { id: g.id, name: '@everyone' };
  const roles = [everyone, ...(g.roles ?? [])];
  const botRoles = (g.roles ?? []).filter((r) => r.botId === bot.id).map((r) => r.id);
  return {
    id: g.id,
    name: g.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: '100000000000000001',
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    emojis: [],
    stickers: [],
    roles: roles.map((r, i) => roleJson(r, i)),
    joined_at: ISO(),
    large: false,
    unavailable: false,
    member_count: 3,
    voice_states: [],
    members: [{ user: userJson(bot), roles: botRoles, joined_at: ISO(), deaf: false, mute: false, flags: 0, nick: null, avatar: null, pending: false }],
    channels: g.channels.map((c, i) => channelJson(c, g.id, i)),
    threads: (g.threads ?? []).map((t) => threadJson(t, g.id, '100000000000000001')),
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export interface MessageFields {
  id: string;
  channelId: string;
  /** Absent for DMs. */
  guildId?: string;
  channelType: number;
  author: FakeUser;
  content: string;
  /** Member roles of the author (servers only). */
  roles?: string[];
  nick?: string;
  mentions?: FakeUser[];
  mentionRoles?: string[];
  /** A reply: the message it answers (with its author) as Discord embeds it. */
  replyTo?: { id: string; author: FakeUser; content?: string };
  attachments?: Json[];
  flags?: number;
  /** Leave channel_type out (older gateway versions, some proxies). */
  omitChannelType?: boolean;
  webhookId?: string;
}

/** The `d` of a MESSAGE_CREATE dispatch. */
export function messageCreateJson(f: MessageFields): Json {
  const now = ISO();
  const msg: Json = {
    type: f.replyTo ? 19 : 0,
    tts: false,
    timestamp: now,
    pinned: false,
    nonce: String(Date.now()),
    mentions: (f.mentions ?? []).map((u) => (f.guildId ? { ...userJson(u), member: { roles: [], joined_at: now, deaf: false, mute: false, flags: 0 } } : userJson(u))),
    mention_roles: f.mentionRoles ?? [],
    mention_everyone: false,
    id: f.id,
    flags: f.flags ?? 0,
    embeds: [],
    edited_timestamp: null,
    content: f.content,
    components: [],
    channel_id: f.channelId,
    author: userJson(f.author),
    attachments: f.attachments ?? [],
  };
  if (!f.omitChannelType) msg.channel_type = f.channelType;
  if (f.webhookId) msg.webhook_id = f.webhookId;
  if (f.guildId) {
    msg.guild_id = f.guildId;
    msg.member = {
      roles: f.roles ?? [],
      premium_since: null,
      pending: false,
      nick: f.nick ?? null,
      mute: false,
      joined_at: now,
      flags: 0,
      deaf: false,
      communication_disabled_until: null,
      banner: null,
      avatar: null,
    };
  }
  if (f.replyTo) {
    msg.message_reference = { type: 0, channel_id: f.channelId, message_id: f.replyTo.id, ...(f.guildId ? { guild_id: f.guildId } : {}) };
    msg.referenced_message = {
      type: 0,
      id: f.replyTo.id,
      channel_id: f.channelId,
      author: userJson(f.replyTo.author),
      content: f.replyTo.content ?? 'an earlier message',
      timestamp: now,
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      flags: 0,
      components: [],
    };
  }
  return msg;
}
