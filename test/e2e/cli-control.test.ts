// `switchyard <command>` against a running gateway: the real bin once (npx-style, through tsx), the rest in process
// through the same main() with captured output. The CLI finds the gateway the way a user's shell would: the port
// from $SWITCHYARD_HOME/switchyard.json, the token from the gateway-token file or SWITCHYARD_GATEWAY_TOKEN.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main } from '../../runtime/cli/main.js';
import type { CliIo } from '../../runtime/cli/types.js';
import { useGateway } from '../fakes/gateway-fixture.js';

const web = useGateway();
const ROOT = resolve(import.meta.dirname, '../..');

async function startWithCliConfig(extra: Record<string, unknown> = {}) {
  const config = {
    models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url } } },
    agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
    ...extra,
  };
  const h = await web.start({ config, env: { ANTHROPIC_API_KEY: 'key-a' } });
  // The gateway listens on a free port; the CLI reads it from the config file like it would read 18789.
  await writeFile(join(h.home, 'switchyard.json'), JSON.stringify({ ...config, gateway: { port: h.gw.http.port } }));
  return h;
}

function io(env: Record<string, string | undefined>, isTTY = false) {
  let out = '';
  let err = '';
  const value: CliIo = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env, isTTY };
  return { io: value, out: () => out, err: () => err };
}

async function cli(argv: string[], env: Record<string, string | undefined>, isTTY = false) {
  const o = io(env, isTTY);
  const code = await main(argv, o.io);
  return { code, out: o.out(), err: o.err() };
}

async function until(cond: () => boolean | Promise<boolean>, what: string) {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('switchyard CLI', () => {
  it('the bin runs from the checkout: status --json says ready with the channel states; not running and a wrong token exit non-zero', async () => {
    const h = await startWithCliConfig();
    const run = (args: string[], env: Record<string, string>) =>
      promisify(execFile)(process.execPath, [join(ROOT, 'runtime/cli/switchyard.mjs'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH!, ...env } }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const ok = await run(['status', '--json'], { SWITCHYARD_HOME: h.home });
    expect(ok.code, ok.stderr).toBe(0);
    const status = JSON.parse(ok.stdout);
    expect(status.ready).toBe(true);
    expect(status.channels).toEqual([expect.objectContaining({ channel: 'webchat', accountId: 'default', state: 'connected' })]);
    const wrong = await run(['status'], { SWITCHYARD_HOME: h.home, SWITCHYARD_GATEWAY_TOKEN: 'not-the-token-at-all' });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/refused the token/);
    const home = await web.stop({ keepHome: true });
    const down = await run(['status', '--json'], { SWITCHYARD_HOME: home });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/the gateway is not running at ws:\/\/127\.0\.0\.1:\d+\/ws/);
    expect(down.stdout).toBe('');
  });

  it('sessions, send, audit and logs work against the gateway; bad arguments are usage errors (exit 2)', async () => {
    const h = await startWithCliConfig();
    const env = { SWITCHYARD_HOME: h.home };
    web.fake.setDefault(() => ({ text: 'hello from the agent' }));
    const alice = await web.connect('alice');
    alice.send('hi');
    await alice.reply();
    await h.gw.gateway.lanes.idle();

    const list = await cli(['sessions', '--json'], env);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out).sessions).toEqual([expect.objectContaining({ key: 'agent:main:webchat:direct:alice', agentId: 'main', channel: 'webchat' })]);
    const pretty = await cli(['sessions', '--agent', 'main'], env, true);
    expect(pretty.out).toContain('agent:main:webchat:direct:alice');
    expect(pretty.out).toContain('\x1b['); // coloured on a terminal
    expect((await cli(['sessions'], env)).out).not.toContain('\x1b[');
    expect((await cli(['sessions', '--agent', 'nobody'], env)).code).toBe(1);

    const sent = await cli(['send', 'agent:main:webchat:direct:alice', 'a', 'note', 'from', 'the', 'terminal'], env);
    expect(sent.code, sent.err).toBe(0);
    expect(sent.out).toMatch(/accepted into agent:main:webchat:direct:alice/);
    expect((await alice.reply()).text).toBe('hello from the agent');
    expect(JSON.stringify(web.fake.requests.at(-1)!.body.messages)).toContain('a note from the terminal');
    const to = await cli(['send', '--to', 'webchat:alice', 'sent', 'with', 'to'], env);
    expect(to.code, to.err).toBe(0);
    await alice.reply();

    await h.gw.gateway.lanes.idle();
    const audit = await cli(['audit', '-n', '5', '--json'], env);
    expect(audit.code).toBe(0);
    expect(Array.isArray(JSON.parse(audit.out))).toBe(true);
    const logs = await cli(['logs', '-n', '20'], env);
    expect(logs.out).toMatch(/run start/);

    expect((await cli(['send', 'hello'], env)).code).toBe(2);
    expect((await cli(['audit', '-n', 'lots'], env)).code).toBe(2);
    expect((await cli(['status', '--bogus'], env)).code).toBe(2);
    expect((await cli(['approve', 'ABC'], env)).code).toBe(2);
  });

  it('approvals lists the waiting command and approve answers it; the run continues', async () => {
    const h = await startWithCliConfig({ commands: { ownerAllowFrom: ['webchat:owner'] } });
    const env = { SWITCHYARD_HOME: h.home };
    web.fake.script('key-a', { toolCalls: [{ id: 'call_1', name: 'exec', args: { command: 'rm -rf /important' } }] }, { text: 'understood, not done' });
    const alice = await web.connect('alice');
    alice.send('clean up');
    let id = '';
    await until(async () => {
      const r = await cli(['approvals', '--json'], env);
      id = (JSON.parse(r.out).approvals as { id: string }[])[0]?.id ?? '';
      return id !== '';
    }, 'the approval');
    const listed = await cli(['approvals'], env);
    expect(listed.out).toContain('rm -rf /important');
    const answer = await cli(['approve', id, 'deny'], env);
    expect(answer.code, answer.err).toBe(0);
    expect(answer.out).toMatch(/denied by operator/);
    expect((await alice.next((f) => f.type === 'message' && f.text === 'understood, not done')).text).toBeTruthy();
    expect((await cli(['approve', id, 'once'], env)).err).toMatch(/already settled/);
  });

  it('logs -f prints new lines as they happen and ends when the gateway stops', async () => {
    const h = await startWithCliConfig();
    web.fake.setDefault(() => ({ text: 'ok' }));
    const o = io({ SWITCHYARD_HOME: h.home });
    const following = main(['logs', '-f', '-n', '1'], o.io);
    await until(() => o.out().length > 0, 'the first line');
    const alice = await web.connect('alice');
    alice.send('make some log lines');
    await until(() => /run end/.test(o.out()), 'a live log line');
    await web.stop();
    expect(await following).toBe(1);
    expect(o.err()).toMatch(/stopping|closed the connection/);
  });
});
