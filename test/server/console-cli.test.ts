import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAnthropicServer } from '../../src/testing/index.js';
import { launchChromium } from '../helpers/browser.js';
import { type CliChild, startCli } from './fixtures/cli-process.js';

let browser: Browser;
let dir: string;
const children: CliChild[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rk-console-cli-'));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const c of children) {
    c.process.kill('SIGTERM');
    await c.exited();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function serve(env: NodeJS.ProcessEnv = {}): Promise<string> {
  const child = startCli(['serve', '--port', '0', '--db', join(dir, `${children.length}.db`)], {
    ANTHROPIC_API_KEY: '',
    OPENAI_API_KEY: '',
    GRADIUM_API_KEY: '',
    ...env,
  });
  children.push(child);
  const [, url] = await child.waitFor(/^Open the console: (\S+)$/m, 60_000);
  return url!;
}

describe('the console through `roomkit serve` (issue 8)', () => {
  it('the URL serve prints lets a new user open the console and chat; the token leaves the address bar', async () => {
    const consoleUrl = await serve();
    const page = await browser.newPage();
    await page.goto(consoleUrl);
    await page.getByTestId('status').filter({ hasText: 'connected as admin' }).waitFor({ timeout: 15_000 });
    expect(page.url()).not.toContain('token=');
    await page.getByTestId('message').fill('hello there');
    await page.getByTestId('send').click();
    await page.getByTestId('timeline').locator('li.agent', { hasText: 'local rule-based agent' }).waitFor();
    // A reload (token kept by this browser) still works; another browser without the token does not.
    await page.reload();
    await page.getByTestId('status').filter({ hasText: 'connected as admin' }).waitFor();
    const stranger = await browser.newPage();
    await stranger.goto(new URL(consoleUrl).origin);
    await stranger.getByTestId('status').filter({ hasText: 'needs a token' }).waitFor();
    await page.close();
    await stranger.close();
  }, 60_000);

  it('an AI provider failure (a rejected API key) shows as an error notice in the room', async () => {
    const fake = new FakeAnthropicServer({ apiKey: 'the-right-key' });
    await fake.start();
    try {
      const consoleUrl = await serve({ ANTHROPIC_API_KEY: 'a-wrong-key', ANTHROPIC_BASE_URL: fake.baseUrl });
      const page = await browser.newPage();
      await page.goto(consoleUrl);
      await page.getByTestId('agent').filter({ hasText: 'anthropic' }).waitFor({ timeout: 15_000 });
      await page.getByTestId('status').filter({ hasText: 'connected' }).waitFor();
      await page.getByTestId('message').fill('are you there?');
      await page.getByTestId('send').click();
      const notice = page.getByTestId('notice');
      await notice.first().waitFor({ timeout: 20_000 });
      const text = await notice.first().textContent();
      expect(text).toMatch(/^Error: anthropic: .*\(authentication_failed, will not retry\)$/);
      expect(text).toMatch(/anthropic/);
      expect(text).not.toContain('a-wrong-key');
      expect(await notice.first().getAttribute('class')).toContain('error');
      expect(fake.requests.length).toBeGreaterThan(0);
      await page.close();
    } finally {
      await fake.stop();
    }
  }, 60_000);
});
