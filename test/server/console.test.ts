import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAgentProvider, type RunningServer, startServer } from '../../src/server/index.js';
import { launchChromium } from '../helpers/browser.js';

let server: RunningServer;
let browser: Browser;
let dir: string;
let tester: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rk-console-'));
  server = await startServer({
    port: 0,
    dbPath: join(dir, 'roomkit.db'),
    aiProvider: new LocalAgentProvider(),
  });
  tester = await server.issueToken({ user: 'tester', rooms: '*' });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('web console (headless Chromium)', () => {
  it('sends a message, shows the agent reply, and keeps history across a reload', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/?token=${tester}&room=lobby`);
    await page.getByTestId('status').filter({ hasText: 'connected as tester' }).waitFor();
    await expect(page.getByTestId('agent').textContent()).resolves.toContain('local rule-based');
    await page.getByTestId('message').fill('hello from the browser');
    await page.getByTestId('send').click();
    const timeline = page.getByTestId('timeline');
    await timeline.locator('li.mine', { hasText: 'hello from the browser' }).waitFor();
    await timeline.locator('li.agent', { hasText: 'local rule-based agent' }).waitFor();

    await page.reload();
    await page.getByTestId('status').filter({ hasText: 'connected' }).waitFor();
    await timeline.locator('li.agent', { hasText: 'local rule-based agent' }).waitFor();
    const texts = await timeline.locator('li:not(.system)').allTextContents();
    expect(texts[0]).toContain('hello from the browser');
    expect(texts[1]).toContain('local rule-based agent');
    // And it is in the store, not just on the page.
    const stored = await server.kit.store.listEvents('lobby');
    expect(stored.map((e) => e.source.channelId)).toEqual(['web', 'agent']);
    await page.close();
  });

  it('creates a room from the page and talks in it', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/?token=${tester}`);
    await page.getByTestId('status').filter({ hasText: 'connected' }).waitFor();
    await page.locator('#new-room-id').fill('support');
    await page.locator('#new-room button').click();
    await page.getByTestId('room-title').filter({ hasText: 'support' }).waitFor();
    await page.getByTestId('message').fill('what time is it?');
    await page.getByTestId('send').click();
    await page.getByTestId('timeline').locator('li.agent', { hasText: 'It is' }).waitFor();
    await page.getByTestId('rooms').locator('li', { hasText: 'support' }).waitFor();
    expect(await server.kit.store.countEvents('support')).toBe(2);
    await page.close();
  });

  it('shows the newest page of a long room and loads earlier pages on request', async () => {
    await server.kit.createRoom({ roomId: 'long' });
    await server.kit.attachChannel('long', 'web');
    for (let i = 0; i < 150; i++)
      await server.kit.sendEvent('long', 'web', { type: 'text', body: `line ${i}` });
    const page = await browser.newPage();
    await page.goto(`${server.url}/?token=${tester}&room=long`);
    const timeline = page.getByTestId('timeline');
    await timeline.locator('li', { hasText: 'line 149' }).waitFor({ timeout: 5_000 });
    expect(await timeline.locator('li').count()).toBe(100);
    const earlier = page.getByTestId('load-earlier');
    await earlier.click();
    await timeline.locator('li', { hasText: /line 0$/ }).waitFor({ timeout: 5_000 });
    expect(await timeline.locator('li').count()).toBe(150);
    await earlier.waitFor({ state: 'hidden' });
    await page.close();
  });
});
