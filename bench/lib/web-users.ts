// Web chat users for load: real control-protocol clients of the gateway's /ws endpoint (each with its personal web
// chat token), lean (no frame history), that timestamp each reply the moment it arrives.
import WebSocket from 'ws';

export interface ReplyFrame {
  user: string;
  at: number;
  text: string;
}

export class WebUser {
  private seq = 0;
  acks = 0;
  replies = 0;

  private constructor(
    readonly id: string,
    private readonly ws: WebSocket,
    onReply: (f: ReplyFrame) => void,
  ) {
    ws.on('message', (data) => {
      const at = performance.now();
      const f = JSON.parse(data.toString()) as {
        type?: string;
        event?: string;
        id?: string;
        ok?: boolean;
        payload?: { role?: string; text?: string };
        error?: { message: string };
      };
      if (f.type === 'event' && f.event === 'chat.message' && f.payload?.role === 'assistant') {
        this.replies++;
        onReply({ user: id, at, text: f.payload.text ?? '' });
      } else if (f.type === 'res' && f.id !== 'connect') {
        if (f.ok) this.acks++;
        else console.error(`bench: web chat error for ${id}: ${f.error?.message}`);
      }
    });
  }

  static connect(baseUrl: string, token: string, id: string, onReply: (f: ReplyFrame) => void, timeoutMs = 10_000): Promise<WebUser> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`);
    const user = new WebUser(id, ws, onReply);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`web chat user ${id}: no hello within ${timeoutMs} ms`)), timeoutMs);
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.once('open', () => {
        const role = token.startsWith('wc_') ? 'webchat' : 'operator';
        ws.send(
          JSON.stringify({
            type: 'req',
            id: 'connect',
            method: 'connect',
            params: { minProtocol: 1, maxProtocol: 1, client: { id: 'bench', version: '1' }, role, auth: { token } },
          }),
        );
      });
      // Registered once hello-ok is in: from then on its messages are taken and its replies delivered.
      const onHello = (data: WebSocket.RawData) => {
        const f = JSON.parse(data.toString()) as { type?: string; id?: string; ok?: boolean; error?: { message: string } };
        if (f.type !== 'res' || f.id !== 'connect') return;
        ws.off('message', onHello);
        clearTimeout(timer);
        if (f.ok) resolve(user);
        else reject(new Error(`web chat user ${id}: connect refused: ${f.error?.message}`));
      };
      ws.on('message', onHello);
    });
  }

  send(text: string): number {
    const at = performance.now();
    const key = `${this.id}-b${++this.seq}`;
    this.ws.send(JSON.stringify({ type: 'req', id: key, method: 'chat.send', params: { message: text, idempotencyKey: key } }));
    return at;
  }

  close(): void {
    this.ws.close();
  }
}

/** Connects n users named `${prefix}${i}` (tokens from `tokensFor`), `parallel` handshakes at a time. */
export async function connectUsers(
  baseUrl: string,
  tokensFor: (ids: string[]) => Promise<string[]>,
  n: number,
  onReply: (f: ReplyFrame) => void,
  prefix = 'u',
  parallel = 50,
): Promise<WebUser[]> {
  const users: WebUser[] = [];
  for (let i = 0; i < n; i += parallel) {
    const ids = Array.from({ length: Math.min(parallel, n - i) }, (_, j) => `${prefix}${i + j}`);
    const tokens = await tokensFor(ids);
    const batch = ids.map((id, j) => WebUser.connect(baseUrl, tokens[j], id, onReply));
    users.push(...(await Promise.all(batch)));
  }
  return users;
}
