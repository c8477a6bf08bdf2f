// The tool runner end to end over real parts: builtin tools, policy from config, approvals over the real state
// store, bubblewrap, and the real audit log (audit/<date>.jsonl) in a temporary home.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../storage/audit-log.js';
import { openStateStore } from '../../storage/state-store.js';
import { configSchemaFor, type Config, type ConfigInput } from '../../runtime/config/schema.js';
import { channelSettings } from '../../runtime/channel-settings.js';
import { CHANNEL_MODULES } from '../../bots/registry.js';
import { createApprovals, promptRef, type ApprovalNotifier, type Approvals } from '../../runtime/tools/approvals.js';
import { builtinTools } from '../../runtime/tools/builtin.js';
import { chatLayers } from '../../runtime/tools/policy.js';
import { createToolRunner, type ToolRunEvent, type ToolRunner } from '../../runtime/tools/runner.js';
import type { ToolContext } from '../../runtime/tools/types.js';
import type { AuditRecord, GatewayState, JsonDoc } from '../../runtime/types/storage.js';
import { FakeClock, flushMicrotasks } from '../fakes/fake-clock.js';

const hasBwrap = existsSync('/usr/bin/bwrap') || existsSync('/bin/bwrap');
const OWNER = 'telegram:100';
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

class FakeNotifier implements ApprovalNotifier {
  dms: { owner: string; text: string; messageId: string }[] = [];
  origin: string[] = [];
  private dm(owner: string, text: string): string {
    const messageId = String(this.dms.length + 1);
    this.dms.push({ owner, text, messageId });
    return promptRef('telegram', 'default', owner.split(':')[1], messageId);
  }
  async tellApprovers(text: string) {
    return [this.dm(OWNER, text)];
  }
  async tellApprover(who: string, text: string) {
    this.dm(who, text);
  }
  async notifyOrigin(_o: unknown, text: string) {
    this.origin.push(text);
  }
}

let home: string;
let ws: string;
let clock: FakeClock;
let notifier: FakeNotifier;
let state: JsonDoc<GatewayState>;
let approvals: Approvals;
let runner: ToolRunner;
let config: Config;

async function setup(input: ConfigInput = {}) {
  config = configSchemaFor(CHANNEL_MODULES).parse({ commands: { ownerAllowFrom: [OWNER] }, ...input });
  approvals = createApprovals({ config: () => config, state, notifier, clock, logger: quiet });
  runner = createToolRunner({
    tools: builtinTools({ config: () => config, clock }),
    config: () => config,
    approvals,
    audit: createAuditLog(home, clock),
    clock,
    logger: quiet,
  });
}

const ctx = (over: Partial<ToolContext> = {}): ToolContext => ({
  runId: 'run-1',
  sessionKey: 'agent:main:telegram:group:-1001:topic:7',
  agentId: 'main',
  workspace: ws,
  origin: { channel: 'telegram', accountId: 'default', chat: { kind: 'group', id: '-1001', threadId: '7' }, senderId: '100' },
  isOwnerMain: false,
  signal: new AbortController().signal,
  ...over,
});

async function auditLines(): Promise<{ raw: string; recs: AuditRecord[] }> {
  const dir = path.join(home, 'audit');
  const files = existsSync(dir) ? await readdir(dir) : [];
  const raw = (await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')))).join('');
  return {
    raw,
    recs: raw.trim()
      ? raw
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as AuditRecord)
      : [],
  };
}

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'sy-runner-'));
  ws = path.join(home, 'workspace');
  await mkdir(ws);
  clock = new FakeClock();
  notifier = new FakeNotifier();
  state = await openStateStore(home, () => {});
  await setup();
});
afterEach(async () => {
  approvals.dispose();
  await approvals.drain();
  await state.flush();
  await rm(home, { recursive: true, force: true });
});

describe('visibleTools', () => {
  it('shows the model only the tools it may call in this agent and chat', async () => {
    await setup({
      tools: { deny: ['web_fetch'] },
      channels: { telegram: { botToken: '1:x', groups: { '-1001': { topics: { '7': { tools: { allow: ['group:fs', 'exec'] } } } } } } },
    });
    const c = ctx();
    const topic = chatLayers(channelSettings(CHANNEL_MODULES, () => config).chat('telegram', c.origin.chat, 'default'), 'telegram');
    expect(runner.visibleTools(c, topic).map((t) => t.name)).toEqual(['read', 'write', 'edit', 'list', 'exec']);
    expect(runner.visibleTools(c, []).map((t) => t.name)).toEqual(['read', 'write', 'edit', 'list', 'exec', 'time']);
  });
});

describe('execute', () => {
  it('unknown and policy-denied tools give error results and a denied event, and are audited', async () => {
    await setup({ tools: { deny: ['write'] } });
    const events: ToolRunEvent[] = [];
    const unknown = await runner.execute({ id: 'c1', name: 'format_disk', args: {} }, ctx(), [], (e) => events.push(e));
    expect(unknown).toMatchObject({
      callId: 'c1',
      name: 'format_disk',
      isError: true,
      content: expect.stringMatching(/^unknown tool "format_disk"; available tools: read, /),
    });
    const denied = await runner.execute({ id: 'c2', name: 'write', args: { path: 'x.txt', content: 'hi' } }, ctx(), [], (e) => events.push(e));
    expect(denied).toMatchObject({ isError: true, content: 'tool not allowed here: "write" is denied by tools.deny ("write")' });
    expect(existsSync(path.join(ws, 'x.txt'))).toBe(false);
    expect(events).toEqual([
      { phase: 'denied', tool: 'format_disk', callId: 'c1', reason: 'unknown tool "format_disk"' },
      { phase: 'denied', tool: 'write', callId: 'c2', reason: '"write" is denied by tools.deny ("write")' },
    ]);
    const { recs } = await auditLines();
    expect(recs.map((r) => r.decision)).toEqual(['denied:unknown-tool', 'denied:policy']);
  });

  it('file tools run under policy; the audit line has a digest, never the file contents', async () => {
    const events: ToolRunEvent[] = [];
    const args = { path: 'notes.md', content: 'SECRET-CONTENT-4242' };
    const res = await runner.execute({ id: 'w1', name: 'write', args }, ctx(), [], (e) => events.push(e));
    expect(res).toEqual({ callId: 'w1', name: 'write', content: 'wrote 19 bytes to notes.md' });
    const read = await runner.execute({ id: 'r1', name: 'read', args: { path: 'notes.md' } }, ctx(), []);
    expect(read.content).toBe('SECRET-CONTENT-4242');
    const escape = await runner.execute({ id: 'r2', name: 'read', args: { path: '../state.json' } }, ctx(), []);
    expect(escape).toMatchObject({ isError: true, content: expect.stringMatching(/outside the workspace/) });
    const bad = await runner.execute({ id: 'r3', name: 'read', args: {} }, ctx(), []);
    expect(bad).toMatchObject({ isError: true, content: 'argument "path" is required and must be a string' });

    expect(events.map((e) => e.phase)).toEqual(['start', 'end']);
    const { raw, recs } = await auditLines();
    expect(raw).not.toContain('SECRET-CONTENT-4242');
    expect(recs[0]).toEqual({
      ts: clock.now(),
      kind: 'tool',
      runId: 'run-1',
      sessionKey: 'agent:main:telegram:group:-1001:topic:7',
      agentId: 'main',
      tool: 'write',
      callId: 'w1',
      argsDigest: expect.stringMatching(/^[0-9a-f]{16}$/),
      decision: 'policy',
      isError: false,
      durationMs: 0,
      resultChars: 'wrote 19 bytes to notes.md'.length,
    });
    expect(recs.map((r) => [r.tool, r.isError])).toEqual([
      ['write', false],
      ['read', false],
      ['read', true],
      ['read', true],
    ]);
    // Same arguments, same digest (key order does not matter).
    const again = await runner.execute({ id: 'w2', name: 'write', args: { content: args.content, path: args.path } }, ctx(), []);
    expect(again.isError).toBeUndefined();
    expect((await auditLines()).recs.at(-1)!.argsDigest).toBe(recs[0].argsDigest);
  });

  it.skipIf(!hasBwrap)('exec waits for the owner, runs sandboxed after "yes", and audits who approved it', async () => {
    const events: ToolRunEvent[] = [];
    const p = runner.execute({ id: 'x1', name: 'exec', args: { command: 'echo approved > proof.txt && cat proof.txt' } }, ctx(), [], (e) => events.push(e));
    await flushMicrotasks();
    expect(events.map((e) => e.phase)).toEqual(['start', 'approval-wait']);
    const wait = events[1] as Extract<ToolRunEvent, { phase: 'approval-wait' }>;
    expect(notifier.dms[0].text).toContain('echo approved > proof.txt && cat proof.txt');
    expect(notifier.dms[0].text).toContain(wait.approvalId);
    expect(existsSync(path.join(ws, 'proof.txt'))).toBe(false);

    expect(approvals.handleReply({ channel: 'telegram', accountId: 'default', senderId: '100', chatId: '100', replyToMessageId: '1', text: 'yes' })).toBe(true);
    const res = await p;
    expect(res).toEqual({ callId: 'x1', name: 'exec', content: 'approved\n[exit code 0]' });
    expect(events.map((e) => e.phase)).toEqual(['start', 'approval-wait', 'end']);
    expect(events[2]).toMatchObject({ isError: false, exitCode: 0, resultChars: res.content.length });
    expect(await readFile(path.join(ws, 'proof.txt'), 'utf8')).toBe('approved\n');

    const { recs } = await auditLines();
    expect(recs.at(-1)).toMatchObject({
      kind: 'tool',
      tool: 'exec',
      command: 'echo approved > proof.txt && cat proof.txt',
      decision: `approved:${OWNER}`,
      exitCode: 0,
      resultChars: res.content.length,
    });

    // The same command again in this run: no second prompt.
    const dms = notifier.dms.length;
    const again = await runner.execute({ id: 'x2', name: 'exec', args: { command: 'echo approved > proof.txt && cat proof.txt' } }, ctx(), []);
    expect(again.content).toBe('approved\n[exit code 0]');
    expect(notifier.dms.length).toBe(dms);
  });

  it('exec denied by the owner does not run; expiry on the clock does not run', async () => {
    const events: ToolRunEvent[] = [];
    const p = runner.execute({ id: 'x1', name: 'exec', args: { command: 'touch denied.txt' } }, ctx(), [], (e) => events.push(e));
    await flushMicrotasks();
    expect(approvals.handleReply({ channel: 'telegram', accountId: 'default', senderId: '100', chatId: '100', replyToMessageId: '1', text: 'no' })).toBe(true);
    const res = await p;
    expect(res).toMatchObject({ isError: true, content: expect.stringMatching(/denied this command/) });
    expect(events.at(-1)).toMatchObject({ phase: 'denied' });
    expect(existsSync(path.join(ws, 'denied.txt'))).toBe(false);

    const q = runner.execute({ id: 'x2', name: 'exec', args: { command: 'touch expired.txt' } }, ctx({ runId: 'run-2' }), []);
    await flushMicrotasks();
    await clock.advance(1800 * 1000);
    expect(await q).toMatchObject({ isError: true, content: expect.stringMatching(/not answered in time/) });
    expect(existsSync(path.join(ws, 'expired.txt'))).toBe(false);

    const { recs } = await auditLines();
    expect(recs.map((r) => [r.tool, r.command, r.decision])).toEqual([
      ['exec', 'touch denied.txt', `denied:${OWNER}`],
      ['exec', 'touch expired.txt', 'expired'],
    ]);
  });

  it('big exec output: the model sees its head, its tail and the exit code, and no broken characters', async () => {
    await setup({ tools: { exec: { security: 'full', ask: 'off' } }, agents: { defaults: { sandbox: { mode: hasBwrap ? 'all' : 'off' } } } });
    // ~760 KB: over both the sandbox's byte cap (200,000) and the runner's character cap (100,000).
    const command = 'i=0; while [ $i -lt 40000 ]; do echo "line $i ééé"; i=$((i+1)); done; echo "the error at the end" >&2; exit 3';
    const res = await runner.execute({ id: 'big', name: 'exec', args: { command } }, ctx(), []);
    expect(res.isError).toBe(true);
    expect(res.content.startsWith('line 0 ééé\nline 1 ééé\n')).toBe(true);
    expect(res.content).toMatch(/line 39999 ééé\nthe error at the end\n\[exit code 3\]$/);
    expect(res.content).toMatch(/\[output cut: \d+ characters not shown\]/);
    expect(res.content.length).toBeLessThanOrEqual(100_000);
    expect(res.content).not.toContain('\ufffd');
  });

  it('time answers from the injected clock', async () => {
    const res = await runner.execute({ id: 't1', name: 'time', args: {} }, ctx(), []);
    expect(res.content).toContain('UTC: 2026-01-01T00:00:00.000Z');
  });

  it('exec with invalid arguments is refused before any approval', async () => {
    const res = await runner.execute({ id: 'x1', name: 'exec', args: { command: '   ' } }, ctx(), []);
    expect(res).toMatchObject({ isError: true, content: 'invalid arguments for exec; see its parameter schema' });
    expect(notifier.dms).toEqual([]);
  });

  it.skipIf(!hasBwrap)('an allowlisted exec runs without asking (decision allowlisted)', async () => {
    await setup({ tools: { exec: { allowlist: ['echo *'] } } });
    const res = await runner.execute({ id: 'x1', name: 'exec', args: { command: 'echo hi' } }, ctx(), []);
    expect(res.content).toBe('hi\n[exit code 0]');
    expect(notifier.dms).toEqual([]);
    expect((await auditLines()).recs.at(-1)).toMatchObject({ decision: 'allowlisted', command: 'echo hi', exitCode: 0 });
  });
});
