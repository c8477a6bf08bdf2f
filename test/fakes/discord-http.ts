// HTTP helpers of the fake Discord's REST side: Discord's JSON error bodies and its 429 with bucket headers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Json } from './discord-payloads.js';

export type DiscordFailure = { status: 429; retryAfter: number; global?: boolean } | { status: number; code?: number; message?: string } | { drop: true };

export function invalidForm(field: string, message: string): Json {
  return { message: 'Invalid Form Body', code: 50035, errors: { [field]: { _errors: [{ code: 'BASE_TYPE_INVALID', message }] } } };
}

export function fail(req: IncomingMessage, res: ServerResponse, f: DiscordFailure): void {
  if ('drop' in f) return void req.socket.destroy();
  if (f.status === 429 && 'retryAfter' in f) {
    // As Discord sends it: Retry-After in whole seconds, the precise wait in the bucket headers and the body.
    const headers: Record<string, string> = {
      'Retry-After': String(Math.ceil(f.retryAfter)),
      'X-RateLimit-Limit': '5',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset-After': f.retryAfter.toFixed(3),
      'X-RateLimit-Bucket': 'fakebucket',
      'X-RateLimit-Scope': f.global ? 'global' : 'user',
      ...(f.global ? { 'X-RateLimit-Global': 'true' } : {}),
    };
    return send(res, 429, { message: 'You are being rate limited.', retry_after: f.retryAfter, global: f.global === true }, headers);
  }
  const code = 'code' in f ? (f.code ?? 0) : 0;
  send(res, f.status, { message: 'message' in f && f.message ? f.message : `${f.status}: error`, code });
}

export function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}
