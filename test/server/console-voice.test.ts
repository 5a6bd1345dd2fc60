import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LocalAgentProvider,
  type RunningServer,
  startServer,
  WEBRTC_VOICE_CHANNEL_ID,
} from '../../src/server/index.js';
import { ensureClientBuilt } from '../client/build-client.js';
import { fliteMic, launchWithMic, type MicFile } from '../client/harness.js';

let server: RunningServer;
let browser: Browser;
let dir: string;
let mic: MicFile;

beforeAll(async () => {
  ensureClientBuilt(); // the console imports /client/roomkit-client.js from dist
  dir = mkdtempSync(join(tmpdir(), 'rk-voice-console-'));
  // What the fake microphone says: flite's rms voice, padded with silence so the turn ends.
  mic = fliteMic('what time is it');
  server = await startServer({
    port: 0,
    dbPath: join(dir, 'roomkit.db'),
    aiProvider: new LocalAgentProvider(),
  });
  browser = await launchWithMic(mic.path);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  mic?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('web console voice (headless Chromium, fake microphone, offline speech)', () => {
  it('what the microphone says is transcribed, answered, and the reply audio plays in the page', async () => {
    const page = await browser.newPage();
    await page.goto(
      `${server.url}/?token=${await server.issueToken({ user: 'caller', rooms: ['lobby'] })}&room=lobby`,
    );
    await page.getByTestId('status').filter({ hasText: 'connected' }).waitFor();
    await page.getByTestId('talk').click();
    // The talk button uses WebRTC by default (roomkit/client), the console's token authenticating the offer.
    await page
      .getByTestId('voice-status')
      .filter({ hasText: 'talking (webrtc)' })
      .waitFor({ timeout: 15_000 });
    const transcript = page.getByTestId('voice-transcript');
    await transcript
      .filter({ hasText: /you: .*time/ })
      .waitFor({ timeout: 45_000 })
      .catch(async (error) => {
        const heard = (await server.kit.store.listEvents('lobby')).map((e) => JSON.stringify(e.content));
        throw new Error(
          `${error.message}\nlive transcript: ${await transcript.textContent()}\nroom: ${heard.join('\n')}`,
        );
      });
    // The agent's spoken reply plays in the page (half a second of it above -50 dBFS).
    const received = page.getByTestId('voice-received');
    await page.waitForFunction(
      (el) => Number(el?.getAttribute('data-heard-ms')) > 500,
      await received.elementHandle(),
      { timeout: 30_000 },
    );
    // Both sides are in the room's timeline (and the store).
    await page
      .getByTestId('timeline')
      .locator('li.agent', { hasText: 'It is' })
      .first()
      .waitFor({ timeout: 15_000 });
    const events = await server.kit.store.listEvents('lobby');
    // The looping microphone may be cut mid-sentence at first: look for the whole question.
    const spoken = events.find(
      (e) =>
        e.source.channelId === WEBRTC_VOICE_CHANNEL_ID &&
        e.content.type === 'text' &&
        /time/.test(e.content.body),
    );
    expect(spoken?.content.type === 'text' && spoken.content.body).toMatch(/time/);
    expect(spoken?.source.participantId).toBe('caller');
    await page.close();
  }, 90_000);
});
