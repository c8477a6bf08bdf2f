// What Telegram (or a proxy, or a local Bot API server) may throw at the adapter: random and truncated update
// shapes for the decoder, and odd Bot API answers — bodies that are not the documented shape — for the real grammY
// client driving our poller and sender. Nothing may throw out of the decoder, and no odd answer may stop polling.
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeUpdate } from '../../bots/telegram/inbound.js';
import { createTelegramChannels, type TelegramChannel } from '../../bots/telegram/index.js';
import type { Clock } from '../../runtime/types/clock.js';
import type { Inbound } from '../../runtime/types/channel.js';
import { memoryLogger } from '../fakes/gateway-harness.js';

const FIXTURES = new URL('../fixtures/telegram/', import.meta.url);
const fixtures: unknown[] = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(new URL(f, FIXTURES), 'utf8')) as unknown);
const me = { id: 7123456789, username: 'switchyard_bot' };

/** A small seeded PRNG (LCG): the fuzz cases are the same on every run, so a failure can be reproduced. */
function prng(seed: number) {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return { next, pick: <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)] };
}

const JUNK: (() => unknown)[] = [
  () => null,
  () => 0,
  () => -1,
  () => 1.5,
  () => 1e308,
  () => '',
  () => 'x'.repeat(5000),
  () => [],
  () => [null, 1, 'a'],
  () => ({}),
  () => true,
  () => ({ id: 'not a number' }),
  () => [{ type: 'bot_command', offset: 99999, length: 5 }],
  () => [{ type: 'mention', offset: -3, length: 1e9 }],
  () => [{ type: 'text_mention', offset: 0, length: 2, user: null }],
  () => '\u0000\ud800\u200b',
  () => JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
];
const FIELDS = [
  'text',
  'caption',
  'entities',
  'caption_entities',
  'photo',
  'message_thread_id',
  'is_topic_message',
  'reply_to_message',
  'sender_chat',
  'from',
  'chat',
  'is_forum',
  'document',
  'sticker',
  'audio',
  'voice',
  'date',
];

function mutate(v: unknown, r: ReturnType<typeof prng>): unknown {
  if (Array.isArray(v)) {
    const a = v.map((x) => mutate(x, r));
    if (r.next() < 0.2) a.push(r.pick(JUNK)());
    if (r.next() < 0.2) a.splice(0, 1);
    return a;
  }
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const roll = r.next();
      if (roll < 0.08) continue; // drop the field
      o[k] = roll < 0.2 ? r.pick(JUNK)() : mutate(x, r);
    }
    if (r.next() < 0.15) o[r.pick(FIELDS)] = r.pick(JUNK)();
    return o;
  }
  if (typeof v === 'string' && r.next() < 0.2) return v.slice(0, Math.floor(r.next() * v.length));
  return v;
}

describe('decodeUpdate under fuzzing', () => {
  it('never throws on 30,000 mutated and truncated fixtures, and what it decodes is well-formed', () => {
    const r = prng(20260101);
    let decoded = 0;
    for (let i = 0; i < 30_000; i++) {
      let json = JSON.stringify(mutate(r.pick(fixtures), r));
      if (r.next() < 0.05) json = json.slice(0, Math.floor(r.next() * json.length)); // truncated
      let update: unknown;
      try {
        update = JSON.parse(json);
      } catch {
        continue; // a truncation that is not JSON any more never reaches the decoder (grammY parses first)
      }
      let m: Inbound | null;
      try {
        m = decodeUpdate(update, me, 'default', 1);
      } catch (err) {
        throw new Error(`decodeUpdate threw ${String(err)} on ${json.slice(0, 2000)}`);
      }
      if (!m) continue;
      decoded++;
      expect(typeof m.text).toBe('string');
      expect(m.chat.id).toMatch(/^-?[\d.e+]+$/);
      expect(m.sender.id).toMatch(/^-?[\d.e+]+$/);
      expect(['direct', 'group']).toContain(m.chat.kind);
      expect(typeof m.mentionsBot).toBe('boolean');
      if (m.replyToId !== undefined) expect(m.replyToId).not.toBe('undefined');
    }
    expect(decoded).toBeGreaterThan(1000); // the mutations still leave plenty of decodable messages
  });

  it('handles huge texts, entity offsets past the end, and unknown update types', () => {
    const big = 'a'.repeat(1_000_000);
    const base = { update_id: 1, message: { message_id: 2, date: 1, chat: { id: 5, type: 'private' }, from: { id: 5, is_bot: false, first_name: 'A' } } };
    const huge = decodeUpdate({ ...base, message: { ...base.message, text: big, entities: [{ type: 'bot_command', offset: 999_999_999, length: 3 }] } }, me, 'd');
    expect(huge?.text).toHaveLength(1_000_000);
    const past = decodeUpdate(
      {
        ...base,
        message: {
          ...base.message,
          text: '/x@switchyard_bot',
          entities: [
            { type: 'bot_command', offset: 0, length: 4096 },
            { type: 'mention', offset: 50, length: 9 },
          ],
        },
      },
      me,
      'd',
    );
    expect(past).toMatchObject({ text: '/x', mentionsBot: true });
    for (const type of ['edited_message', 'channel_post', 'callback_query', 'my_chat_member', 'message_reaction', 'poll', 'business_message', 'some_future_update']) {
      expect(decodeUpdate({ update_id: 3, [type]: base.message }, me, 'd')).toBeNull();
    }
  });
});

// ---- odd Bot API answers through the real grammY client ----

const TOKEN = '4242:ODD-BODIES';

/** A Bot API that answers each method from a script of raw bodies (then a sane default). */
async function oddBotApi() {
  const script = new Map<string, string[]>();
  const sent: { chat_id: unknown; text: unknown }[] = [];
  let nextUpdate: Record<string, unknown>[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').split('/').pop() ?? '';
      const params = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      const raw = script.get(method)?.shift();
      if (raw !== undefined) {
        res.writeHead(raw.startsWith('<') ? 502 : 200, { 'content-type': raw.startsWith('<') ? 'text/html' : 'application/json' });
        return res.end(raw);
      }
      const ok = (result: unknown) => res.end(JSON.stringify({ ok: true, result }));
      res.writeHead(200, { 'content-type': 'application/json' });
      if (method === 'getMe') return ok({ id: 4242, is_bot: true, first_name: 'Odd', username: 'odd_bot' });
      if (method === 'deleteWebhook') return ok(true);
      if (method === 'sendMessage') {
        sent.push({ chat_id: params.chat_id, text: params.text });
        return ok({ message_id: 900 + sent.length, date: 1, chat: { id: params.chat_id, type: 'private' } });
      }
      if (method === 'getUpdates') {
        const offset = typeof params.offset === 'number' ? params.offset : 0;
        const ready = nextUpdate.filter((u) => (u.update_id as number) >= offset);
        nextUpdate = ready;
        // A short wait instead of a long poll keeps the loop turning without a busy spin.
        return void setTimeout(() => ok(ready), ready.length ? 0 : 50);
      }
      ok(true);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    apiRoot: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    /** The next answers to `method`, in order, as raw HTTP bodies. */
    script: (method: string, ...bodies: string[]) => script.set(method, [...(script.get(method) ?? []), ...bodies]),
    push: (u: Record<string, unknown>) => nextUpdate.push(u),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const dmUpdate = (updateId: number, text: string) => {
  const cmd = /^\/\S+/.exec(text);
  const entities = cmd ? [{ type: 'bot_command', offset: 0, length: cmd[0].length }] : undefined;
  const from = { id: 77, is_bot: false, first_name: 'U' };
  return { update_id: updateId, message: { message_id: updateId, date: 1, chat: { id: 77, type: 'private' }, from, text, entities } };
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Records every wait the adapter asks for and cuts it to a few ms of real time (so a 1-day wait can be seen, not sat out). */
function shortClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => Date.now(),
    setTimeout: (fn, ms) => {
      waits.push(ms);
      return setTimeout(fn, Math.min(ms, 5));
    },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

async function start(api: Awaited<ReturnType<typeof oddBotApi>>, clock: Clock = shortClock()) {
  const log = memoryLogger();
  const offsets = new Map<string, number>();
  const [channel] = (await createTelegramChannels(
    { botToken: TOKEN, apiRoot: api.apiRoot, pollTimeoutSeconds: 1 },
    {
      log,
      clock,
      offsets: { get: (k) => offsets.get(k), set: (k, v) => void offsets.set(k, v) },
      retry: { initialBackoffMs: 5, maxBackoffMs: 20 },
    },
  )) as TelegramChannel[];
  const received: Inbound[] = [];
  await channel.start((m) => void received.push(m));
  cleanups.push(() => channel.stop());
  return { channel, received, log, offsets };
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('odd Bot API answers', () => {
  it('getUpdates answering ok:true without a list (or with junk in it) does not stop polling', async () => {
    const api = await oddBotApi();
    cleanups.push(api.close);
    api.script(
      'getUpdates',
      '{"ok":true,"result":{}}',
      '{"ok":true}',
      '{"ok":true,"result":null}',
      '{"ok":true,"result":"updates"}',
      'null',
      '[]',
      '{"ok":false}',
      '{"ok":false,"error_code":"500","description":7}',
      '<html><body>502 Bad Gateway</body></html>',
      '{"ok":true,"result":[null,5,"x",{"update_id":"7"},{"update_id":1.5},{"update_id":9}]}',
    );
    const t = await start(api);
    api.push(dmUpdate(10, 'still listening?'));
    await until(() => t.received.length > 0, 'the update after the odd answers');
    expect(t.received.map((m) => m.text)).toEqual(['still listening?']);
    expect(t.channel.state).toBe('polling');
    expect(t.offsets.get('telegram:default')).toBe(11);
    expect(t.log.lines.filter((l) => l.msg.includes('crashed'))).toEqual([]);
  });

  it('getMe answering without the bot id or username is retried, so mentions and /cmd@bot still work afterwards', async () => {
    const api = await oddBotApi();
    cleanups.push(api.close);
    api.script('getMe', '{"ok":true,"result":{}}', '{"ok":true,"result":{"id":"4242","username":5}}', '{"ok":true,"result":null}');
    const t = await start(api);
    await until(() => t.channel.me !== undefined, 'the bot identity');
    expect(t.channel.me).toEqual({ id: 4242, username: 'odd_bot' });
    api.push(dmUpdate(20, '/status@odd_bot'));
    await until(() => t.received.length > 0, 'the command');
    expect(t.received[0]).toMatchObject({ text: '/status', mentionsBot: true });
  });

  it('a 429 with an absurd retry_after waits a bounded time (no timer overflow into a busy loop, no zero wait)', async () => {
    const api = await oddBotApi();
    cleanups.push(api.close);
    const tooMany = (after: unknown) => JSON.stringify({ ok: false, error_code: 429, description: 'Too Many Requests', parameters: { retry_after: after } });
    api.script('getUpdates', tooMany(1e12), tooMany(1e308), tooMany(-5), tooMany(0));
    const clock = shortClock();
    const t = await start(api, clock);
    api.push(dmUpdate(30, 'after the storm'));
    await until(() => t.received.length > 0, 'the update after the 429s');
    // Node turns a timer beyond 2^31-1 ms into 1 ms: an unbounded retry_after became an immediate retry, forever.
    expect(clock.waits.slice(0, 4)).toEqual([86_400_000, 86_400_000, 1000, 1000]);
    expect(t.channel.state).toBe('polling');
  });
});
