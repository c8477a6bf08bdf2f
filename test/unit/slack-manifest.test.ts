// The Slack app manifest shipped in bots/slack/manifest.json is what a user pastes into "Create New App → From an
// app manifest". It must grant a scope for every Web API method the adapter calls, subscribe to every event the
// decoder reads, and turn Socket Mode on — otherwise the app installs fine and then fails (missing_scope) or
// stays silent (no events).
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../bots/slack/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as {
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] }; socket_mode_enabled: boolean };
  features: { app_home: { messages_tab_enabled: boolean; messages_tab_read_only_enabled: boolean } };
};

/** Slack's required bot scope per method (null: none needed). */
const SCOPE_OF: Record<string, string | null> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'conversations.open': 'im:write',
  'reactions.add': 'reactions:write',
  'reactions.remove': 'reactions:write',
  'users.info': 'users:read',
};

function methodsCalled(): string[] {
  const found = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    const src = readFileSync(new URL(f, dir), 'utf8');
    for (const m of src.matchAll(/client\.([a-z]+)\.([a-zA-Z]+)\(/g)) found.add(`${m[1]}.${m[2]}`);
  }
  return [...found].sort();
}

describe('Slack app manifest', () => {
  it('grants a scope for every Web API method the adapter calls', () => {
    const called = methodsCalled();
    expect(called.length).toBeGreaterThanOrEqual(6); // the scan itself works
    for (const method of called) {
      expect(Object.keys(SCOPE_OF), `add the scope of ${method} to SCOPE_OF and the manifest`).toContain(method);
      const scope = SCOPE_OF[method];
      if (scope) expect(manifest.oauth_config.scopes.bot, method).toContain(scope);
    }
  });

  it('subscribes to mentions and to messages in channels, private channels, DMs and group DMs, with their history scopes', () => {
    const events = manifest.settings.event_subscriptions.bot_events;
    for (const e of ['app_mention', 'message.channels', 'message.groups', 'message.im', 'message.mpim']) expect(events).toContain(e);
    for (const s of ['app_mentions:read', 'channels:history', 'groups:history', 'im:history', 'mpim:history']) {
      expect(manifest.oauth_config.scopes.bot).toContain(s);
    }
  });

  it('runs in Socket Mode and lets people DM the bot', () => {
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.features.app_home).toMatchObject({ messages_tab_enabled: true, messages_tab_read_only_enabled: false });
  });
});
