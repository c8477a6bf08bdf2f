// The chat platforms a footprint benchmark can configure, each against its fake server on 127.0.0.1 (or, for
// WhatsApp, with no credentials: configured but not linked, as a fresh install is; Baileys cannot talk to a fake). One entry per platform: start
// what it needs, give the `channels.<id>` block (and env), tell whether the gateway really connected, close.
import { FakeDiscord } from '../../test/fakes/fake-discord.js';
import { FakeSlack } from '../../test/fakes/fake-slack.js';
import { FakeTelegram } from '../../test/fakes/fake-telegram.js';

export type PlatformId = 'telegram' | 'discord' | 'slack' | 'whatsapp';
export const PLATFORM_IDS: readonly PlatformId[] = ['telegram', 'discord', 'slack', 'whatsapp'];

export interface PlatformFixture {
  id: PlatformId;
  /** The `channels.<id>` block for switchyard.json. */
  config: Record<string, unknown>;
  env?: Record<string, string>;
  /** Calls the fake has seen from gateways (to check a run really connected); undefined when not observable. */
  connections(): number | undefined;
  close(): Promise<void>;
}

type Starter = () => Promise<PlatformFixture>;

const starters: Record<PlatformId, Starter> = {
  async telegram() {
    const tg = await new FakeTelegram().start();
    return {
      id: 'telegram',
      config: { botToken: tg.defaultToken, apiRoot: tg.apiRoot, dmPolicy: 'open' },
      connections: () => tg.calls.filter((c) => c.method === 'getUpdates').length,
      close: () => tg.close(),
    };
  },
  // The fake REST API and gateway WebSocket; the real discord.js client connects (GET /gateway/bot, IDENTIFY).
  async discord() {
    const dc = await new FakeDiscord().start();
    return {
      id: 'discord',
      config: { token: dc.token, apiRoot: dc.apiRoot, dmPolicy: 'open' },
      connections: () => dc.identifies,
      close: () => dc.close(),
    };
  },
  // The fake Web API and Socket Mode; the real bolt App opens its socket through apps.connections.open.
  async slack() {
    const sl = await new FakeSlack().start();
    return {
      id: 'slack',
      config: { botToken: sl.app.botToken, appToken: sl.app.appToken, apiUrl: sl.apiUrl, dmPolicy: 'open' },
      connections: () => sl.socket.connectionsMade(sl.app.appToken),
      close: () => sl.close(),
    };
  },
  // No credentials: the gateway must start, stay healthy and not connect (a fresh install before linking).
  async whatsapp() {
    return { id: 'whatsapp', config: { dmPolicy: 'pairing' }, connections: () => undefined, close: async () => {} };
  },
};

export function parsePlatforms(arg: string | undefined): PlatformId[] {
  if (arg === undefined || arg === '') return ['telegram'];
  if (arg === 'none') return [];
  if (arg === 'all') return [...PLATFORM_IDS];
  const ids = arg.split(',').map((s) => s.trim().toLowerCase());
  const bad = ids.filter((i) => !PLATFORM_IDS.includes(i as PlatformId));
  if (bad.length > 0) throw new Error(`unknown platform(s) ${bad.join(', ')}: use ${PLATFORM_IDS.join(',')}, all or none`);
  return [...new Set(ids)] as PlatformId[];
}

/** Starts the fakes for these platforms; on a failure the ones already started are closed. */
export async function startPlatforms(ids: PlatformId[]): Promise<PlatformFixture[]> {
  const started: PlatformFixture[] = [];
  try {
    for (const id of ids) started.push(await starters[id]());
  } catch (err) {
    await Promise.all(started.map((p) => p.close()));
    throw err;
  }
  return started;
}
