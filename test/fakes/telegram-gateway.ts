// A whole gateway talking Telegram: the fake Bot API server and a fake Anthropic server on 127.0.0.1, the real
// grammY client and the real Anthropic SDK pointed at them. Shared by the Telegram end-to-end tests.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../runtime/clock.js';
import { startFakeAnthropic, type FakeModelServer } from './fake-anthropic.js';
import { FakeTelegram, type PushMessage, type SentMessage } from './fake-telegram.js';
import { startHarness, type Harness } from './gateway-harness.js';

export const TOKEN = '123456:TEST-TOKEN';
export const BOT_ID = 123456;
export const BOT_USERNAME = 'switchyard_test_bot';
export const OWNER = 111;
export const MEMBER = 333;
export const STRANGER = 222;
/** A forum supergroup (topics on). */
export const GROUP = -1001234567890;
export const MODEL_KEY = 'key-a';

export type Json = Record<string, unknown>;

/** Objects merge key by key; anything else (arrays included) replaces. */
export function merge(base: Json, extra: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const b = out[k];
    out[k] = isObj(b) && isObj(v) ? merge(b, v) : v;
  }
  return out;
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface TelegramGateway {
  tg: FakeTelegram;
  model: FakeModelServer;
  h: Harness;
  /** A message from a user in the forum group (requireMention off there), in a topic; `replyTo` a bot message. */
  inTopic(fromId: number, threadId: number, text: string, replyTo?: number): number;
  /** A DM from a user to the bot; `replyTo` answers one of the bot's messages. */
  dm(fromId: number, text: string, replyTo?: number): number;
  /** The first message the bot sent that matches (already sent or still to come). */
  sent(pred: (m: SentMessage) => boolean, timeoutMs?: number): Promise<SentMessage>;
  /** The bot's messages to a chat (and topic), in order. */
  sentTo(chatId: number, threadId?: number): SentMessage[];
  auditLines(): Promise<Json[]>;
  workspace(agentId?: string): string;
  stop(): Promise<void>;
}

export async function startTelegramGateway(opts: { config?: Json; clock?: Clock; home?: string } = {}): Promise<TelegramGateway> {
  const tg = await new FakeTelegram({ [TOKEN]: { username: BOT_USERNAME } }).start();
  const model = await startFakeAnthropic();
  const base: Json = {
    models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: model.url } } },
    agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
    commands: { ownerAllowFrom: [`telegram:${OWNER}`] },
    channels: {
      webchat: { enabled: false },
      telegram: {
        botToken: TOKEN,
        apiRoot: tg.apiRoot,
        pollTimeoutSeconds: 5,
        groups: { [String(GROUP)]: { requireMention: false } },
      },
    },
  };
  let h: Harness;
  try {
    h = await startHarness({ home: opts.home, config: merge(base, opts.config ?? {}), env: { ANTHROPIC_API_KEY: MODEL_KEY }, clock: opts.clock });
  } catch (err) {
    await tg.close();
    await model.close();
    throw err;
  }
  const home = h.home;
  return {
    tg,
    model,
    h,
    inTopic: (fromId, threadId, text, replyTo) => {
      const m: PushMessage = { chatId: GROUP, chatType: 'supergroup', isForum: true, title: 'Team', threadId, fromId, fromName: `U${fromId}`, text };
      if (replyTo !== undefined) m.replyTo = { messageId: replyTo, fromId: BOT_ID, isBot: true };
      return tg.pushMessage(m);
    },
    dm: (fromId, text, replyTo) => {
      const m: PushMessage = { chatId: fromId, chatType: 'private', fromId, fromName: `U${fromId}`, text };
      if (replyTo !== undefined) m.replyTo = { messageId: replyTo, fromId: BOT_ID, isBot: true };
      return tg.pushMessage(m);
    },
    sent: (pred, timeoutMs = 10_000) => tg.waitForSent(pred, timeoutMs),
    sentTo: (chatId, threadId) => tg.sent.filter((s) => s.chatId === chatId && (threadId === undefined || s.threadId === threadId)),
    async auditLines() {
      const day = new Date((opts.clock ?? { now: () => Date.now() }).now()).toISOString().slice(0, 10);
      const text = await readFile(join(home, 'audit', `${day}.jsonl`), 'utf8');
      return text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Json);
    },
    workspace: (agentId = 'main') => join(home, agentId === 'main' ? 'workspace' : `workspace-${agentId}`),
    async stop() {
      try {
        await h.stop();
      } finally {
        await tg.close();
        await model.close();
      }
    },
  };
}

/** Polls a condition on real time (for effects with no event to wait on); fails with `what`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The text of every message in a recorded model request (tool results included). */
export function requestText(body: Json): string {
  return JSON.stringify(body.messages);
}

export function toolNames(body: Json): string[] {
  return ((body.tools as { name: string }[] | undefined) ?? []).map((t) => t.name);
}
