// /webchat invite <name> | revoke <name> | list: personal web chat links. The gateway token is the operator's; each
// web chat user gets a link of their own, bound to their name (which becomes their web chat id). A link is a
// password, so it is only given in a direct chat.
import { isoMinute } from '../format.js';
import { UsageError, type Command } from '../types.js';

export const webchatCommand: Command = {
  name: 'webchat',
  usage: '/webchat invite <name> | revoke <name> | list',
  summary: 'personal web chat links: invite someone (their own link and id), revoke one, list them',
  ownerOnly: true,
  async run(args, ctx) {
    const [sub, name, ...extra] = args;
    const listing = sub === 'list' && name === undefined;
    if (extra.length > 0 || (!listing && ((sub !== 'invite' && sub !== 'revoke') || !name))) throw new UsageError();
    const webchat = ctx.deps.webchat;
    if (!webchat) return 'Personal web chat links are not available on this gateway.';
    if (listing) {
      const users = webchat.list();
      if (users.length === 0) return 'No web chat users yet. /webchat invite <name> makes a personal link.';
      return [`Web chat users (${users.length}):`, ...users.map((u) => `- ${u.userId} (by ${u.createdBy}, ${isoMinute(u.createdAt)})`)].join('\n');
    }
    if (sub === 'revoke') {
      return (await webchat.revoke(name!))
        ? `Revoked ${name.toLowerCase()}'s web chat link; their open tabs were disconnected.`
        : `No web chat user named ${name.toLowerCase()}. /webchat list shows them.`;
    }
    if (ctx.inbound.chat.kind !== 'direct') {
      return 'Send /webchat invite in a direct chat with the bot: the link it answers with is a password.';
    }
    let r: Awaited<ReturnType<typeof webchat.invite>>;
    try {
      r = await webchat.invite(name!, ctx.sender);
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    return [
      `Web chat link for ${r.userId}${r.replaced ? ' (the previous link no longer works)' : ''}:`,
      r.link,
      `Whoever opens it chats as webchat:${r.userId}. Treat it like a password; /webchat revoke ${r.userId} disables it.`,
    ].join('\n');
  },
};
