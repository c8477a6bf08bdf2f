// Security and robustness of the chat-facing surface, through the whole gateway: what the owner's commands may
// print (never a secret), who may run them (captions, /cmd@bot, uppercase, groups, other channels with the same
// numeric id), approvals answered by the wrong people, DM isolation across dmScopes and identity links, and
// malformed input (HTTP request targets, web chat frames). Real grammY / ws / Anthropic SDK clients against
// fakes on 127.0.0.1.
import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../runtime/tools/sandbox.js';
import { FakeClock } from '../fakes/fake-clock.js';
import type { SentMessage } from '../fakes/fake-telegram.js';
import { ChatClient } from '../fakes/gateway-harness.js';
import {
  BOT_USERNAME,
  GROUP,
  MEMBER,
  MODEL_KEY,
  OWNER,
  STRANGER,
  TOKEN,
  requestText,
  startTelegramGateway,
  until,
  type TelegramGateway,
} from '../fakes/telegram-gateway.js';

const withSandbox = (await findBwrap()) ? it : it.skip; // without bubblewrap every exec is refused: nothing to compare

let g: TelegramGateway | undefined;
const clients: ChatClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await g?.stop();
  g = undefined;
});

const to = (chatId: number, threadId?: number) => (m: SentMessage) => m.chatId === chatId && (threadId === undefined || m.threadId === threadId);

async function chat(user: string): Promise<ChatClient> {
  const c = await ChatClient.as(g!.h.gw, user);
  clients.push(c);
  return c;
}

/** Sends one raw HTTP/1.1 request and resolves with the status line ('' when the socket closed without one). */
function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => s.write(head));
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('close', () => resolve(out.split('\r\n')[0] ?? ''));
    s.on('error', reject);
    s.setTimeout(5000, () => {
      s.destroy();
      resolve(`no answer within 5 s (got ${JSON.stringify(out.slice(0, 40))})`);
    });
  });
}

const GATEWAY_SECRET = 'gw-Secret-Token-9f8E7d6C5b4A3';
const CONFIG_KEY = 'sk-ant-api03-CONFIGkey0123456789abcdefXYZ';
const PROFILE_KEY = 'sk-ant-api03-PROFILEkey9876543210zyxwvuABC';

describe('owner commands never print a secret', () => {
  it('every command, and /audit after them, keeps tokens and keys out of the chat and the audit file', async () => {
    g = await startTelegramGateway({
      config: {
        gateway: { auth: { token: GATEWAY_SECRET } },
        models: { providers: { anthropic: { apiKey: CONFIG_KEY } } },
        auth: { profiles: { 'anthropic:backup': { provider: 'anthropic', mode: 'api_key', key: PROFILE_KEY } } },
        agents: { list: [{ id: 'main', default: true }, { id: 'work' }] },
      },
    });
    g.dm(OWNER, 'hello'); // one model run, so /status and /context have a session to describe
    await g.sent((m) => to(OWNER)(m) && m.text === 'ok');
    const commands = [
      '/help',
      '/help audit',
      '/whoami',
      '/status',
      '/agents',
      '/bind work',
      '/unbind',
      '/context list',
      '/context detail',
      '/queue',
      '/queue followup debounce:2s',
      '/model',
      '/approvals',
      '/allowlist list',
      `/allowlist add curl -H "Authorization: Bearer ${GATEWAY_SECRET}"`,
      '/pairing list',
      '/stop',
      '/new',
      '/nonsense',
      `/approve ${CONFIG_KEY} deny`,
      '/audit 50',
    ];
    for (const c of commands) {
      const before = g.sentTo(OWNER).length;
      g.dm(OWNER, c);
      await until(() => g!.sentTo(OWNER).length > before, `an answer to ${c}`);
    }
    const answers = g.sentTo(OWNER).map((m) => m.text);
    const auditFile = (await g.auditLines()).map((l) => JSON.stringify(l)).join('\n');
    const status = answers.find((t) => t.startsWith('Agent:'))!;
    expect(status).toContain('anthropic:backup'); // the profile is shown by name…
    for (const secret of [GATEWAY_SECRET, CONFIG_KEY, PROFILE_KEY, TOKEN, TOKEN.split(':')[1]]) {
      // …but no secret appears anywhere: not in any answer, not in the audit file.
      const leaks = answers.filter((t) => t.includes(secret) && !t.startsWith('Allowed for agent'));
      expect(leaks, `answers containing ${secret}`).toEqual([]);
      expect(auditFile).not.toContain(secret);
    }
    const auditAnswer = answers.find((t) => t.startsWith('Latest'))!;
    for (const c of ['status', 'context', 'allowlist', 'approve']) expect(auditAnswer).toContain(`command=${c}`);
  });

  it('a model error that echoes the API key does not show the key in the chat', async () => {
    g = await startTelegramGateway({ config: { models: { providers: { anthropic: { apiKey: CONFIG_KEY } } } } });
    g.model.setDefault((req) => ({
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error', message: `bad request for key ${req.key}` } },
    }));
    g.dm(OWNER, 'hello');
    const err = await g.sent((m) => to(OWNER)(m) && m.text.includes('model call failed'));
    expect(err.text).not.toContain(CONFIG_KEY);
  });
});

describe('the HTTP server survives odd requests', () => {
  it('a request target that is not a valid URL gets 400, also on upgrade; the server keeps serving', async () => {
    g = await startTelegramGateway();
    const port = g.h.gw.http.port;
    for (const target of ['//[', 'http://[', '//a:b@[x', 'http://x:99999/']) {
      expect(await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
      const upgrade =
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
      expect(await rawRequest(port, upgrade)).toMatch(/^HTTP\/1\.1 400/);
    }
    const res = await fetch(`${g.h.gw.http.url}/healthz`);
    expect(res.status).toBe(200);
  });
});

describe('DM sessions stay apart across channels and identity links', () => {
  it('a web chat user who names himself like a linked identity does not join its session', async () => {
    g = await startTelegramGateway({
      config: {
        channels: { webchat: { enabled: true } },
        session: { identityLinks: { alice: [`telegram:${OWNER}`, 'webchat:u-alice-private-7f3a'] } },
      },
    });
    g.model.setDefault(() => ({ text: 'noted' }));
    const alice = await chat('u-alice-private-7f3a');
    alice.send('my PIN is 4711');
    await alice.reply();
    const impostor = await chat('alice');
    impostor.send('what is my PIN?');
    await impostor.reply();
    const last = g.model.requests[g.model.requests.length - 1];
    expect(requestText(last.body)).toContain('what is my PIN?');
    expect(requestText(last.body)).not.toContain('4711');
  });

  it('per-peer: web chat user "111" does not share the DM session of Telegram user 111', async () => {
    g = await startTelegramGateway({ config: { channels: { webchat: { enabled: true } }, session: { dmScope: 'per-peer' } } });
    g.model.setDefault(() => ({ text: 'noted' }));
    g.dm(OWNER, 'my PIN is 4711');
    await g.sent((m) => to(OWNER)(m) && m.text === 'noted');
    const impostor = await chat(String(OWNER));
    impostor.send('what is my PIN?');
    await impostor.reply();
    const last = g.model.requests[g.model.requests.length - 1];
    expect(requestText(last.body)).not.toContain('4711');
  });

  it('web chat ids differing only in case are one user: the same sockets and the same session', async () => {
    g = await startTelegramGateway({ config: { channels: { webchat: { enabled: true } } } });
    g.model.setDefault(() => ({ text: 'noted' }));
    const upper = await chat('Bob');
    const lower = await chat('bob');
    upper.send('hello from Bob');
    await upper.reply();
    // Whoever shares the session also receives its replies; otherwise two people would share one context.
    await lower.reply();
  });
});

describe('owner-only commands cannot be reached by others', () => {
  it("captions, /cmd@bot, upper case, a BOM, edits and other bots' addresses never run an owner command for a non-owner", async () => {
    g = await startTelegramGateway({ config: { agents: { list: [{ id: 'main', default: true }, { id: 'work' }] } } });
    g.model.setDefault(() => ({ text: 'model answer' }));
    const tries = [
      '/BIND work',
      `/bind@${BOT_USERNAME} work`,
      `/Bind@${BOT_USERNAME.toUpperCase()} work`,
      '\ufeff/bind work',
      '/pairing approve ABCDEFGH',
      '/audit 50',
      '/allowlist add rm -rf /',
    ];
    for (const text of tries) g.inTopic(MEMBER, 7, text);
    g.tg.pushMessage({ chatId: GROUP, chatType: 'supergroup', isForum: true, title: 'Team', threadId: 7, fromId: MEMBER, caption: '/bind work', photo: true });
    // An edit that turns an old message into a command is not a message at all.
    g.tg.pushUpdate({
      edited_message: {
        message_id: 1,
        date: 1,
        edit_date: 2,
        chat: { id: GROUP, type: 'supergroup', is_forum: true },
        message_thread_id: 7,
        is_topic_message: true,
        from: { id: OWNER, is_bot: false, first_name: 'Owner' },
        text: '/bind work',
        entities: [{ type: 'bot_command', offset: 0, length: 5 }],
      },
    });
    g.inTopic(MEMBER, 7, `/bind@some_other_bot work`); // for another bot: an ordinary message here
    g.inTopic(MEMBER, 7, '/whoami'); // answered: everything before it was processed
    await g.sent((m) => to(GROUP, 7)(m) && m.text.startsWith('You: telegram id'));
    await g.h.gw.gateway.lanes.idle();

    // Silence in the group for every refusal, nothing bound, the model saw only the message for the other bot.
    expect(
      g
        .sentTo(GROUP)
        .map((m) => m.text)
        .filter((t) => !t.startsWith('You:') && t !== 'model answer'),
    ).toEqual([]);
    g.dm(OWNER, '/agents');
    expect((await g.sent((m) => to(OWNER)(m) && m.text.startsWith('Agents:'))).text).not.toContain('Chat-made bindings');
    g.dm(OWNER, '/allowlist list');
    expect((await g.sent((m) => to(OWNER)(m) && m.text.startsWith('Exec allowlist'))).text).toContain('(empty)');
    expect(g.model.requests.map((r) => requestText(r.body)).join('\n')).not.toMatch(/\/bind work|pairing|audit/);
    const refused = (await g.auditLines()).filter((l) => l.kind === 'admin' && l.decision === 'refused');
    expect(refused.map((l) => l.command)).toEqual(['bind', 'bind', 'bind', 'bind', 'pairing', 'audit', 'allowlist', 'bind']);
    for (const l of refused) expect(l).toMatchObject({ sender: `telegram:${MEMBER}`, chatId: String(GROUP), threadId: '7', reason: 'not an owner' });
  });

  it("a web chat user with the owner's numeric id is not the owner: /approve is refused and the approval stays pending", async () => {
    g = await startTelegramGateway({ config: { channels: { webchat: { enabled: true } } } });
    g.model.script(MODEL_KEY, { toolCalls: [{ id: 'call_exec', name: 'exec', args: { command: 'uname -a' } }] }, { text: 'after the decision' });
    g.inTopic(MEMBER, 7, 'run it');
    const prompt = await g.sent((m) => to(OWNER)(m) && m.text.includes('Approval needed'));
    const id = /id ([A-Z0-9]{6})/.exec(prompt.text)![1];
    const waiting = await g.sent((m) => to(GROUP, 7)(m) && m.text.includes('Waiting for the owner'));

    const sameId = await chat(String(OWNER)); // web chat ids are chosen by the client
    sameId.send(`/approve ${id} allow-once`);
    expect((await sameId.reply()).text).toBe("/approve is for the bot's owner only.");
    sameId.send('/approvals');
    expect((await sameId.reply()).text).toBe("/approvals is for the bot's owner only.");
    // A member's /approve in the group, and replies that say "yes" to the notice or to a message with the
    // prompt's number in another chat, do nothing either.
    g.inTopic(MEMBER, 7, `/approve ${id} allow-once`);
    g.inTopic(MEMBER, 7, 'yes', waiting.messageId);
    g.tg.pushMessage({
      chatId: GROUP,
      chatType: 'supergroup',
      isForum: true,
      threadId: 7,
      fromId: MEMBER,
      text: 'yes',
      replyTo: { messageId: prompt.messageId, fromId: 123456, isBot: true },
    });
    g.inTopic(MEMBER, 7, '/whoami');
    await g.sent((m) => to(GROUP, 7)(m) && m.text.startsWith('You: telegram id'));
    expect(g.h.gw.gateway.lanes.status(`agent:main:telegram:group:${GROUP}:topic:7`).active).toBe(true); // still waiting

    g.dm(OWNER, 'no', prompt.messageId);
    await g.sent((m) => to(GROUP, 7)(m) && m.text === 'after the decision');
    const audit = await g.auditLines();
    expect(audit.filter((l) => l.kind === 'approval' && l.event === 'decided')).toEqual([expect.objectContaining({ id, status: 'deny', by: `telegram:${OWNER}` })]);
    expect(audit.filter((l) => l.kind === 'admin' && l.decision === 'refused').map((l) => l.sender)).toEqual([
      `webchat:${OWNER}`,
      `webchat:${OWNER}`,
      `telegram:${MEMBER}`,
    ]);
  });
  it('a web chat owner configured with capitals gets the prompt and can decide it (ids fold case everywhere)', async () => {
    g = await startTelegramGateway({ config: { channels: { webchat: { enabled: true } }, commands: { ownerAllowFrom: ['webchat:Alice-Owner'] } } });
    const owner = await chat('Alice-Owner');
    g.model.script(MODEL_KEY, { toolCalls: [{ id: 'call_exec', name: 'exec', args: { command: 'uname -a' } }] }, { text: 'after the decision' });
    g.inTopic(MEMBER, 7, 'run it');
    const prompt = await owner.next((f) => f.type === 'message' && (f.text ?? '').includes('Approval needed'));
    const id = /id ([A-Z0-9]{6})/.exec(prompt.text!)![1];
    owner.send(`/approve ${id} deny`);
    expect((await owner.next((f) => f.type === 'message' && (f.text ?? '').startsWith(`Approval ${id}`))).text).toContain('denied by webchat:alice-owner');
    await g.sent((m) => to(GROUP, 7)(m) && m.text === 'after the decision');
  });
});

describe('pairing', () => {
  it('at most 3 codes wait per channel, the 4th stranger is ignored until one expires, and a code goes to nobody else', async () => {
    const clock = new FakeClock(Date.now());
    g = await startTelegramGateway({ clock });
    const strangers = [501, 502, 503, 504];
    const codes = new Map<number, string>();
    for (const s of strangers.slice(0, 3)) {
      g.dm(s, 'hi');
      const msg = await g.sent((m) => to(s)(m) && m.text.includes('pairing code'));
      codes.set(s, /pairing code is ([A-Z2-9]{8})/.exec(msg.text)![1]);
    }
    g.dm(504, 'me too');
    g.dm(OWNER, '/pairing list');
    const list = await g.sent((m) => to(OWNER)(m) && m.text.startsWith('Pairing requests'));
    expect(list.text).toContain('Pairing requests (3)');
    expect(g.sentTo(504)).toEqual([]);
    expect(g.tg.sent.filter((m) => m.text.includes('504'))).toEqual([]); // the owner was not told about the 4th
    // Each code reached its sender and the owner, no one else.
    for (const [s, code] of codes) {
      expect([...new Set(g.tg.sent.filter((m) => m.text.includes(code)).map((m) => m.chatId))].sort()).toEqual([OWNER, s].sort());
    }
    // Guessing codes is not possible for a stranger: /pairing is the owner's.
    g.dm(504, `/pairing approve ${codes.get(501)}`);
    await until(() => g!.auditLines().then((l) => l.some((x) => x.command === 'pairing' && x.decision === 'refused')), 'the refusal');

    await clock.advance(60 * 60 * 1000); // the three codes expire
    g.dm(504, 'and now?');
    const late = await g.sent((m) => to(504)(m) && m.text.includes('pairing code'));
    expect(late.text).toMatch(/expires in 60 minutes/);
    g.dm(OWNER, `/pairing approve ${codes.get(501)}`);
    const tooLate = await g.sent((m) => to(OWNER)(m) && m.text.includes(codes.get(501)!) && !m.text.includes('Pairing request'));
    expect(tooLate.text).toMatch(/^No pending pairing request with code/);
  });
});

describe('web chat frames and HTTP requests that are not what we expect', () => {
  it('binary, invalid UTF-8, oversized frames and a flood leave the gateway answering everyone', async () => {
    g = await startTelegramGateway({ config: { channels: { webchat: { enabled: true } } } });
    g.model.setDefault(() => ({ text: 'still here' }));
    const a = await chat('u-binary');
    a.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await a.next((f) => f.type === 'error')).error).toMatch(/binary frames are not supported/);

    const b = await chat('u-badutf8');
    const closedB = new Promise<number>((r) => b.ws.once('close', (code) => r(code)));
    b.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await closedB).toBe(1007);

    const c = await chat('u-huge');
    const closedC = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    c.send('x'.repeat(300_000)); // over the 256 KiB frame limit
    expect(await closedC).toBe(1009);

    const flood = await chat('u-flood');
    const ids = Array.from({ length: 300 }, (_, i) => flood.send(`message ${i}`, `f${i}`));
    await until(() => flood.frames.filter((f) => f.type === 'ack' || f.type === 'error').length === ids.length, 'an answer to every flooded frame');

    const calm = await chat('u-calm');
    calm.send('are you there?');
    expect((await calm.reply()).text).toBe('still here');
    const res = await fetch(`${g.h.gw.http.url}/healthz`);
    expect(res.status).toBe(200);
  });

  it('odd methods, paths and headers get a plain answer that holds no secret', async () => {
    g = await startTelegramGateway({ config: { gateway: { auth: { token: GATEWAY_SECRET } } } });
    const { url, port } = g.h.gw.http;
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const res = await fetch(`${url}/`, { method });
      expect(res.status, method).toBe(404);
      expect(await res.text()).not.toContain(GATEWAY_SECRET);
    }
    for (const path of ['/ws', '/../../etc/passwd', `/healthz?token=${GATEWAY_SECRET}`, '/%00', '/' + 'a'.repeat(8000)]) {
      const res = await fetch(`${url}${path}`);
      expect([200, 404]).toContain(res.status);
      expect(await res.text()).not.toContain(GATEWAY_SECRET);
    }
    // A header block beyond Node's limit, a request line that is not HTTP, a websocket upgrade anywhere but /ws
    // (on /ws the token is checked in the first frame: test/e2e/protocol-conformance.test.ts).
    expect(await rawRequest(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`)).not.toContain('200');
    expect(await rawRequest(port, 'HELLO\r\n\r\n')).not.toContain('200');
    const elsewhere =
      `GET /control?token=${GATEWAY_SECRET} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    expect(await rawRequest(port, elsewhere)).toBe('HTTP/1.1 404 Not Found');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});

describe('a stranger cannot stall the bot', () => {
  it('while the answer to a stranger waits out a 429, other chats are still read and answered', async () => {
    g = await startTelegramGateway();
    // Telegram rate-limits the bot in the stranger's chat (say the stranger floods it): retry after 30 s.
    g.tg.failWhen('sendMessage', (p) => p.chat_id === STRANGER, { status: 429, description: 'Too Many Requests: retry after 30', retry_after: 30 });
    g.dm(STRANGER, 'hi');
    await until(() => g!.tg.calls.some((c) => c.method === 'sendMessage' && c.params.chat_id === STRANGER), 'the rate-limited send');
    g.dm(OWNER, '/whoami');
    const who = await g.sent((m) => to(OWNER)(m) && m.text.startsWith('You: telegram id'));
    expect(who.text).toContain('owner');
    expect(g.sentTo(STRANGER)).toEqual([]); // still waiting out its 429
  });
});

describe("host exec (sandbox mode non-main) is only for the owner's own messages", () => {
  withSandbox("a batch that merges a non-owner's DM with the owner's (dmScope main) runs exec in the sandbox", async () => {
    g = await startTelegramGateway({
      config: {
        session: { dmScope: 'main' },
        channels: { telegram: { dmPolicy: 'open' } },
        agents: { defaults: { sandbox: { mode: 'non-main' } } },
        tools: { exec: { security: 'full', ask: 'off' } },
      },
    });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    g.model.setDefault(async (req) => {
      const text = requestText(req.body);
      if (text.includes('first') && !text.includes('owner says')) {
        await gate;
        return { text: 'first done' };
      }
      if (!text.includes('tool_result')) return { toolCalls: [{ id: 'call_host', name: 'exec', args: { command: 'cat /proc/sys/kernel/hostname' } }] };
      return { text: 'ran it' };
    });
    g.dm(OWNER, 'first');
    await until(() => g!.model.requests.length === 1, 'the first run');
    g.dm(STRANGER, 'stranger says: run the command'); // the shared main session: both wait in one lane
    g.dm(OWNER, 'owner says hi');
    await until(() => g!.h.gw.gateway.lanes.status('agent:main:main').backlog === 2, 'both queued');
    open();
    await g.sent((m) => m.text === 'ran it');
    const last = g.model.requests[g.model.requests.length - 1];
    expect(requestText(last.body)).toContain('stranger says');
    expect(requestText(last.body)).toContain('"content":"sandbox'); // the hostname inside bubblewrap: not run on the host
  });
});
