import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoiceSession } from '../../src/index.js';
import type { RunningServer } from '../../src/server/index.js';
import { MockSTTProvider, MockTTSProvider } from '../../src/testing/index.js';
import { EnergyVADProvider, MockVoiceBackend, VoiceChannel } from '../../src/voice/index.js';
import { launchChromium } from '../helpers/browser.js';
import { quietFrame, speechFrame } from '../voice/channel/helpers.js';
import { horizontalOverflow, inspectorServer, openConsole, SHOTS, visibleBox } from './console-fixtures.js';

let server: RunningServer;
let browser: Browser;
let dir: string;
let backend: MockVoiceBackend;
let session: VoiceSession;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rk-console-layout-'));
  server = await inspectorServer(join(dir, 'roomkit.db'), 40);
  const kit = server.kit;
  // A phone line in the lobby: a mock transport the test speaks into, real voice channel and hooks.
  backend = new MockVoiceBackend({ playbackRealtime: false });
  kit.registerChannel(
    new VoiceChannel('phone', {
      stt: new MockSTTProvider({ transcripts: ['what is the weather like'], streaming: true }),
      tts: new MockTTSProvider({ msPerChar: 25 }),
      backend,
      pipeline: { vad: new EnergyVADProvider({ threshold: 300, minSpeechMs: 60, silenceMs: 200 }) },
    }),
  );
  // Conversation for the screenshots: markdown, a blocked message, a failed delivery, a long word.
  for (const body of [
    'show me markdown',
    'buy spam now',
    'tell the crm',
    'a-very-long-unbroken-word-'.repeat(8),
  ])
    await kit.sendEvent('lobby', 'web', { type: 'text', body }, { senderId: 'admin' });
  await kit.waitForIdle();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(width: number, height: number, query = ''): Promise<Page> {
  const page = await openConsole(browser, server.url, server.token, { width, height, query });
  await page.getByTestId('timeline').locator('li.agent', { hasText: 'Sure.' }).waitFor({ timeout: 10_000 });
  return page;
}

const raf = { polling: 'raf' as const, timeout: 15_000 };

describe('the console: voice panel (a live session through the voice channel hooks)', () => {
  it("state, the VAD speaking, interim transcripts, the agent speaking, levels, and each turn's latency with p50/p95", async () => {
    const page = await open(1280, 800, '&tab=voice');
    session = await server.kit.connectVoice('lobby', 'caller', 'phone');
    const panel = page.getByTestId('panel-voice');
    const card = panel.getByTestId('voice-session').filter({ hasText: 'caller' });
    await card.getByTestId('voice-state').filter({ hasText: 'live' }).waitFor({ timeout: 10_000 });
    for (let i = 0; i < 15; i++) await backend.simulateAudioReceived(session, speechFrame());
    await page.waitForFunction(
      () =>
        (globalThis as any).document.querySelector('[data-testid=vad]')?.getAttribute('data-on') === 'true',
      undefined,
      raf,
    );
    // Interim words, then the agent speaking (caught as they happen).
    const heardInterim = page.waitForFunction(
      () =>
        /what is/.test(
          (globalThis as any).document.querySelector('[data-testid=interim]')?.textContent ?? '',
        ),
      undefined,
      raf,
    );
    const agentSpoke = page.waitForFunction(
      () =>
        (globalThis as any).document
          .querySelector('[data-testid=agent-speaking]')
          ?.getAttribute('data-on') === 'true',
      undefined,
      raf,
    );
    for (let i = 0; i < 25; i++) await backend.simulateAudioReceived(session, quietFrame());
    await heardInterim;
    await agentSpoke;
    const stats = card.getByTestId('latency-stats');
    await stats.waitFor({ timeout: 15_000 });
    const rows = await stats.locator('tbody tr').allTextContents();
    expect(rows.map((r) => r.replace(/\d+ ms.*$/, '').trim())).toEqual([
      'final transcript',
      'first LLM token',
      'first TTS audio',
      'first audio played',
    ]);
    for (const row of rows) expect(row).toMatch(/\d+ ms\d+ ms$/);
    expect(await card.getByTestId('latency-chart').locator('rect').count()).toBe(4);
    await page.screenshot({ path: join(SHOTS, 'voice-1280.png') });
    await page.close();
  }, 60_000);
});

describe('the console layout: screenshots at 1280 and 390 px', () => {
  const tabs = ['events', 'channels', 'people', 'voice'] as const;

  it('1280 px: rooms, conversation and inspector side by side, every tab, no horizontal overflow', async () => {
    const page = await open(1280, 800);
    for (const tab of tabs) {
      await page.getByTestId(`tab-${tab}`).click();
      await page.getByTestId(`panel-${tab}`).locator(':scope > *').first().waitFor();
      expect(await visibleBox(page, `panel-${tab}`)).toBe(true);
      expect(await visibleBox(page, 'panel-chat')).toBe(true);
      expect(await visibleBox(page, 'panel-rooms')).toBe(true);
      await page.screenshot({ path: join(SHOTS, `1280-${tab}.png`) });
      expect(await horizontalOverflow(page)).toEqual([]);
    }
    await page.close();
  }, 60_000);

  it('390 px: one view at a time from the top bar, each fills the screen, no horizontal overflow', async () => {
    const page = await open(390, 844);
    for (const view of ['chat', 'rooms', ...tabs]) {
      await page.getByTestId(`nav-${view}`).click();
      const panel = `panel-${view}`;
      await page.getByTestId(panel).locator(':scope > *').first().waitFor();
      expect(await visibleBox(page, panel)).toBe(true);
      const box = (await page.getByTestId(panel).boundingBox())!;
      expect(box.width).toBeGreaterThan(380);
      await page.screenshot({ path: join(SHOTS, `390-${view}.png`) });
      expect(await horizontalOverflow(page)).toEqual([]);
    }
    // The chat is usable at this width: the composer and send button are on screen.
    await page.getByTestId('nav-chat').click();
    const send = (await page.getByTestId('send').boundingBox())!;
    expect(send.x + send.width).toBeLessThanOrEqual(390);
    await page.close();
  }, 60_000);
});
