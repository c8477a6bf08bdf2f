// The one place where chat commands are authorised and run. It sits in front of the gateway's access check
// and queue, so commands answer even while a run is busy. Nothing a user types escapes as an exception.
//
// Who may run what:
//   owner (commands.ownerAllowFrom, `<channel>:<userId>`)  every command, in any chat
//   non-owner allowed to talk to the bot here (isAllowed)    commands with ownerOnly: false
//   anyone else                                              nothing: the message is left to the access check
//                                                            (so an unknown DM sender's /start gets a pairing code)
// An owner-only command from a non-owner is refused (a short line in a DM, silence in a group) and audited.
// Unknown commands get the help line — except in groups from non-owners, where `/x` is more likely meant for
// another bot: only `/x@thisbot` is answered there.
import type { Inbound } from '../runtime/types/index.js';
import { oneLine } from './format.js';
import { parseCommand } from './parse.js';
import { UsageError, type AdminDeps, type Answer, type Command, type CommandContext, type CommandInterceptor, type Located } from './types.js';

/** The commands this sender can use, in registration order. */
export function visibleCommands(commands: readonly Command[], owner: boolean): Command[] {
  return commands.filter((c) => owner || !c.ownerOnly);
}

export function helpLine(commands: readonly Command[], owner: boolean): string {
  const names = visibleCommands(commands, owner).map((c) => `/${c.name}`);
  return `Commands: ${names.join(' ')} — /help <command> for details.`;
}

export function createCommandInterceptor(deps: AdminDeps, commands: readonly Command[]): CommandInterceptor {
  const byName = new Map<string, Command>();
  for (const c of commands) {
    for (const n of [c.name, ...(c.aliases ?? [])]) {
      if (byName.has(n)) throw new Error(`two admin commands are named /${n}: rename one`);
      byName.set(n, c);
    }
  }
  const { log } = deps;

  const audit = async (rec: Record<string, unknown>) => {
    try {
      await deps.audit.append({ kind: 'admin', ...rec });
    } catch (err) {
      log.error('could not write the admin audit record', { command: rec.command, err });
    }
  };

  const isOwnerSafe = (m: Inbound): boolean => {
    try {
      return deps.isOwner(m.channel, m.sender.id);
    } catch (err) {
      log.error('owner check failed for a command; treating the sender as not an owner', { channel: m.channel, err });
      return false;
    }
  };

  const allowed = (m: Inbound): boolean => {
    try {
      return deps.isAllowed(m);
    } catch (err) {
      log.error('access check failed for a command; treating the sender as not allowed', { channel: m.channel, err });
      return false;
    }
  };

  return async function interceptCommand(m: Inbound, answer: Answer): Promise<boolean> {
    if (typeof m.text !== 'string' || m.sender.isBot) return false;
    let botUsername: string | undefined;
    try {
      botUsername = deps.botUsername?.(m);
    } catch (err) {
      log.warn('could not tell the bot username; commands addressed with @ are checked by mention only', { err });
    }
    const parsed = parseCommand(m.text, botUsername);
    if (!parsed) return false;
    // `/x@name` with our username unknown: ours only if the adapter saw it addressed to us.
    if (parsed.mention !== undefined && botUsername === undefined && !m.mentionsBot) return false;

    const reply = async (text: string) => {
      try {
        await answer(text);
      } catch (err) {
        log.error('could not send a command reply', { command: parsed.name, channel: m.channel, chatId: m.chat.id, err });
      }
    };

    const group = m.chat.kind !== 'direct';
    const owner = isOwnerSafe(m);
    const sender = `${m.channel}:${m.sender.id}`;
    const where = { channel: m.channel, accountId: m.accountId, chatId: m.chat.id, ...(m.chat.threadId ? { threadId: m.chat.threadId } : {}) };
    const cmd = byName.get(parsed.name);

    if (!cmd) {
      if (!owner && ((group && parsed.mention === undefined) || !allowed(m))) return false;
      await reply(`Unknown command /${parsed.name}. ${helpLine(commands, owner)}`);
      return true;
    }

    if (cmd.ownerOnly && !owner) {
      await audit({ command: cmd.name, sender, ...where, decision: 'refused', reason: 'not an owner' });
      if (!group) await reply(`/${cmd.name} is for the bot's owner only.`);
      return true;
    }
    if (!owner && !allowed(m)) return false;

    let located: Located | undefined;
    const ctx: CommandContext = {
      inbound: m,
      deps,
      owner,
      sender,
      rest: parsed.rest,
      here: () => (located ??= deps.locate(m)),
      commands,
      followUp: reply,
    };
    const args = safeArgs(deps, parsed.args);
    try {
      const text = await cmd.run(parsed.args, ctx);
      await audit({ command: cmd.name, args, sender, ...where, decision: 'executed', result: 'ok' });
      if (text !== '') await reply(text);
    } catch (err) {
      if (err instanceof UsageError) {
        await audit({ command: cmd.name, args, sender, ...where, decision: 'executed', result: 'usage' });
        await reply(err.message ? `${err.message}\nUsage: ${cmd.usage}` : `Usage: ${cmd.usage}`);
      } else {
        const message = errText(err);
        log.error('admin command failed', { command: cmd.name, sender, ...where, err });
        await audit({ command: cmd.name, args, sender, ...where, decision: 'executed', result: 'error', error: oneLine(message, 300) });
        await reply(`Command failed: ${oneLine(String(safeRedact(deps, message)), 500)}`);
      }
    }
    return true;
  };
}

/** Arguments as audited: bounded and scrubbed of anything secret-looking. */
function safeArgs(deps: AdminDeps, args: string[]): unknown {
  return safeRedact(
    deps,
    args.slice(0, 10).map((a) => oneLine(a, 200)),
  );
}

function safeRedact(deps: AdminDeps, v: unknown): unknown {
  try {
    return deps.redact(v);
  } catch (err) {
    deps.log.error('redaction failed; dropping the value', { err });
    return '[unavailable]';
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
