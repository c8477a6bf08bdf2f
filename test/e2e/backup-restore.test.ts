// switchyard backup / restore: a backup taken while the gateway runs, restored into a new home, starts a gateway
// that has the same sessions and chat-made bindings and answers the message that was pending, once.
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backupCommand } from '../../runtime/cli/backup.js';
import { restoreCommand } from '../../runtime/cli/restore.js';
import type { CliIo } from '../../runtime/cli/types.js';
import { startHarness, type Harness } from '../fakes/gateway-harness.js';
import { startTelegramGateway, OWNER, MODEL_KEY, until, type TelegramGateway } from '../fakes/telegram-gateway.js';

function io(env: Record<string, string>): CliIo & { out: string; err: string } {
  const r = {
    out: '',
    err: '',
    env,
    isTTY: false,
    stdout: { write: (s: string) => (r.out += s) },
    stderr: { write: (s: string) => (r.err += s) },
  };
  return r;
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function tmp(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  cleanup.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

const lastUserText = (body: Record<string, unknown>): string => {
  const msgs = body.messages as { role: string; content: unknown }[];
  const last = [...msgs].reverse().find((m) => m.role === 'user');
  return JSON.stringify(last?.content ?? '');
};

describe('backup and restore', () => {
  it('round trip: restored on a new home, the gateway keeps sessions and bindings and answers the pending message once', async () => {
    const homeA = await tmp('sy-backup-a-');
    const homeB = join(await tmp('sy-backup-b-'), 'home');
    const dir = await tmp('sy-backup-out-');
    let release: (() => void) | undefined;
    const g: TelegramGateway = await startTelegramGateway({
      home: homeA,
      config: { agents: { list: [{ id: 'main', default: true }, { id: 'work' }] } },
    });
    cleanup.push(() => g.stop());
    g.model.setDefault((req) => {
      const text = lastUserText(req.body);
      if (text.includes('pending question')) return new Promise((r) => (release = () => r({ text: 'too late' })));
      return { text: `answer to ${text.includes('after restore') ? 'after restore' : 'hello'}` };
    });

    g.dm(OWNER, '/bind work chat');
    await g.sent((m) => m.chatId === OWNER && /Bound .* to agent work/.test(m.visibleText));
    g.dm(OWNER, 'hello');
    await g.sent((m) => m.chatId === OWNER && m.text === 'answer to hello');
    g.dm(OWNER, 'pending question');
    await until(() => release !== undefined, 'the model call of the pending question');

    const file = join(dir, 'b.tar.gz');
    const b = io({ SWITCHYARD_HOME: homeA });
    expect(await backupCommand.run([file], b)).toBe(0);
    expect(b.out).toContain('keep it private');
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    // The old gateway goes away without answering (a graceful stop leaves the message pending in its home).
    await g.h.stop({ keepHome: true });
    release?.();
    expect(g.sentTo(OWNER).some((m) => m.text === 'too late')).toBe(false);

    const r = io({ SWITCHYARD_HOME: homeB });
    expect(await restoreCommand.run([file], r)).toBe(0);
    expect(r.err).toBe('');
    // Secrets keep their modes.
    expect((await stat(join(homeB, 'gateway-token'))).mode & 0o777).toBe(0o600);

    const before = g.tg.sent.length;
    g.model.setDefault((req) => ({ text: lastUserText(req.body).includes('pending question') ? 'answer to pending' : 'answer to after restore' }));
    const h2: Harness = await startHarness({ home: homeB, env: { ANTHROPIC_API_KEY: MODEL_KEY } });
    cleanup.push(() => h2.stop({ keepHome: true }));
    await g.sent((m) => m.chatId === OWNER && m.text === 'answer to pending');

    // Bindings and the session: the owner's DM still goes to agent work, with its history.
    const requestsBefore = g.model.requests.length;
    g.dm(OWNER, 'after restore');
    await g.sent((m) => m.chatId === OWNER && m.text === 'answer to after restore');
    const req = g.model.requests.slice(requestsBefore).find((q) => lastUserText(q.body).includes('after restore'))!;
    expect(JSON.stringify(req.body.messages)).toContain('answer to hello');
    const sessions = JSON.parse(await readFile(join(homeB, 'agents/work/sessions/sessions.json'), 'utf8')) as Record<string, unknown>;
    expect(JSON.stringify(sessions)).toContain(`agent:work:telegram:direct:${OWNER}`);

    // Exactly once: one answer to the pending message, and nothing else was re-sent by the restored gateway.
    const after = g.tg.sent
      .slice(before)
      .filter((m) => m.chatId === OWNER)
      .map((m) => m.text);
    expect(after).toEqual(['answer to pending', 'answer to after restore']);
  }, 60_000);

  it('restore refuses a non-empty home and an archive that is not a backup', async () => {
    const home = await tmp('sy-restore-');
    await writeFile(join(home, 'state.json'), '{}');
    const src = await tmp('sy-restore-src-');
    await writeFile(join(src, 'switchyard.json'), '{}');
    const file = join(await tmp('sy-restore-out-'), 'b.tar.gz');
    expect(await backupCommand.run([file], io({ SWITCHYARD_HOME: src }))).toBe(0);

    const full = io({ SWITCHYARD_HOME: home });
    expect(await restoreCommand.run([file], full)).toBe(1);
    expect(full.err).toMatch(/is not empty.*restore only into an empty state directory/);
    expect(await readdir(home)).toEqual(['state.json']);

    const tarLib = await import('tar');
    const junk = join(src, 'junk.tar.gz');
    await tarLib.c({ gzip: true, cwd: src, file: junk }, ['switchyard.json']);
    const fresh = join(await tmp('sy-restore-new-'), 'h');
    const bad = io({ SWITCHYARD_HOME: fresh });
    expect(await restoreCommand.run([junk], bad)).toBe(1);
    expect(bad.err).toMatch(/not a Switchyard backup/);
    await expect(lstat(fresh)).rejects.toThrow();
  });

  it('backup copies a JSONL file being appended only up to its last complete line, and leaves out links and temp files', async () => {
    const home = await tmp('sy-backup-torn-');
    await mkdir(join(home, 'journal'));
    await writeFile(join(home, 'journal/inbound.jsonl'), '{"type":"accepted","id":"a"}\n{"type":"acc');
    await writeFile(join(home, 'journal/inbound.jsonl.tmp-123'), 'half a compaction');
    await writeFile(join(home, 'state.json'), '{}');
    await symlink('/etc/passwd', join(home, 'link'));
    const file = join(await tmp('sy-backup-torn-out-'), 'b.tar.gz');
    const b = io({ SWITCHYARD_HOME: home });
    expect(await backupCommand.run([file], b)).toBe(0);
    expect(b.out).toMatch(/left out 2/);
    const fresh = join(await tmp('sy-backup-torn-new-'), 'h');
    expect(await restoreCommand.run([file], io({ SWITCHYARD_HOME: fresh }))).toBe(0);
    expect(await readFile(join(fresh, 'journal/inbound.jsonl'), 'utf8')).toBe('{"type":"accepted","id":"a"}\n');
    expect((await readdir(fresh)).sort()).toEqual(['journal', 'state.json']);
  });
});
