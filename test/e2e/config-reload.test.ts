// Hot reload of switchyard.json: valid edits apply without a restart (channel allowlists, bindings), keys fixed at
// start (port, tokens) are named and keep their running values, a bad edit keeps the running config and names the
// key; editing the file is enough (no SIGHUP needed).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { keepRunning, restartKeys } from '../../runtime/config/reload.js';
import type { Config } from '../../runtime/config/schema.js';
import { startTelegramGateway, OWNER, STRANGER, until, type TelegramGateway, type Json } from '../fakes/telegram-gateway.js';

let g: TelegramGateway | undefined;
afterEach(async () => {
  await g?.stop();
  g = undefined;
});

async function editConfig(gw: TelegramGateway, edit: (c: Json) => void): Promise<void> {
  const file = join(gw.h.home, 'switchyard.json');
  const c = JSON.parse(await readFile(file, 'utf8')) as Json;
  edit(c);
  await writeFile(file, JSON.stringify(c, null, 2));
}
const tg = (c: Json) => (c.channels as Json).telegram as Json;

describe('config hot reload', () => {
  it('names the keys that need a restart and keeps their running values', () => {
    const prev = { gateway: { port: 1, bind: 'loopback', auth: {} }, channels: { telegram: { botToken: 'a', allowFrom: ['1'] } }, bindings: [] } as unknown as Config;
    const next = {
      gateway: { port: 2, bind: 'loopback', auth: { token: 'x'.repeat(20) } },
      channels: { telegram: { botToken: 'b', allowFrom: ['1', '2'] } },
      bindings: [{ agentId: 'w' }],
    } as unknown as Config;
    expect(restartKeys(prev, next).sort()).toEqual(['channels.telegram.botToken', 'gateway.auth.token', 'gateway.port']);
    const added = { ...next, channels: { ...(next.channels as object), whatsapp: { dmPolicy: 'open' } } } as unknown as Config;
    expect(restartKeys(prev, added)).toContain('channels.whatsapp');
    const kept = keepRunning(prev, next, restartKeys(prev, next)) as unknown as Json;
    expect(kept).toEqual({
      gateway: { port: 1, bind: 'loopback', auth: {} },
      channels: { telegram: { botToken: 'a', allowFrom: ['1', '2'] } },
      bindings: [{ agentId: 'w' }],
    });
  });

  it('an allowlist edit lets a new sender in without a restart; a port change is named and not applied', async () => {
    g = await startTelegramGateway({ config: { channels: { telegram: { dmPolicy: 'allowlist', allowFrom: [String(OWNER)] } } } });
    const gw = g;
    gw.model.setDefault(() => ({ text: 'model answer' }));
    gw.dm(STRANGER, 'before the edit');
    gw.dm(OWNER, 'owner first');
    await gw.sent((m) => m.chatId === OWNER && m.text === 'model answer');
    expect(gw.sentTo(STRANGER).some((m) => m.text === 'model answer')).toBe(false);
    const port = gw.h.gw.http.port;
    const configuredPort = gw.h.gw.config.gateway.port;

    await editConfig(gw, (c) => {
      tg(c).allowFrom = [String(OWNER), String(STRANGER)];
      c.gateway = { port: port + 1 };
    });
    const r = await gw.h.gw.reload('test');
    expect(r.changed).toContain('channels.telegram');
    expect(r.restartNeeded).toEqual(['gateway.port']);
    expect(gw.h.log.lines.some((l) => l.level === 'warn' && l.msg.includes('gateway.port changed; these take effect after a restart'))).toBe(true);
    expect(gw.h.gw.config.gateway.port).toBe(configuredPort); // the running value, not the edited one
    expect((gw.h.gw.config.channels as Record<string, { allowFrom?: string[] }>).telegram?.allowFrom).toEqual([String(OWNER), String(STRANGER)]);
    expect(gw.h.gw.http.port).toBe(port);

    gw.dm(STRANGER, 'after the edit');
    await gw.sent((m) => m.chatId === STRANGER && m.text === 'model answer');
  }, 30_000);

  it('a bad edit keeps the running config and logs the dotted path; editing the file alone reloads', async () => {
    g = await startTelegramGateway({ config: { agents: { list: [{ id: 'main', default: true }, { id: 'work' }] } } });
    const gw = g;
    await editConfig(gw, (c) => void (tg(c).allowFro = ['1']));
    await until(() => gw.h.log.lines.some((l) => l.level === 'error' && l.msg.includes('running config is kept')), 'the reload error', 5000);
    const err = gw.h.log.lines.find((l) => l.level === 'error' && l.msg.includes('running config is kept'))!;
    expect(err.msg).toContain('channels.telegram');
    expect(JSON.stringify(err.data?.keys)).toContain('channels.telegram');
    expect(gw.h.gw.config.bindings).toEqual([]);

    // A valid edit of the file (no SIGHUP): a binding now routes the owner's DM to agent work.
    await editConfig(gw, (c) => {
      delete tg(c).allowFro;
      c.bindings = [{ agentId: 'work', match: { channel: 'telegram', peer: { kind: 'direct', id: String(OWNER) } } }];
    });
    await until(() => gw.h.gw.config.bindings.length === 1, 'the binding to be applied', 5000);
    gw.dm(OWNER, '/whoami');
    await gw.sent((m) => m.chatId === OWNER && /agent:work:/.test(m.visibleText));
  }, 30_000);
});
