// bindings.list | set | remove and approvals.list | resolve: routing and exec approvals, the operator's to change.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { StoredBinding } from '../../types/index.js';
import { idempotencyKeySchema, RequestError } from '../frames.js';
import { method, type MethodDef, type PlaneServices } from '../types.js';

const matchSchema = z.strictObject({
  channel: z.enum(['telegram', 'discord', 'whatsapp', 'slack', 'webchat']),
  accountId: z.string().min(1).max(64).optional(),
  peer: z.strictObject({ kind: z.enum(['direct', 'group', 'channel']), id: z.string().min(1).max(200) }).optional(),
  guildId: z.string().min(1).max(64).optional(),
  teamId: z.string().min(1).max(64).optional(),
});

export function adminMethods(s: PlaneServices): MethodDef[] {
  const approvals = () => {
    const a = s.approvals();
    if (!a) throw new RequestError('unavailable', 'the gateway is starting; try again in a moment', { retryable: true, retryAfterMs: 1000 });
    return a;
  };
  return [
    method({
      name: 'bindings.list',
      roles: ['operator'],
      params: z.object({}),
      run: async () => ({
        bindings: [
          ...s.config().bindings.map((b, i) => ({ id: `config:${i}`, source: 'config', agentId: b.agentId, match: b.match })),
          ...s.state.data.bindings.map((b) => ({ ...b, source: 'chat' })),
        ],
      }),
    }),
    method({
      name: 'bindings.set',
      roles: ['operator'],
      sideEffect: true,
      params: z.object({ agentId: z.string().min(1).max(64), match: matchSchema, idempotencyKey: idempotencyKeySchema }),
      run: async ({ agentId, match }) => {
        if (!s.config().agents.list.some((a) => a.id === agentId)) throw new RequestError('not_found', `no agent "${agentId}"; agents.list shows them`);
        let id = `b-${randomBytes(3).toString('hex')}`;
        while (s.state.data.bindings.some((b) => b.id === id)) id = `b-${randomBytes(3).toString('hex')}`;
        const binding: StoredBinding = { id, agentId, match, createdBy: 'operator', createdAt: s.clock.now() };
        s.state.update((d) => void d.bindings.push(binding));
        await s.state.flush();
        return { binding };
      },
    }),
    method({
      name: 'bindings.remove',
      roles: ['operator'],
      sideEffect: true,
      params: z.object({ id: z.string().min(1).max(64), idempotencyKey: idempotencyKeySchema }),
      run: async ({ id }) => {
        if (id.startsWith('config:')) throw new RequestError('conflict', 'bindings from switchyard.json are changed in that file');
        if (!s.state.data.bindings.some((b) => b.id === id)) throw new RequestError('not_found', `no chat-made binding ${id}; bindings.list shows them`);
        s.state.update((d) => {
          d.bindings = d.bindings.filter((b) => b.id !== id);
        });
        await s.state.flush();
        return { removed: id };
      },
    }),
    method({
      name: 'approvals.list',
      roles: ['operator'],
      params: z.object({}),
      run: async () => ({ approvals: approvals().listPending() }),
    }),
    method({
      name: 'approvals.resolve',
      roles: ['operator'],
      sideEffect: true,
      params: z.object({ id: z.string().min(1).max(32), decision: z.enum(['allow-once', 'allow-always', 'deny']), idempotencyKey: idempotencyKeySchema }),
      run: async ({ id, decision }) => {
        const r = approvals().decide(id, decision, 'operator', { authorised: true });
        if (!r.ok) throw new RequestError(/^no approval/.test(r.message) ? 'not_found' : 'conflict', r.message);
        return { id: id.trim().toUpperCase(), decision, message: r.message };
      },
    }),
  ];
}
