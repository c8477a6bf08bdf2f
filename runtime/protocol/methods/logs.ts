// audit.tail and logs.tail (with follow: `log` events to this connection until it closes or unfollows).
import { z } from 'zod';
import { method, type MethodDef, type PlaneServices } from '../types.js';

export function logMethods(s: PlaneServices): MethodDef[] {
  return [
    method({
      name: 'audit.tail',
      roles: ['operator'],
      params: z.object({ limit: z.number().int().min(1).max(1000).default(50) }),
      run: async ({ limit }) => ({ records: s.redact(await s.audit.tail(limit)) }),
    }),
    method({
      name: 'logs.tail',
      roles: ['operator'],
      params: z.object({ limit: z.number().int().min(0).max(1000).default(100), follow: z.boolean().optional() }),
      run: async ({ limit, follow }, ctx) => {
        if (follow !== undefined) ctx.conn.followLogs(follow);
        return { lines: s.logs.tail(limit) };
      },
    }),
  ];
}
