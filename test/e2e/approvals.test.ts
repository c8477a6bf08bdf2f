// Exec approvals through the whole gateway on Telegram: the model asks for `exec` in a forum topic, the owner approves by
// replying to a DM, the command runs in bubblewrap, the answer lands back in the topic. Plus deny, expiry (fake
// clock), non-owner replies, allow-always, path escapes, the sandbox's network isolation, deny-beats-allow and
// the audit log. Real grammY and Anthropic SDK clients against fakes on 127.0.0.1.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../runtime/tools/sandbox.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { tempHome } from '../fakes/gateway-harness.js';
import type { SentMessage } from '../fakes/fake-telegram.js';
import {
  GROUP,
  MEMBER,
  MODEL_KEY,
  OWNER,
  STRANGER,
  requestText,
  startTelegramGateway,
  toolNames,
  until,
  type Json,
  type TelegramGateway,
} from '../fakes/telegram-gateway.js';

const bwrap = await findBwrap();
if (!bwrap) console.warn('e2e-approvals: bubblewrap (bwrap) is not installed; sandbox tests are SKIPPED (install: sudo apt-get install bubblewrap)');
const withSandbox = bwrap ? it : it.skip;

const COMMAND = 'echo hi > out.txt && cat out.txt && cat /proc/sys/kernel/hostname';
const TOPIC = 7;

let g: TelegramGateway | undefined;
let other: TelegramGateway | undefined;
const servers: Server[] = [];

afterEach(async () => {
  await g?.stop();
  await other?.stop();
  g = other = undefined;
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

const isPrompt = (m: SentMessage) => m.chatId === OWNER && m.text.includes('Approval needed');
const inTopic = (m: SentMessage) => m.chatId === GROUP && m.threadId === TOPIC;
const approvalId = (prompt: SentMessage) => /id ([A-Z0-9]{6})/.exec(prompt.text)![1];

/** The tool_result blocks of a recorded request, as text. */
function toolResults(body: Json): string[] {
  const out: string[] = [];
  for (const m of body.messages as { role: string; content: unknown }[]) {
    if (!Array.isArray(m.content)) continue;
    for (const b of m.content as { type: string; content?: unknown; tool_use_id?: string }[]) {
      if (b.type === 'tool_result') out.push(`${b.tool_use_id}: ${JSON.stringify(b.content)}`);
    }
  }
  return out;
}

async function execRun(g: TelegramGateway, command: string, answer = 'done') {
  g.model.script(MODEL_KEY, { toolCalls: [{ id: 'call_exec', name: 'exec', args: { command } }] }, { text: answer });
  return g.inTopic(MEMBER, TOPIC, 'please run it');
}

describe('exec approvals through Telegram', () => {
  withSandbox('owner replies "yes" to the DM → runs in the sandbox → output reaches the model → answer in the topic', async () => {
    g = await startTelegramGateway();
    // The model asks twice for the same command in one run: the owner is asked once (no approval floods).
    g.model.script(
      MODEL_KEY,
      { toolCalls: [{ id: 'call_exec', name: 'exec', args: { command: COMMAND } }] },
      { toolCalls: [{ id: 'call_again', name: 'exec', args: { command: COMMAND } }] },
      { text: 'The file says hi.' },
    );
    g.inTopic(MEMBER, TOPIC, 'please write hi to a file');

    const prompt = await g.sent(isPrompt);
    expect(prompt.text).toContain(COMMAND);
    expect(prompt.text).toContain('Agent: main');
    expect(prompt.text).toContain(`(${GROUP}), topic ${TOPIC}`);
    const id = approvalId(prompt);
    // The topic is told what is waiting, in the topic.
    const waiting = await g.sent((m) => inTopic(m) && m.text.includes('Waiting for the owner'));
    expect(waiting.text).toContain(id);
    expect(waiting.text).toContain(COMMAND);
    expect(g.model.requests).toHaveLength(1);
    expect(existsSync(join(g.workspace(), 'out.txt'))).toBe(false);

    g.dm(OWNER, 'yes', prompt.messageId);

    const final = await g.sent((m) => inTopic(m) && m.text === 'The file says hi.');
    // A reply to the member's message (sent before any of the bot's messages).
    expect(final.replyTo).toBeLessThan(prompt.messageId);
    const results = toolResults(g.model.requests[1].body);
    expect(results).toHaveLength(1);
    expect(results[0]).toContain('call_exec');
    expect(results[0]).toContain('hi');
    expect(results[0]).toContain('sandbox'); // the hostname inside bubblewrap
    expect(results[0]).toContain('exit code 0');
    expect(toolResults(g.model.requests[2].body).join('\n')).toContain('call_again');
    expect(await readFile(join(g.workspace(), 'out.txt'), 'utf8')).toBe('hi\n');
    expect(g.tg.sent.filter(isPrompt)).toHaveLength(1);

    // The topic hears the decision; the owner gets a confirmation in the DM.
    const decided = await g.sent((m) => inTopic(m) && m.text.includes(`Approval ${id}`) && m.text.includes('approved once'));
    expect(decided.text).toContain(`telegram:${OWNER}`);
    await g.sent((m) => m.chatId === OWNER && m.messageId > prompt.messageId && m.text.includes(`Approval ${id}`));
    // Nothing of the flow leaked into other topics or to the member's DM.
    expect(g.tg.sent.filter((m) => m.chatId === GROUP && m.threadId !== TOPIC)).toEqual([]);
    expect(g.tg.sent.filter((m) => m.chatId === MEMBER)).toEqual([]);

    await g.h.gw.gateway.lanes.idle();
    // The owner's "yes" was consumed by the approval: it never became a turn of its own.
    expect(g.model.requests).toHaveLength(3);
    expect(g.model.requests.some((r) => requestText(r.body).includes('"yes"'))).toBe(false);
    const audit = await g.auditLines();
    const calls = audit.filter((l) => l.kind === 'tool' && l.tool === 'exec');
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call).toMatchObject({ decision: `approved:telegram:${OWNER}`, exitCode: 0, agentId: 'main', command: COMMAND, isError: false });
      expect(call.sessionKey).toBe(`agent:main:telegram:group:${GROUP}:topic:${TOPIC}`);
      expect(call.argsDigest).toMatch(/^[0-9a-f]{16}$/);
      expect(typeof call.runId).toBe('string');
      expect(typeof call.durationMs).toBe('number');
      expect(call.resultChars).toBeGreaterThan(0);
      expect(JSON.stringify(call)).not.toContain('sandbox'); // the output is not audited
    }
    expect(audit.filter((l) => l.kind === 'approval' && l.event === 'requested')).toHaveLength(1);
    expect(audit.some((l) => l.kind === 'approval' && l.event === 'decided' && l.by === `telegram:${OWNER}` && l.status === 'allow-once')).toBe(true);
  });

  it('"no" denies: the model is told, nothing ran, the topic hears it', async () => {
    g = await startTelegramGateway();
    await execRun(g, COMMAND, 'Understood, I will not.');
    const prompt = await g.sent(isPrompt);
    const id = approvalId(prompt);
    g.dm(OWNER, 'no', prompt.messageId);

    await g.sent((m) => inTopic(m) && m.text === 'Understood, I will not.');
    const results = toolResults(g.model.requests[1].body);
    expect(results).toHaveLength(1);
    expect(results[0]).toContain(`denied this command`);
    expect(results[0]).not.toContain('exit code');
    expect(existsSync(join(g.workspace(), 'out.txt'))).toBe(false);
    await g.sent((m) => inTopic(m) && m.text.includes(`Approval ${id}`) && m.text.includes(`denied by telegram:${OWNER}`));

    await g.h.gw.gateway.lanes.idle();
    const call = (await g.auditLines()).find((l) => l.kind === 'tool' && l.tool === 'exec')!;
    expect(call).toMatchObject({ decision: `denied:telegram:${OWNER}`, isError: true, command: COMMAND });
    expect(call.exitCode).toBeUndefined();
  });

  it('no answer in time counts as deny (fake clock)', async () => {
    const clock = new FakeClock(Date.now());
    g = await startTelegramGateway({ clock, config: { tools: { exec: { approvalTimeoutSeconds: 30 } } } });
    await execRun(g, COMMAND, 'It expired.');
    const prompt = await g.sent(isPrompt);
    expect(prompt.text).toContain('No answer within 30 s counts as no.');
    const id = approvalId(prompt);
    await g.sent((m) => inTopic(m) && m.text.includes('Waiting for the owner'));

    await clock.advance(29_000);
    expect(g.model.requests).toHaveLength(1);
    await clock.advance(1_000);

    await g.sent((m) => inTopic(m) && m.text === 'It expired.');
    expect(toolResults(g.model.requests[1].body)[0]).toContain('was not answered in time');
    expect(existsSync(join(g.workspace(), 'out.txt'))).toBe(false);
    await g.sent((m) => inTopic(m) && m.text.includes(`Approval ${id}`) && m.text.includes('expired'));

    // A late "yes" changes nothing: it is answered with the settled state.
    g.dm(OWNER, 'yes', prompt.messageId);
    const late = await g.sent((m) => m.chatId === OWNER && m.text.includes('already settled'));
    expect(late.text).toContain(id);
    await g.h.gw.gateway.lanes.idle();
    expect(g.model.requests).toHaveLength(2);
    expect(existsSync(join(g.workspace(), 'out.txt'))).toBe(false);
    const call = (await g.auditLines()).find((l) => l.kind === 'tool' && l.tool === 'exec')!;
    expect(call.decision).toBe('expired');
  });

  withSandbox("a non-owner's reply never resolves an approval; the owner's /approve in the topic does", async () => {
    g = await startTelegramGateway();
    g.model.setDefault(() => ({ text: 'ok' }));
    await execRun(g, COMMAND, 'Ran it.');
    const prompt = await g.sent(isPrompt);
    const id = approvalId(prompt);
    const waiting = await g.sent((m) => inTopic(m) && m.text.includes('Waiting for the owner'));

    // A member replies "yes" to the notice in the topic; a stranger replies "yes" quoting the prompt's id.
    g.inTopic(MEMBER, TOPIC, 'yes', waiting.messageId);
    g.dm(STRANGER, 'yes', prompt.messageId);
    await g.sent((m) => m.chatId === STRANGER && m.text.includes('pairing code')); // handled as an unknown DM sender
    g.dm(OWNER, '/approvals');
    const pending = await g.sent((m) => m.chatId === OWNER && m.text.startsWith('Waiting approvals'));
    expect(pending.text).toContain(id);
    expect(g.model.requests).toHaveLength(1);
    expect(existsSync(join(g.workspace(), 'out.txt'))).toBe(false);

    g.inTopic(OWNER, TOPIC, `/approve ${id} allow-once`);
    await g.sent((m) => inTopic(m) && m.text === 'Ran it.');
    expect(toolResults(g.model.requests[1].body)[0]).toContain('exit code 0');
    expect(await readFile(join(g.workspace(), 'out.txt'), 'utf8')).toBe('hi\n');
    await g.h.gw.gateway.lanes.idle();
    const audit = await g.auditLines();
    expect(audit.find((l) => l.kind === 'tool' && l.tool === 'exec')!.decision).toBe(`approved:telegram:${OWNER}`);
    expect(audit.filter((l) => l.kind === 'approval' && l.event === 'decided')).toHaveLength(1);
  });

  withSandbox('allow-always: the second run with the same command needs no approval', async () => {
    g = await startTelegramGateway();
    await execRun(g, COMMAND, 'first');
    const prompt = await g.sent(isPrompt);
    g.dm(OWNER, 'always', prompt.messageId);
    await g.sent((m) => inTopic(m) && m.text === 'first');
    await g.sent((m) => inTopic(m) && m.text.includes('approved always'));
    await g.h.gw.gateway.lanes.idle();

    await execRun(g, COMMAND, 'second');
    await g.sent((m) => inTopic(m) && m.text === 'second');
    expect(g.tg.sent.filter(isPrompt)).toHaveLength(1);
    expect(toolResults(g.model.requests[3].body)[0]).toContain('exit code 0');

    // Stored as the agent's allowlist (state.json), listed by the owner's /allowlist.
    g.dm(OWNER, '/allowlist list');
    const list = await g.sent((m) => m.chatId === OWNER && m.text.startsWith('Exec allowlist of agent main'));
    expect(list.text).toContain('echo hi');
    await g.h.gw.gateway.lanes.idle();
    const calls = (await g.auditLines()).filter((l) => l.kind === 'tool' && l.tool === 'exec');
    expect(calls.map((c) => c.decision)).toEqual([`approved:telegram:${OWNER}`, 'allowlisted']);
    await until(async () => (await readFile(join(g!.h.home, 'state.json'), 'utf8')).includes('"execAllowlist"'), 'state.json');
    const state = JSON.parse(await readFile(join(g.h.home, 'state.json'), 'utf8')) as { execAllowlist: Record<string, string[]> };
    expect(state.execAllowlist.main).toHaveLength(1);
  });

  it('a path escape is refused and the model sees why; the audit holds no file contents', async () => {
    g = await startTelegramGateway();
    // A symlink inside the workspace that points out of it.
    await mkdir(g.workspace(), { recursive: true });
    await symlink('/etc', join(g.workspace(), 'etc-link'));
    g.model.script(
      MODEL_KEY,
      {
        toolCalls: [
          { id: 'call_up', name: 'read', args: { path: '../../etc/passwd' } },
          { id: 'call_link', name: 'read', args: { path: 'etc-link/passwd' } },
          { id: 'call_write', name: 'write', args: { path: 'notes.txt', content: 'TOP-SECRET-PAYLOAD-42' } },
        ],
      },
      { text: 'I cannot read that.' },
    );
    g.inTopic(MEMBER, TOPIC, 'show me /etc/passwd');
    await g.sent((m) => inTopic(m) && m.text === 'I cannot read that.');

    const results = toolResults(g.model.requests[1].body);
    const up = results.find((r) => r.startsWith('call_up'))!;
    const link = results.find((r) => r.startsWith('call_link'))!;
    expect(up).toContain('outside the workspace');
    expect(link).toContain('symbolic link');
    expect(results.join('\n')).not.toContain('root:x:0:0');
    expect(await readFile(join(g.workspace(), 'notes.txt'), 'utf8')).toBe('TOP-SECRET-PAYLOAD-42');
    expect(g.tg.sent.filter(isPrompt)).toHaveLength(0); // file tools need no approval

    await g.h.gw.gateway.lanes.idle();
    const audit = await g.auditLines();
    const reads = audit.filter((l) => l.kind === 'tool' && l.tool === 'read');
    expect(reads).toHaveLength(2);
    for (const r of reads) expect(r).toMatchObject({ isError: true, decision: 'policy' });
    expect(audit.find((l) => l.kind === 'tool' && l.tool === 'write')).toMatchObject({ isError: false });
    const raw = JSON.stringify(audit);
    expect(raw).not.toContain('TOP-SECRET-PAYLOAD-42');
    expect(raw).not.toContain('root:x:0:0');
  });

  withSandbox('a sandboxed command cannot reach a server on 127.0.0.1 of the host', async () => {
    let connections = 0;
    const server = createServer((sock) => {
      connections++;
      sock.end('HELLO-FROM-HOST\n');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const probe = `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && echo CONNECTED && cat <&3' || echo UNREACHABLE`;

    // The probe does reach the server from the host: the test would notice if it could not.
    const host = await promisify(execFile)('/bin/sh', ['-c', probe]);
    expect(host.stdout).toContain('HELLO-FROM-HOST');
    expect(connections).toBe(1);

    g = await startTelegramGateway({ config: { tools: { exec: { security: 'full', ask: 'off' } } } });
    await execRun(g, probe, 'could not connect');
    await g.sent((m) => inTopic(m) && m.text === 'could not connect');
    const result = toolResults(g.model.requests[1].body)[0];
    expect(result).toContain('UNREACHABLE');
    expect(result).not.toContain('CONNECTED');
    expect(result).not.toContain('HELLO-FROM-HOST');
    expect(connections).toBe(1);
    expect(g.tg.sent.filter(isPrompt)).toHaveLength(0); // security full + ask off: no approval
  });

  it('/stop while an approval waits cancels it: the topic is told, nothing runs, a late "yes" changes nothing', async () => {
    g = await startTelegramGateway();
    await execRun(g, COMMAND, 'never delivered');
    const prompt = await g.sent(isPrompt);
    const id = approvalId(prompt);
    g.inTopic(MEMBER, TOPIC, '/stop');
    await g.sent((m) => inTopic(m) && m.text.includes(`Approval ${id}`) && m.text.includes('cancelled: the run was stopped'));
    await g.h.gw.gateway.lanes.idle();
    g.dm(OWNER, 'yes', prompt.messageId);
    await g.sent((m) => m.chatId === OWNER && m.text.includes('already settled'));
    expect(g.model.requests).toHaveLength(1);
    expect(g.tg.sent.some((m) => m.text === 'never delivered')).toBe(false);
    expect(existsSync(join(g.workspace(), 'out.txt'))).toBe(false);
  });

  it('after a crash, a waiting approval is announced as expired in its topic and cannot be answered any more', async () => {
    g = await startTelegramGateway();
    await execRun(g, COMMAND);
    const prompt = await g.sent(isPrompt);
    const id = approvalId(prompt);
    // What a crash leaves behind: the state file as written while the approval was pending.
    const ref = `telegram:default:${OWNER}:${prompt.messageId}`;
    await until(async () => (await readFile(join(g!.h.home, 'state.json'), 'utf8').catch(() => '')).includes(ref), 'the prompt ref on disk');
    const home = await tempHome();
    const state = JSON.parse(await readFile(join(g.h.home, 'state.json'), 'utf8')) as Json;
    // The new fake Bot API numbers its updates from the start again; a real one never does.
    delete state.channelOffsets;
    await writeFile(join(home, 'state.json'), JSON.stringify(state));
    await g.stop();
    g = undefined;

    other = await startTelegramGateway({ home });
    const notice = await other.sent(inTopic);
    expect(notice.text).toContain(`Approval ${id}`);
    expect(notice.text).toContain('the gateway restarted');
    other.dm(OWNER, 'yes', prompt.messageId);
    const late = await other.sent((m) => m.chatId === OWNER);
    expect(late.text).toContain('already settled');
    expect(other.model.requests).toHaveLength(0);
  });

  it("a chat's own tool policy only restricts further: exec hidden in the group, still offered in the owner's DM", async () => {
    g = await startTelegramGateway({ config: { channels: { telegram: { groups: { [String(GROUP)]: { tools: { deny: ['group:runtime'] } } } } } } });
    g.model.setDefault(() => ({ text: 'ok' }));
    g.inTopic(MEMBER, TOPIC, 'what can you do?');
    await g.sent((m) => inTopic(m) && m.text === 'ok');
    g.dm(OWNER, 'and here?');
    await g.sent((m) => m.chatId === OWNER && m.text === 'ok');
    const [group, dm] = g.model.requests.map((r) => toolNames(r.body));
    expect(group).not.toContain('exec');
    expect(group).toContain('read');
    expect(dm).toContain('exec');
  });

  withSandbox("sandbox mode non-main: the owner's own DM runs on the host, a group topic stays in the sandbox", async () => {
    g = await startTelegramGateway({ config: { agents: { defaults: { sandbox: { mode: 'non-main' } } }, tools: { exec: { security: 'full', ask: 'off' } } } });
    const probe = 'cat /proc/sys/kernel/hostname';
    g.model.script(MODEL_KEY, { toolCalls: [{ id: 'call_dm', name: 'exec', args: { command: probe } }] }, { text: 'dm done' });
    g.dm(OWNER, 'where am I?');
    await g.sent((m) => m.chatId === OWNER && m.text === 'dm done');
    await execRun(g, probe, 'topic done');
    await g.sent((m) => inTopic(m) && m.text === 'topic done');
    const dmResult = toolResults(g.model.requests[1].body)[0];
    const topicResult = toolResults(g.model.requests[3].body)[0];
    const hostName = (await readFile('/proc/sys/kernel/hostname', 'utf8')).trim();
    expect(hostName).not.toBe('sandbox'); // else this test could not tell the two apart
    expect(dmResult).toContain(JSON.stringify(`${hostName}\n[exit code 0]`).slice(1, -1));
    expect(topicResult).toContain(JSON.stringify('sandbox\n[exit code 0]').slice(1, -1));
  });

  it('deny beats allow: exec is not even offered, and a call to it anyway is refused by policy', async () => {
    g = await startTelegramGateway({ config: { tools: { allow: ['exec', 'time'], deny: ['exec'] } } });
    g.model.script(MODEL_KEY, { toolCalls: [{ id: 'call_exec', name: 'exec', args: { command: COMMAND } }] }, { text: 'not allowed' });
    g.inTopic(MEMBER, TOPIC, 'run something');
    await g.sent((m) => inTopic(m) && m.text === 'not allowed');
    const offered = toolNames(g.model.requests[0].body);
    expect(offered).toEqual(['time']); // the allow list admits exec and time; deny removes exec
    expect(toolResults(g.model.requests[1].body)[0]).toContain('denied by tools.deny');
    expect(g.tg.sent.filter(isPrompt)).toHaveLength(0);
    expect(existsSync(join(g.workspace(), 'out.txt'))).toBe(false);
    await g.h.gw.gateway.lanes.idle();
    expect((await g.auditLines()).find((l) => l.kind === 'tool' && l.tool === 'exec')).toMatchObject({ decision: 'denied:policy', isError: true });
  });
});
