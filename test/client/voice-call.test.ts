import type { Server } from 'node:http';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { mountWebRTC, WebRTCVoiceBackend } from '../../src/backends/webrtc/index.js';
import { AIChannel } from '../../src/channels/ai-channel.js';
import { WebSocketChannel } from '../../src/channels/websocket/websocket-channel.js';
import { RoomKit } from '../../src/core/roomkit.js';
import { ChannelCategory } from '../../src/models/index.js';
import { MockAIProvider } from '../../src/testing/mock-ai-provider.js';
import { MockSTTProvider } from '../../src/testing/mock-stt-provider.js';
import { MockTTSProvider } from '../../src/testing/mock-tts-provider.js';
import { WebSocketVoiceBackend } from '../../src/voice/backends/websocket-voice-backend.js';
import type { VoiceSession } from '../../src/voice/types.js';
import { VoiceChannel } from '../../src/voice/voice-channel.js';
import { eventually } from '../conformance/backend.js';
import { memoryLogger } from '../backends/webrtc/helpers.js';
import {
  epochNow,
  openTestPage,
  type PageServer,
  recorded,
  startPageServer,
  useMicBrowser,
} from './harness.js';

/** roomkit/client in headless Chromium: transports, fallback, refusals, text rooms. */
const TOKEN = 'page-token';
const authenticate = (_req: unknown, token: string | undefined) =>
  token === TOKEN ? { userId: 'ann' } : null;

const chromium = useMicBrowser('hello there', 0.5, 2);

interface Rig {
  kit: RoomKit;
  rtc: WebRTCVoiceBackend;
  ws: WebSocketVoiceBackend;
  server: PageServer;
  page: Page;
}

/** A room reachable by WebRTC (/rtc, unless `webrtc: false`) and WebSocket voice (/voice), and text (/ws). */
async function rig(opts: { webrtc?: boolean; rtcConnectTimeoutMs?: number } = {}): Promise<Rig> {
  const kit = new RoomKit({ logger: memoryLogger() });
  const rtc = new WebRTCVoiceBackend({
    iceHostAddresses: ['127.0.0.1'],
    channelId: 'voice-rtc',
    connectTimeoutMs: opts.rtcConnectTimeoutMs,
    logger: memoryLogger(),
  });
  const ws = new WebSocketVoiceBackend({ authenticate, channelId: 'voice-ws', logger: memoryLogger() });
  const speech = () => ({
    stt: new MockSTTProvider({ transcripts: ['hello there'] }),
    tts: new MockTTSProvider({ msPerChar: 60 }),
  });
  kit.registerChannel(new VoiceChannel('voice-rtc', { ...speech(), backend: rtc }));
  kit.registerChannel(new VoiceChannel('voice-ws', { ...speech(), backend: ws }));
  kit.registerChannel(
    new AIChannel('agent', { provider: new MockAIProvider({ responses: ['Hi Ann, nice to hear you.'] }) }),
  );
  const text = new WebSocketChannel('web', { authenticate });
  kit.registerChannel(text);
  await kit.createRoom({ roomId: 'lobby' });
  await kit.attachChannel('lobby', 'agent', { category: ChannelCategory.INTELLIGENCE });
  await kit.attachChannel('lobby', 'web');
  const server = await startPageServer((http: Server) => {
    if (opts.webrtc !== false) mountWebRTC(http, rtc, { authenticate });
    ws.attach(http);
    text.attach(http);
  });
  chromium.cleanup(
    () => kit.close(),
    () => ws.close(),
    () => server.close(),
  );
  const page = await openTestPage(chromium.browser, server.url);
  chromium.cleanup(() => page.close());
  return { kit, rtc, ws, server, page };
}

function startCall(page: Page, opts: Record<string, unknown> = {}) {
  return page.evaluate(
    (o) => (globalThis as any).startCall(o) as Promise<{ transport: string; sessionId: string }>,
    { roomId: 'lobby', token: TOKEN, ...opts },
  );
}

async function expectReplyPlayed(page: Page) {
  await page.waitForFunction(() => (globalThis as any).rk.maxOutput > -35, null, { timeout: 30_000 });
  const rec = await recorded(page);
  expect(rec.transcripts.some((t) => t.role === 'user' && t.text === 'hello there')).toBe(true);
}

describe('roomkit/client VoiceCall in headless Chromium', () => {
  it('talks over WebRTC by default', async () => {
    const { kit, page } = await rig();
    const started = await startCall(page);
    expect(started.transport).toBe('webrtc');
    await expectReplyPlayed(page);
    const events = await kit.store.listEvents('lobby');
    expect(events.some((e) => e.source.channelId === 'voice-rtc' && e.source.participantId === 'ann')).toBe(
      true,
    );
  }, 60_000);

  it('falls back to the WebSocket when the server has no WebRTC endpoint, and says so', async () => {
    const { kit, page } = await rig({ webrtc: false });
    const started = await startCall(page);
    expect(started.transport).toBe('websocket');
    const rec = await recorded(page);
    expect(rec.notices.map((n) => n.code)).toEqual(['webrtc_fallback']);
    await expectReplyPlayed(page);
    const events = await kit.store.listEvents('lobby');
    expect(events.some((e) => e.source.channelId === 'voice-ws')).toBe(true);
  }, 60_000);

  it('falls back when ICE cannot connect (UDP blocked), and hangs the dead WebRTC attempt up', async () => {
    const { rtc, page } = await rig();
    // The answer points at a port where nothing listens, and no candidate of the page gets through.
    await page.route('**/rtc', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const response = await route.fetch();
      const answer = await response.json();
      const sdp = answer.sdp
        .split('\r\n')
        .map((l: string) =>
          l.startsWith('a=candidate:') ? 'a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host' : l,
        )
        .join('\r\n');
      await route.fulfill({ response, json: { ...answer, sdp } });
    });
    await page.route('**/rtc/*', (route) =>
      route.request().method() === 'PATCH' ? route.fulfill({ status: 204 }) : route.continue(),
    );
    const started = await startCall(page, { connectTimeoutMs: 3000 });
    expect(started.transport).toBe('websocket');
    const rec = await recorded(page);
    expect(rec.notices[0]).toMatchObject({
      code: 'webrtc_fallback',
      message: expect.stringMatching(/3000 ms/),
    });
    // The failed attempt was hung up (DELETE), not left for the reaper.
    await eventually(() => expect(rtc.connectionCount).toBe(0), 3000);
    await expectReplyPlayed(page);
  }, 60_000);

  it('a refused token is final: no fallback, a typed error', async () => {
    const { ws, rtc, page } = await rig();
    const error = await page.evaluate(() =>
      (globalThis as any).startCall({ roomId: 'lobby', token: 'wrong' }).then(
        () => null,
        (e: any) => ({ name: e.name, status: e.status, code: e.code }),
      ),
    );
    expect(error).toEqual({ name: 'SignallingError', status: 401, code: 'unauthorized' });
    expect(ws.connections.size).toBe(0);
    expect(rtc.connectionCount).toBe(0);
    const rec = await recorded(page);
    expect(rec.states.at(-1)).toMatchObject({ state: 'ended' });
  }, 30_000);

  it('hangUp ends the server session (DELETE) and the call', async () => {
    const { rtc, page } = await rig();
    const gone: VoiceSession[] = [];
    rtc.onClientDisconnected((s) => gone.push(s));
    await startCall(page);
    await page.evaluate(() => (globalThis as any).call.hangUp());
    await eventually(() => expect(gone).toHaveLength(1), 5000);
    expect(rtc.connectionCount).toBe(0);
    const rec = await recorded(page);
    expect(rec.states.at(-1)).toMatchObject({ state: 'ended', reason: 'hung up' });
  }, 30_000);

  it('the first data-channel message after ready is not held back (werift Finished record number, regression)', async () => {
    const { rtc, page } = await rig();
    let session!: VoiceSession;
    rtc.onSessionReady((s) => {
      session = s;
    });
    await startCall(page);
    const sent: number[] = [];
    for (const text of ['one', 'two', 'three']) {
      await new Promise((r) => setTimeout(r, 150));
      sent.push(epochNow());
      await rtc.sendTranscription(session, text, 'assistant');
    }
    await page.waitForFunction(
      () => (globalThis as any).rk.transcripts.some((t: any) => t.text === 'three'),
      null,
      {
        timeout: 5000,
      },
    );
    const rec = await recorded(page);
    const arrivals = ['one', 'two', 'three'].map(
      (text, i) => rec.transcripts.find((t) => t.text === text)!.at - sent[i]!,
    );
    // Before the fix the first one waited out an SCTP retransmission (about 1 s).
    expect(Math.max(...arrivals)).toBeLessThan(500);
  }, 30_000);

  it('captures the microphone with the browser’s echo cancellation and gain control (why WebRTC declares NATIVE_AEC/AGC)', async () => {
    const { page } = await rig();
    const settings = await page.evaluate(async () => {
      const { DEFAULT_AUDIO } = (globalThis as any).rk.roomkit;
      const stream = await (globalThis as any).navigator.mediaDevices.getUserMedia({ audio: DEFAULT_AUDIO });
      const s = stream.getAudioTracks()[0]!.getSettings();
      for (const t of stream.getTracks()) t.stop();
      return {
        echoCancellation: s.echoCancellation,
        autoGainControl: s.autoGainControl,
        noiseSuppression: s.noiseSuppression,
      };
    });
    expect(settings).toEqual({ echoCancellation: true, autoGainControl: true, noiseSuppression: true });
  }, 30_000);
});

describe('roomkit/client RoomClient (text) in headless Chromium', () => {
  it('joins, sends, and receives its ack, the agent’s reply and other clients’ messages as events', async () => {
    const { kit, page } = await rig();
    const userId = await page.evaluate((token) => (globalThis as any).startClient({ token }, 'lobby'), TOKEN);
    expect(userId).toBe('ann');
    const stored = await page.evaluate(() => (globalThis as any).client.send('lobby', 'hi there'));
    expect(stored).toMatchObject({ roomId: 'lobby', content: { type: 'text', body: 'hi there' } });
    await page.waitForFunction(
      () => (globalThis as any).rk.messages.some((m: any) => m.content.body === 'Hi Ann, nice to hear you.'),
      null,
      { timeout: 10_000 },
    );
    await kit.sendEvent('lobby', 'agent', { type: 'text', body: 'a note from the server' });
    await page.waitForFunction(
      () => (globalThis as any).rk.messages.some((m: any) => m.content.body === 'a note from the server'),
      null,
      { timeout: 10_000 },
    );
    const refused = await page.evaluate(() =>
      (globalThis as any).client.join('nowhere').then(
        () => null,
        (e: any) => ({ name: e.name, code: e.code }),
      ),
    );
    expect(refused?.name).toBe('RoomClientError');
  }, 30_000);
});
