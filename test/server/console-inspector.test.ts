import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/index.js';
import { launchChromium } from '../helpers/browser.js';
import { eventually } from '../helpers/eventually.js';
import { inspectorServer, openConsole } from './console-fixtures.js';

let server: RunningServer;
let browser: Browser;
let dir: string;
let ana: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rk-console-inspector-'));
  server = await inspectorServer(join(dir, 'roomkit.db'), 80);
  ana = await server.issueToken({ user: 'ana', rooms: ['lobby'] });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const open = (token: string, query = '') => openConsole(browser, server.url, token, { query });

async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('message').fill(text);
  await page.getByTestId('send').click();
}

describe('the console as an inspector (headless Chromium)', () => {
  it('chat: markdown is rendered and escaped, messages carry a time, "thinking" shows before the first token', async () => {
    const page = await open(server.token);
    const timeline = page.getByTestId('timeline');
    await send(page, 'show me markdown <img src=x onerror="window.__xss=1"> **please**');
    const mine = timeline.locator('li.mine', { hasText: 'show me markdown' });
    await mine.waitFor();
    // The HTML is text; the markdown is formatting.
    expect(await mine.locator('img').count()).toBe(0);
    expect(await mine.textContent()).toContain('<img src=x onerror="window.__xss=1">');
    expect(await mine.locator('strong').textContent()).toBe('please');
    // The whole reply, stored (not the bubble it streamed into).
    const reply = timeline.locator('li.agent:not(.streaming)', { hasText: 'the docs' });
    await reply.waitFor({ timeout: 10_000 });
    await reply.locator('pre code').filter({ hasText: 'npm test -- --reporter=dot' }).waitFor();
    expect(await reply.locator('strong').first().textContent()).toBe('Sure.');
    expect(await reply.locator('li').count()).toBe(2);
    const link = reply.locator('a', { hasText: 'the docs' });
    expect(await link.getAttribute('href')).toBe('https://example.com/docs');
    expect(await link.getAttribute('rel')).toContain('noopener');
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    expect(await mine.locator('time').textContent()).toMatch(/\d{1,2}:\d{2}/);

    await send(page, 'think slowly about it');
    await timeline.getByTestId('thinking').waitFor({ timeout: 5_000 });
    await timeline.locator('li.agent', { hasText: 'Done thinking.' }).waitFor({ timeout: 10_000 });
    await timeline.getByTestId('thinking').waitFor({ state: 'detached' });
    await page.close();
  }, 60_000);

  it('stop: a reply being generated stops, keeping what was said; no error notice', async () => {
    const page = await open(server.token);
    const timeline = page.getByTestId('timeline');
    await send(page, 'count to a hundred and fifty');
    const streaming = timeline.getByTestId('streaming');
    await streaming.filter({ hasText: 'n3' }).waitFor({ timeout: 10_000 });
    await streaming.getByTestId('stop').click();
    const reply = timeline.locator('li.agent', { hasText: /^.*n1 n2 n3/ }).last();
    await reply.waitFor({ timeout: 5_000 });
    await page.waitForTimeout(300);
    const text = (await reply.textContent()) ?? '';
    expect(text).not.toContain('n150');
    expect(await page.getByTestId('notice').count()).toBe(0);
    // The stopped reply is committed after the page shows it: wait for it (bounded), not a
    // fixed time (on a loaded machine the store still held the previous test's reply).
    let stored = '';
    await eventually(async () => {
      const last = (await server.kit.store.listEvents('lobby'))
        .filter((e) => e.source.channelId === 'agent')
        .at(-1);
      stored = last?.content.type === 'text' ? last.content.body : '';
      expect(stored).toMatch(/^n1 n2 n3/);
    });
    expect(stored).not.toContain('n150');
    await page.close();
  }, 60_000);

  it('events panel: index, time, source, participant, status (delivered, blocked by, failed), visibility and depth; a row expands into its hook trace', async () => {
    const page = await open(server.token, '&tab=events');
    await send(page, 'buy spam today');
    await send(page, 'please update the crm');
    const rows = page.getByTestId('panel-events').getByTestId('event-row');
    const blocked = rows.filter({ hasText: 'buy spam today' });
    await blocked
      .getByTestId('event-status')
      .filter({ hasText: 'blocked: spam-filter' })
      .waitFor({ timeout: 10_000 });
    const failed = rows.filter({ hasText: 'please update the crm' });
    await failed.getByTestId('event-status').filter({ hasText: 'failed: crm' }).waitFor({ timeout: 10_000 });
    const agent = rows.filter({ hasText: 'Noted.' }).first();
    await agent.getByTestId('event-status').filter({ hasText: 'delivered' }).waitFor({ timeout: 10_000 });
    const facts = await agent.textContent();
    expect(facts).toMatch(/#\d+/);
    expect(facts).toContain('visible to all');
    expect(facts).toContain('depth 1');
    expect(await failed.textContent()).toMatch(/web\s*admin/);

    await blocked.locator('.event-head').click();
    const trace = blocked.getByTestId('trace');
    await trace.waitFor();
    expect(await trace.textContent()).toMatch(/spam-filter\s*block.*ms\s*looks like spam/s);
    expect(await trace.textContent()).toContain('Delivered to no channel.');
    await failed.locator('.event-head').click();
    await failed.getByTestId('trace').filter({ hasText: 'crm' }).waitFor();
    expect(await failed.getByTestId('trace').textContent()).toMatch(
      /crm\s*failed.*1 attempt: crm: 422 unprocessable/s,
    );
    expect(await failed.getByTestId('trace').textContent()).toMatch(/spam-filter\s*allow/);
    await page.close();
  }, 60_000);

  it('channels panel: an operator mutes the agent and changes access from the page (channel-ops API); a room member sees them read-only', async () => {
    const page = await open(server.token, '&tab=channels');
    const panel = page.getByTestId('panel-channels');
    await panel.getByTestId('channel').filter({ hasText: 'agent' }).waitFor();
    expect(await panel.getByTestId('room-status').textContent()).toBe('active');
    await panel.getByTestId('muted-agent').check();
    await page
      .getByTestId('timeline')
      .locator('li.system', { hasText: 'channel muted (agent)' })
      .waitFor({ timeout: 10_000 });
    expect(await server.kit.getBinding('lobby', 'agent')).toMatchObject({ muted: true });
    await panel.getByTestId('access-crm').selectOption('read_only');
    await expect
      .poll(async () => (await server.kit.getBinding('lobby', 'crm'))?.access, { timeout: 10_000 })
      .toBe('read_only');
    await panel.getByTestId('visibility-crm').selectOption('transport');
    await expect
      .poll(async () => (await server.kit.getBinding('lobby', 'crm'))?.visibility, { timeout: 10_000 })
      .toBe('transport');
    await panel.getByTestId('muted-agent').uncheck();
    await expect
      .poll(async () => (await server.kit.getBinding('lobby', 'agent'))?.muted, { timeout: 10_000 })
      .toBe(false);

    const member = await open(ana, '&tab=channels');
    const theirs = member.getByTestId('panel-channels');
    await theirs.getByTestId('channel').filter({ hasText: 'crm' }).waitFor();
    expect(await theirs.getByTestId('muted-agent').isDisabled()).toBe(true);
    expect(await theirs.getByTestId('access-crm').inputValue()).toBe('read_only');
    expect(await theirs.textContent()).toContain('Read only');
    await member.close();
    await page.close();
    await server.kit.setAccess('lobby', 'crm', 'read_write');
    await server.kit.setVisibility('lobby', 'crm', 'all');
  }, 60_000);

  it('people panel: participants and their identities; a display name chosen on the page shows to others', async () => {
    const page = await open(ana, '&tab=people');
    await page.getByTestId('nav-rooms').isVisible();
    await page.getByTestId('display-name').fill('Ana Bell');
    await page.getByTestId('save-name').click();
    const people = page.getByTestId('panel-people');
    await people.getByTestId('person').filter({ hasText: 'Ana Bell' }).waitFor({ timeout: 10_000 });
    expect(await people.getByTestId('person').filter({ hasText: 'Ana Bell' }).textContent()).toMatch(
      /you.*id ana/s,
    );
    await send(page, 'hello from ana');
    const admin = await open(server.token, '&tab=people');
    await admin.getByTestId('panel-people').getByTestId('person').filter({ hasText: 'Ana Bell' }).waitFor();
    await admin
      .getByTestId('timeline')
      .locator('li', { hasText: 'hello from ana' })
      .locator('.who', { hasText: 'Ana Bell' })
      .waitFor();
    await admin.close();
    await page.close();
  }, 60_000);
});
