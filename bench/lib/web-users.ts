// Web chat users for load: real WebSocket clients of the gateway's /ws endpoint, lean (no frame history), that
// timestamp each reply frame the moment it arrives.
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
      const f = JSON.parse(data.toString()) as { type?: string; text?: string; error?: string };
      if (f.type === 'message') {
        this.replies++;
        onReply({ user: id, at, text: f.text ?? '' });
      } else if (f.type === 'ack') this.acks++;
      else if (f.type === 'error') console.error(`bench: web chat error frame for ${id}: ${f.error}`);
    });
  }

  static connect(baseUrl: string, token: string, id: string, onReply: (f: ReplyFrame) => void, timeoutMs = 10_000): Promise<WebUser> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}&user=${encodeURIComponent(id)}`;
    const ws = new WebSocket(url);
    const user = new WebUser(id, ws, onReply);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`web chat user ${id}: no hello within ${timeoutMs} ms`)), timeoutMs);
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      // The gateway greets every connection; after that frame the user is registered and can be answered.
      ws.once('message', () => {
        clearTimeout(timer);
        resolve(user);
      });
    });
  }

  send(text: string): number {
    const at = performance.now();
    this.ws.send(JSON.stringify({ type: 'message', id: `b${++this.seq}`, text }));
    return at;
  }

  close(): void {
    this.ws.close();
  }
}

/** Connects n users named `${prefix}${i}`, `parallel` handshakes at a time. */
export async function connectUsers(
  baseUrl: string,
  token: string,
  n: number,
  onReply: (f: ReplyFrame) => void,
  prefix = 'u',
  parallel = 50,
): Promise<WebUser[]> {
  const users: WebUser[] = [];
  for (let i = 0; i < n; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, n - i) }, (_, j) => WebUser.connect(baseUrl, token, `${prefix}${i + j}`, onReply));
    users.push(...(await Promise.all(batch)));
  }
  return users;
}
