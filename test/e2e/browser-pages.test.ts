// The control page and the web chat page in a real headless Chromium against a whole gateway: approve from the
// control page and see the run continue; kill the connection and see the missed events replayed; a phone-sized
// screen; the web chat showing a user's messages in every tab, with history from the gateway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'puppeteer-core';
import { haveChromium, launchBrowser, openPage } from '../fakes/browser.js';
import { useGateway } from '../fakes/gateway-fixture.js';

if (!haveChromium) console.warn('browser-pages: /usr/bin/chromium is missing; browser tests are SKIPPED (apt-get install chromium)');
const describeBrowser = haveChromium ? describe : describe.skip;

const web = useGateway();
/** Interval polling: requestAnimationFrame (the default) does not run in a tab that is not in front. */
const POLL = { polling: 100 };
let browser: Browser;
beforeAll(async () => {
  if (haveChromium) browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

const config = (extra: Record<string, unknown> = {}) => ({
  models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: web.fake.url } } },
  agents: { defaults: { model: { primary: 'anthropic/claude-test' } } },
  ...extra,
});

describeBrowser('control page', () => {
  it('shows the approval, Allow once from the page lets the run continue to its answer', async () => {
    const h = await web.start({ config: config({ commands: { ownerAllowFrom: ['webchat:owner'] } }), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.script('key-a', { toolCalls: [{ id: 'call_1', name: 'exec', args: { command: 'echo approved-from-the-page' } }] }, { text: 'done after approval' });
    const { page, problems } = await openPage(browser, `${h.gw.http.url}/control#token=${h.gw.token}`);
    await page.waitForFunction(() => document.body.dataset.state === 'on', POLL);
    expect(page.url()).not.toContain('token'); // the fragment is cleared

    const alice = await web.connect('alice');
    alice.send('please run it');
    const button = await page.waitForSelector('[data-approval] button[data-decision="allow-once"]');
    expect(await page.$eval('[data-approval] code', (e) => e.textContent)).toBe('echo approved-from-the-page');
    expect(await page.$eval('[data-run] .badge', (e) => e.textContent)).toBe('waiting for approval');
    await button!.click();
    await alice.next((f) => f.type === 'message' && f.text === 'done after approval');
    await page.waitForFunction(() => document.querySelector('[data-run] .text')?.textContent === 'done after approval', POLL);
    await page.waitForFunction(() => document.querySelector('[data-approval]') === null, POLL);
    const tool = await page.$eval('[data-run] .tool', (e) => e.textContent ?? '');
    expect(tool).toContain('exec');
    expect(tool).toContain('echo approved-from-the-page');
    expect(await page.$eval('[data-run] .badge', (e) => e.textContent)).toBe('answered');
    // The run really continued: the model's second call carried the tool result.
    expect(JSON.stringify(web.fake.requests[1].body.messages)).toContain('tool_result');
    await page.waitForFunction(() => (document.getElementById('sessions')?.textContent ?? '').includes('agent:main:webchat:direct:alice'), POLL);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('after the connection is killed, the events it missed are replayed: the run appears without a reload', async () => {
    const h = await web.start({ config: config(), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.setDefault(() => ({ text: 'happened while you were away', chunkSize: 5 }));
    const { page, problems } = await openPage(browser, `${h.gw.http.url}/control#token=${h.gw.token}`);
    await page.waitForFunction(() => document.body.dataset.state === 'on', POLL);
    const cdp = await page.createCDPSession();
    await cdp.send('Network.enable');
    // Offline: the page cannot reconnect; then its live socket is killed on the gateway side.
    await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    for (const c of h.gw.http.wss.clients) c.terminate();
    await page.waitForFunction(() => document.body.dataset.state === 'wait', POLL);

    const alice = await web.connect('alice');
    alice.send('anything new?');
    await alice.reply();
    await h.gw.gateway.lanes.idle();
    expect(await page.$('[data-run]')).toBeNull();

    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.waitForFunction(() => document.querySelector('[data-run] .text')?.textContent === 'happened while you were away', { ...POLL, timeout: 20_000 });
    expect(Number(await page.$eval('#st', (e) => (e as HTMLElement).dataset.replayed))).toBeGreaterThan(0);
    expect(await page.$eval('[data-run] .badge', (e) => e.textContent)).toBe('answered');
    expect(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|WebSocket/.test(p))).toEqual([]);
    await page.close();
  });

  it('fits a phone screen: no sideways scrolling, sections switch from the bar', async () => {
    const h = await web.start({ config: config(), env: { ANTHROPIC_API_KEY: 'key-a' } });
    const { page, problems } = await openPage(browser, `${h.gw.http.url}/control#token=${h.gw.token}`, { width: 390, height: 844 });
    await page.waitForFunction(() => document.body.dataset.state === 'on', POLL);
    await page.waitForFunction(() => (document.getElementById('channels')?.textContent ?? '').includes('webchat:default'), POLL);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.click('nav button[data-show="channels"]');
    expect(await page.$eval('#sec-runs', (e) => (e as HTMLElement).hidden)).toBe(true);
    expect(await page.$eval('#sec-channels', (e) => (e as HTMLElement).hidden)).toBe(false);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a wrong token is told plainly and not retried', async () => {
    const h = await web.start({ env: {} });
    const { page } = await openPage(browser, `${h.gw.http.url}/control#token=not-the-gateway-token`);
    await page.waitForFunction(() => document.body.dataset.state === 'bad', POLL);
    expect(await page.$eval('#note', (e) => e.textContent)).toMatch(/token was not accepted/);
    await page.close();
  });
});

describeBrowser('web chat page', () => {
  it('a personal link: the message and its answer show in every tab of the user; a new tab loads the history from the gateway', async () => {
    const h = await web.start({ config: config(), env: { ANTHROPIC_API_KEY: 'key-a' } });
    web.fake.setDefault(() => ({ text: 'Hello **there**' }));
    const { token } = await h.gw.webchatUsers.invite('carol', 'test:owner');
    const a = await openPage(browser, `${h.gw.http.url}/#token=${token}`, { width: 390, height: 700 });
    const b = await openPage(browser, `${h.gw.http.url}/#token=${token}`);
    for (const p of [a.page, b.page]) await p.waitForFunction(() => document.body.dataset.state === 'on', POLL);
    expect(await a.page.$eval('#st', (e) => e.textContent)).toBe('connected as carol');
    await a.page.type('#t', 'hi from tab A');
    await a.page.keyboard.press('Enter');
    for (const [name, p] of [
      ['A', a.page],
      ['B', b.page],
    ] as const) {
      await p
        .waitForFunction(
          () =>
            [...document.querySelectorAll('.m.me')].some((e) => e.textContent === 'hi from tab A') &&
            [...document.querySelectorAll('.m.bot strong')].some((e) => e.textContent === 'there'),
          { ...POLL, timeout: 10_000 },
        )
        .catch(async (err: Error) => {
          throw new Error(`tab ${name}: ${err.message}; log: ${await p.$eval('#log', (e) => e.innerHTML)}`);
        });
    }
    expect(await a.page.$$eval('.m.me', (es) => es.length)).toBe(1);
    await h.gw.gateway.lanes.idle();
    const c = await openPage(browser, `${h.gw.http.url}/#token=${token}`);
    await c.page.waitForFunction(() => document.querySelectorAll('#log .m').length >= 2, POLL);
    expect(await c.page.$$eval('#log .m', (es) => es.map((e) => e.textContent))).toEqual(['hi from tab A', 'Hello there']);
    for (const w of [a, b, c]) {
      expect(w.problems).toEqual([]);
      await w.page.close();
    }
  }, 60_000);
});
