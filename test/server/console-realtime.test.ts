import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAIRealtimeProvider } from '../../src/providers/openai/index.js';
import { LocalAgentProvider, type RunningServer, startServer } from '../../src/server/index.js';
import { REALTIME_CHANNEL_ID, realtimeFromEnv } from '../../src/server/realtime-wiring.js';
import { FakeOpenAIRealtimeServer } from '../../src/testing/index.js';
import { ensureClientBuilt } from '../client/build-client.js';
import { fliteMic, launchWithMic, type MicFile } from '../client/harness.js';

let server: RunningServer;
let fake: FakeOpenAIRealtimeServer;
let browser: Browser;
let dir: string;
let mic: MicFile;

beforeAll(async () => {
  ensureClientBuilt(); // the Talk button is roomkit/client's VoiceCall, served from dist
  dir = mkdtempSync(join(tmpdir(), 'rk-console-realtime-'));
  mic = fliteMic('what time is it');
  fake = await new FakeOpenAIRealtimeServer({
    defaultTurn: {
      userTranscript: 'what time is it',
      reply: { text: 'It is noon.', audioMs: 1200, chunks: 6 },
    },
  }).start();
  server = await startServer({
    port: 0,
    dbPath: join(dir, 'roomkit.db'),
    aiProvider: new LocalAgentProvider(),
    voice: false,
    realtime: {
      provider: new OpenAIRealtimeProvider({ apiKey: 'test-key', baseUrl: `${fake.url}/v1` }),
      label: 'openai (fake)',
    },
  });
  browser = await launchWithMic(mic.path);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await fake?.close();
  mic?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('the console in realtime mode (speech-to-speech, fake OpenAI Realtime server)', () => {
  it('Talk connects the page to the realtime model over WebRTC; both sides land in the room and the session shows live', async () => {
    const caller = await server.issueToken({ user: 'caller', rooms: ['lobby'] });
    const page = await browser.newPage();
    await page.goto(`${server.url}/?token=${caller}&room=lobby&tab=voice`);
    await page.getByTestId('status').filter({ hasText: 'connected' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('talk').click();
    await page
      .getByTestId('voice-status')
      .filter({ hasText: 'talking (realtime, webrtc)' })
      .waitFor({ timeout: 20_000 });
    const timeline = page.getByTestId('timeline');
    await timeline.locator('li', { hasText: 'what time is it' }).first().waitFor({ timeout: 45_000 });
    await timeline.locator('li', { hasText: 'It is noon.' }).first().waitFor({ timeout: 20_000 });
    await page
      .getByTestId('panel-voice')
      .getByTestId('voice-session')
      .filter({ hasText: REALTIME_CHANNEL_ID })
      .getByTestId('voice-state')
      .filter({ hasText: 'live' })
      .waitFor({ timeout: 10_000 });
    const events = await server.kit.store.listEvents('lobby');
    expect(events.some((e) => e.source.channelId === REALTIME_CHANNEL_ID)).toBe(true);
    expect(fake.connections.length).toBeGreaterThan(0);
    await page.getByTestId('talk').click();
    await page.getByTestId('voice-status').filter({ hasText: 'voice off' }).waitFor({ timeout: 10_000 });
    await page.close();
  }, 120_000);

  it('picks the realtime provider whose key is set, and none without one', async () => {
    const pick = async (env: NodeJS.ProcessEnv) => (await realtimeFromEnv(env))?.label;
    expect(await pick({ OPENAI_API_KEY: 'k' })).toBe('openai gpt-realtime');
    expect(await pick({ GEMINI_API_KEY: 'k' })).toBe('gemini live');
    expect(await pick({ GOOGLE_API_KEY: 'k' })).toBe('gemini live');
    expect(await pick({ XAI_API_KEY: 'k' })).toBe('xai grok voice');
    expect(await pick({ ELEVENLABS_AGENT_ID: 'agent_1' })).toBe('elevenlabs agents');
    expect(await pick({ OPENAI_API_KEY: 'k', ROOMKIT_REALTIME: 'off' })).toBeUndefined();
    expect(await pick({})).toBeUndefined();
  });
});
