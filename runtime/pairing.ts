// DM pairing (`channels.<ch>.dmPolicy: "pairing"`): an unknown DM sender gets a short code instead of an
// answer; the owner approves it from chat with `/pairing approve <CODE>`. Pure over the gateway state and a
// timestamp, so the gateway, the admin commands and tests share one implementation.
//
// What approval grants: `<channel>:<senderId>` in state.pairedSenders, which the access check consults for
// DIRECT messages only — pairing never lets anyone into a group.
import { randomBytes } from 'node:crypto';
import type { ChannelId, Inbound } from './types/channel.js';
import type { GatewayState, JsonDoc, PairingRequest } from './types/storage.js';

/** Upper-case letters and digits without the look-alikes 0/O and 1/I: 32 symbols. */
export const PAIRING_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const PAIRING_CODE_LENGTH = 8;
export const PAIRING_TTL_MS = 60 * 60 * 1000;
/** More pending requests than this per channel are ignored, so strangers cannot flood the owner. */
export const MAX_PENDING_PER_CHANNEL = 3;

export type RandomBytes = (n: number) => Uint8Array;

export interface PairingSender {
  channel: ChannelId;
  accountId: string;
  senderId: string;
  senderName?: string;
}

export type PairingRequestResult =
  | { code: string; isNew: boolean; expiresAt: number; request: PairingRequest }
  | { limited: true }
  /** Already approved (the caller should not have asked; nothing to tell them). */
  | { paired: true };

export type PairingDecision = { ok: true; request: PairingRequest; senderKey: string } | { ok: false; reason: 'unknown' | 'expired'; code: string };

/** The key stored in pairedSenders: `<channel>:<senderId>` exactly as the adapter reported the id. */
export function pairedSenderKey(channel: string, senderId: string): string {
  return `${channel}:${senderId}`;
}

/** Case-insensitive, like owner keys: platform ids are case-insensitive (see runtime/session-key.ts). */
export function isPaired(state: JsonDoc<GatewayState>, channel: string, senderId: string): boolean {
  const key = pairedSenderKey(channel, senderId).toLowerCase();
  return state.data.pairedSenders.some((s) => s.toLowerCase() === key);
}

/** 8 symbols from PAIRING_ALPHABET; 256 is a multiple of 32, so `byte & 31` is unbiased. */
export function generatePairingCode(random: RandomBytes = randomBytes): string {
  const bytes = random(PAIRING_CODE_LENGTH);
  let code = '';
  for (let i = 0; i < PAIRING_CODE_LENGTH; i++) code += PAIRING_ALPHABET[bytes[i] & 31];
  return code;
}

/** What an owner types: case, spaces and dashes do not matter ("abcd-efgh" works). */
export function normalizePairingCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]+/g, '');
}

/** Removes expired requests; returns how many. */
export function prunePairing(state: JsonDoc<GatewayState>, now: number): number {
  const expired = state.data.pairingRequests.filter((r) => r.expiresAt <= now).length;
  if (expired > 0) state.update((d) => void (d.pairingRequests = d.pairingRequests.filter((r) => r.expiresAt > now)));
  return expired;
}

/** Pending (unexpired) requests, oldest first. */
export function listPairing(state: JsonDoc<GatewayState>, now: number): PairingRequest[] {
  return state.data.pairingRequests.filter((r) => r.expiresAt > now).sort((a, b) => a.createdAt - b.createdAt);
}

const sameSender = (r: PairingRequest, s: PairingSender) => r.channel === s.channel && r.senderId.toLowerCase() === s.senderId.toLowerCase();

/**
 * A code for an unknown DM sender: the same code again while their request is pending, a new one otherwise,
 * or `limited` when MAX_PENDING_PER_CHANNEL other senders of this channel are already waiting.
 */
export function requestPairing(state: JsonDoc<GatewayState>, sender: PairingSender, now: number, random: RandomBytes = randomBytes): PairingRequestResult {
  if (isPaired(state, sender.channel, sender.senderId)) return { paired: true };
  prunePairing(state, now);
  const pending = state.data.pairingRequests;
  const existing = pending.find((r) => sameSender(r, sender));
  if (existing) return { code: existing.code, isNew: false, expiresAt: existing.expiresAt, request: existing };
  if (pending.filter((r) => r.channel === sender.channel).length >= MAX_PENDING_PER_CHANNEL) return { limited: true };

  const taken = new Set(pending.map((r) => r.code));
  let code = generatePairingCode(random);
  // 32^8 codes: a collision is rare, but a repeated code would make approval ambiguous.
  for (let i = 0; taken.has(code); i++) {
    if (i >= 20) throw new Error('could not generate a unique pairing code: the random source keeps repeating');
    code = generatePairingCode(random);
  }
  const request: PairingRequest = {
    code,
    channel: sender.channel,
    accountId: sender.accountId,
    senderId: sender.senderId,
    ...(sender.senderName !== undefined ? { senderName: sender.senderName } : {}),
    createdAt: now,
    expiresAt: now + PAIRING_TTL_MS,
  };
  state.update((d) => void d.pairingRequests.push(request));
  return { code, isNew: true, expiresAt: request.expiresAt, request };
}

function takeRequest(state: JsonDoc<GatewayState>, rawCode: string, now: number): PairingDecision {
  const code = normalizePairingCode(rawCode);
  const request = state.data.pairingRequests.find((r) => r.code === code);
  if (!request) return { ok: false, reason: 'unknown', code };
  state.update((d) => void (d.pairingRequests = d.pairingRequests.filter((r) => r.code !== code)));
  if (request.expiresAt <= now) return { ok: false, reason: 'expired', code };
  return { ok: true, request, senderKey: pairedSenderKey(request.channel, request.senderId) };
}

/** Approves a pending code: its sender may DM the bot from now on (DMs only; groups are unaffected). */
export function approvePairing(state: JsonDoc<GatewayState>, code: string, now: number): PairingDecision {
  const res = takeRequest(state, code, now);
  if (res.ok && !isPaired(state, res.request.channel, res.request.senderId)) {
    state.update((d) => void d.pairedSenders.push(res.senderKey));
  }
  return res;
}

/** Refuses a pending code (the sender may ask again later and gets a new code). */
export function denyPairing(state: JsonDoc<GatewayState>, code: string, now: number): PairingDecision {
  return takeRequest(state, code, now);
}

function minutesLeft(expiresAt: number, now: number): string {
  const m = Math.max(1, Math.round((expiresAt - now) / 60_000));
  return m === 1 ? '1 minute' : `${m} minutes`;
}

export function pairingCodeText(code: string, expiresAt: number, now: number): string {
  return (
    `This bot does not know you yet. Your pairing code is ${code}. ` +
    `Ask the owner to approve it with /pairing approve ${code} (it expires in ${minutesLeft(expiresAt, now)}). ` +
    'Your message was not processed; send it again once you are approved.'
  );
}

export function ownerPairingNotice(r: PairingRequest, now: number): string {
  const who = r.senderName ? `${r.senderName} (${r.channel} id ${r.senderId})` : `${r.channel} id ${r.senderId}`;
  return (
    `🔑 Pairing request from ${who}, code ${r.code}.\n` +
    `/pairing approve ${r.code} lets them DM the bot (not groups) · /pairing deny ${r.code} refuses. ` +
    `Expires in ${minutesLeft(r.expiresAt, now)}.`
  );
}

/** What to say when the access check turned a DM away under dmPolicy "pairing"; the caller sends it. */
export interface PairingOutcome {
  /** To the sender, in the same DM; null = say nothing (limited, or already paired). */
  reply: string | null;
  /** To the owner(s); only for a new request, so repeated DMs do not repeat the notice. */
  ownerNotice: string | null;
  result: PairingRequestResult;
}

export function pairingResponse(
  state: JsonDoc<GatewayState>,
  m: Pick<Inbound, 'channel' | 'accountId' | 'sender'>,
  now: number,
  random: RandomBytes = randomBytes,
): PairingOutcome {
  const result = requestPairing(
    state,
    { channel: m.channel, accountId: m.accountId, senderId: m.sender.id, senderName: m.sender.name ?? m.sender.username },
    now,
    random,
  );
  if ('limited' in result || 'paired' in result) return { reply: null, ownerNotice: null, result };
  return {
    reply: pairingCodeText(result.code, result.expiresAt, now),
    ownerNotice: result.isNew ? ownerPairingNotice(result.request, now) : null,
    result,
  };
}
