// The optional OpenAI-compatible HTTP API: off by default; with gateway.http.chatCompletions it answers
// POST /v1/chat/completions (bearer = the gateway token, model switchyard/<agentId>) with the agent's run.
import { describe, expect, it } from 'vitest';
import { useGateway } from '../fakes/gateway-fixture.js';

const web = useGateway();

const config = (on: boolean) => ({
  gateway: { http: { chatCompletions: on } },
  models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url } } },
  agents: { defaults: { model: { primary: 'anthropic/claude-test' } }, list: [{ id: 'main', default: true }, { id: 'work' }] },
});

interface ApiBody {
  error: { code: string; message?: string };
  [key: string]: unknown;
}

async function post(url: string, body: unknown, token?: string) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ApiBody };
}

describe('POST /v1/chat/completions', () => {
  it('is off by default', async () => {
    const h = await web.start({ config: config(false), env: { ANTHROPIC_API_KEY: 'key-a' } });
    expect((await post(h.gw.http.url, { model: 'switchyard/main', messages: [{ role: 'user', content: 'hi' }] }, h.gw.token)).status).toBe(404);
  });

  it('answers with the agent named by the model, in its own session; refuses bad tokens, models and bodies', async () => {
    const h = await web.start({ config: config(true), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.setDefault(() => ({ text: 'the work agent answers' }));
    const ok = {
      model: 'switchyard/work',
      messages: [
        { role: 'system', content: 'ignored' },
        { role: 'user', content: [{ type: 'text', text: 'what is up?' }] },
      ],
    };
    const res = await post(h.gw.http.url, ok, h.gw.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      object: 'chat.completion',
      model: 'switchyard/work',
      choices: [{ index: 0, message: { role: 'assistant', content: 'the work agent answers' }, finish_reason: 'stop' }],
    });
    expect(JSON.stringify(web.fake.requests[0].body.messages)).toContain('what is up?');
    const again = await post(h.gw.http.url, { ...ok, user: 'Team-7' }, h.gw.token);
    expect(again.status).toBe(200);
    // Two conversations of agent work: the default API identity's and user Team-7's.
    const operator = await web.connect('owner');
    const { sessions } = (await operator.call('sessions.list', { agentId: 'work' })) as { sessions: { key: string }[] };
    expect(sessions.map((x) => x.key).sort()).toEqual(['agent:work:webchat:direct:api', 'agent:work:webchat:direct:api-team-7']);

    expect((await post(h.gw.http.url, ok)).status).toBe(401);
    expect((await post(h.gw.http.url, ok, 'wrong-token-wrong-token')).status).toBe(401);
    expect((await post(h.gw.http.url, { ...ok, model: 'switchyard/nobody' }, h.gw.token)).body.error.code).toBe('model_not_found');
    expect((await post(h.gw.http.url, { ...ok, model: 'gpt-4o' }, h.gw.token)).status).toBe(400);
    expect((await post(h.gw.http.url, { ...ok, stream: true }, h.gw.token)).body.error.code).toBe('stream_unsupported');
    expect((await post(h.gw.http.url, 'not json', h.gw.token)).body.error.code).toBe('invalid_json');
    expect((await post(h.gw.http.url, { model: 'switchyard/main', messages: [{ role: 'assistant', content: 'x' }] }, h.gw.token)).body.error.code).toBe(
      'no_user_message',
    );
    expect((await post(h.gw.http.url, { ...ok, pad: 'x'.repeat(1100 * 1024) }, h.gw.token)).status).toBe(413);
    expect((await fetch(`${h.gw.http.url}/v1/chat/completions`)).status).toBe(405);
    // An owner cannot hand out the API's identity as a personal link.
    await expect(h.gw.webchatUsers.invite('api-team-7', 'test')).rejects.toThrow(/HTTP API/);
  });
});
