// The chat platforms a footprint benchmark can configure, each against its fake server on 127.0.0.1 (or, for
// WhatsApp, with no credentials: configured but not linked, as a fresh install is). One entry per platform: start
// what it needs, give the `channels.<id>` block (and env), tell whether the gateway really connected, close.
import type { FakeTelegram } from '../../test/fakes/fake-telegram.js';

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

/**
 * Imports a fake from test/fakes/ by file name. Discord's and Slack's fakes come with their adapters; until those
 * are merged this says so instead of failing with a bare module-not-found.
 */
async function importFake(file: string, platform: PlatformId): Promise<Record<string, unknown>> {
  try {
    return (await import(`../../test/fakes/${file}`)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(
      `${platform}: cannot load test/fakes/${file} (${(err as Error).message}); the ${platform} adapter and its fake are not on this branch yet`,
      { cause: err },
    );
  }
}

/** The first exported class of a fake module that has a start() method. */
function fakeClass(mod: Record<string, unknown>, platform: PlatformId): new () => { start(): Promise<unknown>; close(): Promise<void> } {
  const cls = Object.values(mod).find((v) => typeof v === 'function' && typeof (v as { prototype?: { start?: unknown } }).prototype?.start === 'function');
  if (!cls) throw new Error(`${platform}: its fake exports no class with start(); adapt bench/lib/platforms.ts to it`);
  return cls as new () => { start(): Promise<unknown>; close(): Promise<void> };
}

function stringProp(o: object, names: string[], platform: PlatformId): string {
  for (const n of names) {
    const v = (o as Record<string, unknown>)[n];
    if (typeof v === 'string' && v !== '') return v;
  }
  throw new Error(`${platform}: its fake has none of ${names.join(', ')}; adapt bench/lib/platforms.ts to it`);
}

const starters: Record<PlatformId, Starter> = {
  async telegram() {
    const { FakeTelegram: Fake } = (await import('../../test/fakes/fake-telegram.js')) as { FakeTelegram: new () => FakeTelegram };
    const tg = await new Fake().start();
    return {
      id: 'telegram',
      config: { botToken: tg.defaultToken, apiRoot: tg.apiRoot, dmPolicy: 'open' },
      connections: () => tg.calls.filter((c) => c.method === 'getUpdates').length,
      close: () => tg.close(),
    };
  },
  // Keys as the Discord issue names them: token, apiRoot (the gateway URL comes from GET {apiRoot}/v10/gateway/bot).
  async discord() {
    const fake = new (fakeClass(await importFake('fake-discord.ts', 'discord'), 'discord'))();
    await fake.start();
    const token = stringProp(fake, ['token', 'defaultToken', 'botToken'], 'discord');
    const apiRoot = stringProp(fake, ['apiRoot', 'restUrl', 'url'], 'discord');
    return { id: 'discord', config: { token, apiRoot, dmPolicy: 'open' }, connections: () => undefined, close: () => fake.close() };
  },
  // Keys as the Slack issue names them: botToken, appToken, apiUrl (apps.connections.open returns the socket URL).
  async slack() {
    const fake = new (fakeClass(await importFake('fake-slack.ts', 'slack'), 'slack'))();
    await fake.start();
    const botToken = stringProp(fake, ['botToken', 'defaultBotToken'], 'slack');
    const appToken = stringProp(fake, ['appToken', 'defaultAppToken'], 'slack');
    const apiUrl = stringProp(fake, ['apiUrl', 'url'], 'slack');
    return { id: 'slack', config: { botToken, appToken, apiUrl, dmPolicy: 'open' }, connections: () => undefined, close: () => fake.close() };
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
