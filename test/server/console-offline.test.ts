import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAgentProvider, type RunningServer, startServer } from '../../src/server/index.js';
import { launchChromium } from '../helpers/browser.js';
import { openConsole } from './console-fixtures.js';

let server: RunningServer | undefined;
let browser: Browser;
let dir: string;
const TOKEN = 'console-token-kept-across-restarts';

const serve = (port: number) =>
  startServer({
    port,
    dbPath: join(dir, 'roomkit.db'),
    token: TOKEN,
    aiProvider: new LocalAgentProvider(),
    voice: false,
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rk-console-offline-'));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the console when the server goes away (regression: typed messages were lost, the page stuck on "join lobby first")', () => {
  it('a message typed while the server is unreachable shows as pending, is sent once when it is back, and the page rejoins its room', async () => {
    server = await serve(0);
    const port = Number(new URL(server.url).port);
    const page = await openConsole(browser, server.url, TOKEN);
    const timeline = page.getByTestId('timeline');
    await page.getByTestId('message').fill('before the restart');
    await page.getByTestId('send').click();
    await timeline
      .locator('li.agent', { hasText: 'You said: "before the restart"' })
      .waitFor({ timeout: 10_000 });

    await server.close();
    server = undefined;
    await page.getByTestId('status').filter({ hasText: 'server unreachable' }).waitFor({ timeout: 10_000 });
    await page.getByTestId('message').fill('typed while the server was down');
    await page.getByTestId('send').click();
    const pending = timeline.getByTestId('pending').filter({ hasText: 'typed while the server was down' });
    await pending.filter({ hasText: 'pending: sent when the server is back' }).waitFor();
    await page.getByTestId('status').filter({ hasText: '(1 pending)' }).waitFor({ timeout: 10_000 });

    server = await serve(port);
    await page.getByTestId('status').filter({ hasText: 'connected as admin' }).waitFor({ timeout: 20_000 });
    await timeline
      .locator('li.mine:not(.pending)', { hasText: 'typed while the server was down' })
      .waitFor({ timeout: 10_000 });
    await pending.waitFor({ state: 'detached' });
    // The room was rejoined by itself: the agent answers in it, and new messages go through.
    await expect
      .poll(async () => (await server!.kit.store.listEvents('lobby')).length, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(4);
    const events = await server.kit.store.listEvents('lobby');
    const typed = events.filter(
      (e) => e.content.type === 'text' && e.content.body === 'typed while the server was down',
    );
    expect(typed).toHaveLength(1);
    expect(typed[0]!.idempotencyKey).toMatch(/^console-/);
    expect(events.at(-1)!.source.channelId).toBe('agent');
    expect(await page.getByTestId('status').textContent()).not.toContain('join lobby first');
    expect(await page.evaluate(() => (globalThis as any).localStorage.getItem('roomkit.outbox.admin'))).toBe(
      '[]',
    );
    await page.close();
  }, 90_000);
});
