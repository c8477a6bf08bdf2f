// /pairing: DM senders waiting for the owner's approval (runtime/pairing.ts through AdminDeps.pairing).
import { timeLeft } from '../format.js';
import { UsageError, type Command } from '../types.js';

export const pairingCommand: Command = {
  name: 'pairing',
  usage: '/pairing list · /pairing approve <CODE> · /pairing deny <CODE>',
  summary: 'approve or refuse people who asked to DM the bot',
  ownerOnly: true,
  async run(args, ctx) {
    const { deps } = ctx;
    const sub = (args[0] ?? 'list').toLowerCase();
    if (sub === 'list') {
      if (args.length > 1) throw new UsageError();
      const now = deps.now();
      const pending = deps.pairing.list();
      if (pending.length === 0) return 'No pairing requests are waiting.';
      return [
        `Pairing requests (${pending.length}):`,
        ...pending.map((r) => `• ${r.code} · ${r.channel} id ${r.senderId}${r.senderName ? ` (${r.senderName})` : ''} · expires ${timeLeft(r.expiresAt, now)}`),
        'Approve with /pairing approve <CODE> (DMs only; groups are not affected).',
      ].join('\n');
    }
    if ((sub !== 'approve' && sub !== 'deny') || args.length !== 2) throw new UsageError();
    const res = sub === 'approve' ? deps.pairing.approve(args[1]) : deps.pairing.deny(args[1]);
    if (!res.ok) {
      return res.reason === 'expired'
        ? `Pairing code ${res.code} has expired. The sender gets a new code when they write again.`
        : `No pending pairing request with code ${res.code}. /pairing list shows them.`;
    }
    const r = res.request;
    const who = `${r.channel} id ${r.senderId}${r.senderName ? ` (${r.senderName})` : ''}`;
    await deps.state.flush();
    return sub === 'approve' ? `Approved ${who}: they can DM the bot now. This does not let them into groups.` : `Refused the pairing request of ${who}.`;
  },
};
