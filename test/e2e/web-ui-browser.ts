/**
 * Debian's Chromium (never a downloaded browser), headless, driven by playwright-core; screenshots
 * go to `test-artifacts/web-ui/` (gitignored) so a person can look at what the tests saw.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PROJECT_ROOT } from './runtime-product';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = path.join(PROJECT_ROOT, 'test-artifacts', 'web-ui');

/** Flags for a machine without a display, as root, whose network reaches nothing but loopback. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  await fs.mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

export interface UiSession {
  context: BrowserContext;
  page: Page;
  /** Every failed response the page saw (status and URL), for assertions and messages. */
  failures: { status: number; url: string }[];
  /** Uncaught errors in the page. */
  errors: string[];
}

export async function openSession(browser: Browser): Promise<UiSession> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const session: UiSession = { context, page, failures: [], errors: [] };
  page.on('response', (response) => {
    if (response.status() >= 400) session.failures.push({ status: response.status(), url: response.url() });
  });
  page.on('pageerror', (error) => session.errors.push(error.message));
  return session;
}

/** Signs in through the sign-in page the way a person does; resolves on the page it lands on. */
export async function signIn(session: UiSession, uiUrl: string, token: string, startPath = '/'): Promise<void> {
  const { page } = session;
  await page.goto(uiUrl + startPath);
  await page.waitForURL(/\/signin/);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/signin')), page.click('button[type=submit]')]);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** The visible text of the page, whitespace collapsed. */
export async function pageText(page: Page): Promise<string> {
  return (await page.locator('body').innerText()).replace(/\s+/g, ' ');
}

/** Waits until the page's visible text contains `text` (the UI loads its data after the page). */
export async function waitForText(page: Page, text: string, timeoutMs = 20_000): Promise<void> {
  try {
    await page.getByText(text, { exact: false }).first().waitFor({ state: 'visible', timeout: timeoutMs });
  } catch (err) {
    // What the page showed instead, for the person reading the failure.
    const file = await screenshot(page, `failed-wait-${text.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`);
    throw new Error(`"${text}" did not appear within ${timeoutMs} ms on ${page.url()} (see ${file})`, { cause: err });
  }
}
