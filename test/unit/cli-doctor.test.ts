// switchyard doctor against a state directory with one problem planted at a time: each is reported at the right
// level with its fix, and only a FAIL makes the exit code non-zero. Platforms and models are fake servers on
// 127.0.0.1; programs (bwrap, git), memory, disk and the clock are injected.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { createDoctorCommand, runDoctor } from '../../runtime/cli/doctor.js';
import { CHANNEL_MODULES } from '../../bots/registry.js';
import { checkNode, checkPlatforms, type CheckResult, type DoctorEnv } from '../../runtime/cli/doctor-checks.js';
import type { Config } from '../../runtime/config/schema.js';
import type { CliIo } from '../../runtime/cli/types.js';
import { FakeTelegram } from '../fakes/fake-telegram.js';

const TOKEN = '123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';
const MiB = 1024 * 1024;
let tg: FakeTelegram;
let model: Server;
let modelStatus = 200;
let modelUrl: string;
let home: string;

beforeAll(async () => {
  tg = await new FakeTelegram({ [TOKEN]: {} }).start();
  model = createServer((_req, res) => {
    res.writeHead(modelStatus, { 'content-type': 'application/json' });
    res.end('{"data":[]}');
  });
  await new Promise<void>((r) => model.listen(0, '127.0.0.1', r));
  modelUrl = `http://127.0.0.1:${(model.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await tg.close();
  await new Promise((r) => model.close(r));
});
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'sy-doctor-'));
  modelStatus = 200;
  await writeConfig({ channels: { telegram: { botToken: TOKEN, apiRoot: tg.apiRoot } } });
  await writeFile(join(home, 'gateway-token'), 'x'.repeat(32), { mode: 0o600 });
});
afterEach(() => rm(home, { recursive: true, force: true }));

async function writeConfig(c: unknown): Promise<void> {
  await writeFile(join(home, 'switchyard.json'), JSON.stringify(c), { mode: 0o600 });
}

function doctorEnv(over: Partial<DoctorEnv> = {}): DoctorEnv {
  return {
    home,
    modules: CHANNEL_MODULES,
    env: { OPENAI_BASE_URL: modelUrl, SWITCHYARD_MODEL: 'openai/llama3.2' },
    now: () => Date.now(),
    fetch: globalThis.fetch,
    memory: () => ({ total: 4096 * MiB, available: 2048 * MiB }),
    timeoutMs: 2000,
    diskFree: async () => 20_000 * MiB,
    run: (cmd) => ({ status: 0, output: cmd === 'git' ? 'git version 2.47.0' : '' }),
    ...over,
  };
}

const find = (rs: CheckResult[], name: string) => rs.find((r) => r.name.startsWith(name));
const levels = (rs: CheckResult[]) => rs.filter((r) => r.level !== 'OK').map((r) => `${r.level} ${r.name}`);

describe('switchyard doctor', () => {
  it('a healthy set-up: every check OK', async () => {
    const rs = await runDoctor(doctorEnv());
    expect(levels(rs)).toEqual([]);
    expect(find(rs, 'telegram')?.detail).toContain('accepted');
    expect(find(rs, 'model')?.detail).toContain('openai/llama3.2');
  });

  it('the command prints one line per check and exits 0 without FAIL, 1 with one', async () => {
    const out = { s: '' };
    const io: CliIo = { env: { SWITCHYARD_HOME: home }, isTTY: false, stdout: { write: (s: string) => (out.s += s) }, stderr: { write: () => {} } };
    const doctorCommand = createDoctorCommand({ channelModules: CHANNEL_MODULES });
    expect(await doctorCommand.run(['--offline'], io)).toBe(0);
    expect(out.s).toMatch(/^OK +node /m);
    expect(out.s).toMatch(/failed, \d+ warnings/);
    await chmod(join(home, 'gateway-token'), 0o644);
    expect(await doctorCommand.run(['--offline'], io)).toBe(1);
    expect(out.s).toMatch(/^FAIL +permissions gateway-token .*chmod 600/m);
  });

  it('secrets readable by others FAIL with chmod as the fix', async () => {
    await chmod(join(home, 'gateway-token'), 0o644);
    await mkdir(join(home, 'credentials/whatsapp/default'), { recursive: true, mode: 0o700 });
    await chmod(join(home, 'credentials'), 0o700);
    await chmod(join(home, 'credentials/whatsapp'), 0o700);
    await writeFile(join(home, 'credentials/whatsapp/default/creds.json'), '{}', { mode: 0o644 });
    const rs = await runDoctor(doctorEnv());
    expect(levels(rs)).toEqual(['FAIL permissions gateway-token', 'FAIL permissions credentials']);
    expect(find(rs, 'permissions gateway-token')?.detail).toContain('chmod 600');
  });

  it('a bad config FAILs naming the key', async () => {
    await writeConfig({ channels: { telegram: { botToken: TOKEN, pollTimeoutSecond: 5 } } });
    const rs = await runDoctor(doctorEnv());
    expect(find(rs, 'config')?.level).toBe('FAIL');
    expect(find(rs, 'config')?.detail).toContain('channels.telegram');
  });

  it('a token of the wrong shape FAILs; a rejected token FAILs; an unreachable platform only WARNs', async () => {
    await writeConfig({ channels: { telegram: { botToken: 'not-a-token', apiRoot: tg.apiRoot } } });
    expect(find(await runDoctor(doctorEnv()), 'telegram')).toMatchObject({ level: 'FAIL', detail: expect.stringContaining('@BotFather') });
    await writeConfig({ channels: { telegram: { botToken: '999999:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1', apiRoot: tg.apiRoot } } });
    expect(find(await runDoctor(doctorEnv()), 'telegram')).toMatchObject({ level: 'FAIL', detail: expect.stringContaining('rejected by Telegram (401)') });
    await writeConfig({ channels: { telegram: { botToken: TOKEN, apiRoot: 'http://127.0.0.1:9' } } });
    const rs = await runDoctor(doctorEnv());
    expect(find(rs, 'telegram')?.level).toBe('WARN');
    expect(find(rs, 'clock')?.level).toBe('WARN');
    expect(rs.some((r) => r.level === 'FAIL')).toBe(false);
  });

  it('the model: a rejected key FAILs, an unreachable server WARNs, none configured WARNs', async () => {
    modelStatus = 401;
    expect(find(await runDoctor(doctorEnv()), 'model')?.level).toBe('FAIL');
    const down = await runDoctor(doctorEnv({ env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } }));
    expect(find(down, 'model')).toMatchObject({ level: 'WARN', detail: expect.stringContaining('not reachable') });
    expect(find(await runDoctor(doctorEnv({ env: {} })), 'model')).toMatchObject({ level: 'WARN', detail: expect.stringContaining('no model configured') });
  });

  it('bubblewrap missing or broken and git missing WARN with what to install', async () => {
    const rs = await runDoctor(doctorEnv({ run: () => ({ status: null, output: 'ENOENT' }) }));
    expect(find(rs, 'sandbox')).toMatchObject({ level: 'WARN', detail: expect.stringContaining('apt-get install bubblewrap') });
    expect(find(rs, 'sandbox')?.detail).toContain('exec refuses');
    expect(find(rs, 'git')).toMatchObject({ level: 'WARN', detail: expect.stringContaining('apt-get install git') });
    const broken = await runDoctor(
      doctorEnv({ run: (c) => (c === 'bwrap' ? { status: 1, output: 'bwrap: No permissions to creating new namespace' } : { status: 0, output: 'git' }) }),
    );
    expect(find(broken, 'sandbox')?.detail).toContain('user namespaces');
  });

  it('low disk FAILs, a skewed clock FAILs, too little memory FAILs and little available WARNs', async () => {
    expect(find(await runDoctor(doctorEnv({ diskFree: async () => 50 * MiB })), 'disk')?.level).toBe('FAIL');
    expect(find(await runDoctor(doctorEnv({ diskFree: async () => 500 * MiB })), 'disk')?.level).toBe('WARN');
    const skew = await runDoctor(doctorEnv({ now: () => Date.now() + 5 * 60_000 }));
    expect(find(skew, 'clock')).toMatchObject({ level: 'FAIL', detail: expect.stringContaining('ahead') });
    expect(find(await runDoctor(doctorEnv({ memory: () => ({ total: 100 * MiB, available: 50 * MiB }) })), 'memory')?.level).toBe('FAIL');
    expect(find(await runDoctor(doctorEnv({ memory: () => ({ total: 512 * MiB, available: 60 * MiB }) })), 'memory')?.level).toBe('WARN');
  });

  it('a state dir that does not exist yet WARNs: the gateway makes it at its first start', async () => {
    const fresh = await runDoctor(doctorEnv({ home: join(home, 'not-yet') }));
    expect(find(fresh, 'state dir')).toMatchObject({ level: 'WARN', detail: expect.stringContaining('creates it') });
    expect(fresh.some((r) => r.level === 'FAIL')).toBe(false);
  });

  it('Discord and Slack: token shapes, and the platform asked (users/@me, auth.test) when reachable', async () => {
    const DISCORD = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz012345';
    const api = createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      if (req.url === '/v10/users/@me') {
        res.writeHead(auth === `Bot ${DISCORD}` ? 200 : 401, { 'content-type': 'application/json' });
        return void res.end('{}');
      }
      if (req.url === '/api/auth.test') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify(auth === 'Bearer xoxb-good' ? { ok: true } : { ok: false, error: 'invalid_auth' }));
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const root = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const check = (channels: Record<string, unknown>) => checkPlatforms(doctorEnv(), { channels } as unknown as Config);
    try {
      expect(await check({ discord: { token: DISCORD, apiRoot: root }, slack: { botToken: 'xoxb-good', appToken: 'xapp-1', apiUrl: `${root}/api/` } })).toEqual([
        { name: 'discord', level: 'OK', detail: expect.stringContaining('accepted') },
        { name: 'slack', level: 'OK', detail: expect.stringContaining('accepted') },
      ]);
      const bad = await check({ discord: { token: `${DISCORD}x`, apiRoot: root }, slack: { botToken: 'xoxb-revoked', appToken: 'xapp-1', apiUrl: `${root}/api/` } });
      expect(bad.map((r) => [r.name, r.level])).toEqual([
        ['discord', 'FAIL'],
        ['slack', 'FAIL'],
      ]);
      expect(bad[1].detail).toContain('invalid_auth');
      const shapes = await check({ discord: { token: 'abc' }, slack: { botToken: 'xoxp-user', appToken: 'xapp-1' } });
      expect(shapes.map((r) => r.level)).toEqual(['FAIL', 'FAIL']);
      const offline = await check({ discord: { token: DISCORD, apiRoot: 'http://127.0.0.1:9' } });
      expect(offline[0].level).toBe('WARN');
    } finally {
      await new Promise((r) => api.close(r));
    }
  });

  it('an old Node FAILs', () => {
    expect(checkNode('18.19.0').level).toBe('FAIL');
    expect(checkNode('20.11.1').level).toBe('OK');
  });
});
