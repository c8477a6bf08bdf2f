// The one outbound path (runtime/gateway/delivery.ts) over the real journal and audit log: a message of the
// gateway's own is chunked to the channel's limit without breaking code fences, journaled with where it goes,
// retried on the injected clock when the failure may pass (not when it cannot), and finished after a crash by the
// start-up recovery. The channel stands in for a platform that accepts or refuses sends.
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../storage/audit-log.js';
import { createInboundJournal } from '../../storage/journal.js';
import { createDelivery } from '../../runtime/gateway/delivery.js';
import { recoverJournal } from '../../runtime/gateway/recovery.js';
import { createLanes } from '../../runtime/lanes.js';
import type { QueuedMessage } from '../../runtime/gateway/queued.js';
import { ChannelSendError, type Channel, type ChatRef, type Outbound } from '../../runtime/types/channel.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { until } from '../fakes/telegram-gateway.js';
import { useTempHome } from '../fakes/temp-home.js';

const tmp = useTempHome('sy-delivery-');
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const CHAT: ChatRef = { kind: 'direct', id: '42' };

/** A platform that records what it was sent; `behave` decides each send (throw to refuse, or never resolve). */
function platform(maxText: number, behave: (o: Outbound, n: number) => Promise<void> | void = () => {}) {
  const sent: Outbound[] = [];
  let n = 0;
  const channel: Channel = {
    id: 'telegram',
    accountId: 'default',
    limits: { maxText },
    start: async () => {},
    stop: async () => {},
    async send(o) {
      await behave(o, ++n);
      sent.push(o);
      return { messageId: `m${sent.length}` };
    },
  };
  return { channel, sent, attempts: () => n };
}

function setup(clock = new FakeClock()) {
  const journal = createInboundJournal(tmp.home);
  const delivery = createDelivery({ journal, audit: createAuditLog(tmp.home, clock), log: quiet, clock });
  return { journal, delivery, clock };
}

describe('delivery.send', () => {
  it('chunks a long message to the channel limit, each chunk with balanced code fences, and journals it with its target', async () => {
    const { journal, delivery } = setup();
    const p = platform(1000);
    const text = `A command:\n\`\`\`sh\n${'echo step\n'.repeat(300)}\`\`\`\nEnd.`;
    const res = await delivery.send({ channel: p.channel, chat: CHAT }, text);
    expect(res.ok).toBe(true);
    expect(res.messageIds).toEqual(p.sent.map((_, i) => `m${i + 1}`));
    expect(p.sent.length).toBeGreaterThan(2);
    for (const o of p.sent) {
      expect(o.text.length).toBeLessThanOrEqual(1000);
      expect((o.text.match(/^```/gm) ?? []).length % 2).toBe(0);
      expect(o).toMatchObject({ to: CHAT, format: 'plain' });
    }
    expect(
      p.sent
        .map((o) => o.text)
        .join('\n')
        .replace(/```(sh)?\n?/g, ''),
    ).toContain('echo step\n'.repeat(50));
    expect(await journal.pending()).toEqual([]); // sent and closed
  });

  it('retries a failure that may pass on the clock, and gives up at once on one that cannot', async () => {
    const { delivery, clock } = setup();
    const flaky = platform(100, (_o, n) => {
      if (n < 3) throw new ChannelSendError('server error', 'telegram', false);
    });
    const done = delivery.send({ channel: flaky.channel, chat: CHAT }, 'hello');
    await until(() => clock.pendingCount() === 1, 'the first retry wait');
    expect(flaky.attempts()).toBe(1);
    await clock.advance(4_999);
    expect(flaky.attempts()).toBe(1);
    await clock.advance(1);
    await until(() => clock.pendingCount() === 1, 'the second retry wait');
    expect(flaky.attempts()).toBe(2);
    await clock.advance(30_000);
    expect(await done).toMatchObject({ ok: true, messageIds: ['m1'] });
    expect(flaky.attempts()).toBe(3);

    const blocked = platform(100, () => {
      throw new ChannelSendError('bot was blocked by the user', 'telegram', true);
    });
    expect(await delivery.send({ channel: blocked.channel, chat: CHAT }, 'hello')).toEqual({ ok: false, messageIds: [] });
    expect(blocked.attempts()).toBe(1);
  });

  it('after a crash mid-message, the start-up recovery sends the chunks that were not sent, to the journaled target', async () => {
    const first = setup();
    // The platform takes the first chunk, then the process dies while the second is on its way.
    const dying = platform(20, (_o, n) => (n === 2 ? new Promise<void>(() => {}) : undefined));
    const group: ChatRef = { kind: 'group', id: '-100', threadId: '7', threadWord: 'topic' };
    void first.delivery.send({ channel: dying.channel, chat: group }, 'first part here.\n\nsecond part here.\n\nthird part.');
    await until(() => dying.attempts() === 2, 'the second chunk on its way');
    expect(dying.sent.map((o) => o.text)).toEqual(['first part here.']);

    const again = setup();
    const next = platform(20);
    const lanes = createLanes<QueuedMessage>({
      clock: again.clock,
      maxConcurrent: 1,
      resolveSettings: () => ({ mode: 'followup', debounceMs: 0, cap: 10, drop: 'old' }),
      execute: async () => {},
      describe: () => '',
    });
    const r = await recoverJournal({ journal: again.journal, lanes, delivery: again.delivery, getChannel: () => next.channel, log: quiet, remember: () => {} });
    expect(r).toEqual({ resumed: 1, requeued: 0 });
    expect(next.sent.map((o) => [o.to, o.text])).toEqual([
      [group, 'second part here.'],
      [group, 'third part.'],
    ]);
    expect(await again.journal.pending()).toEqual([]);
  });
});
