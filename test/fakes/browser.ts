// A real headless Chromium (Debian's /usr/bin/chromium, driven by puppeteer-core) for the page tests. Console
// errors and CSP refusals are collected per page, so a test can assert the page ran cleanly.
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root (CI) Chromium refuses its own sandbox; the pages it loads are ours, on 127.0.0.1.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

export interface WatchedPage {
  page: Page;
  /** console errors and CSP violations seen so far. */
  problems: string[];
}

export async function openPage(browser: Browser, url: string, viewport = { width: 1100, height: 900 }): Promise<WatchedPage> {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (err) => problems.push(String(err)));
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  return { page, problems };
}
