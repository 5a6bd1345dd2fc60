/**
 * `roomkit serve --max-voice-sessions / --max-voice-load`: one limit over every voice path. Past
 * it a WebSocket caller gets HTTP 503, a WebRTC offer (talk or speech-to-speech) 503 `at_capacity`, a phone (SIPp) SIP 503
 * with Retry-After, a call to a carrier number the carrier's reject markup; with voice workers the main process refuses before a worker sees the
 * socket, and the load that counts is the workers'.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCommandLine, UsageError } from '../../src/server/cli-options.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import {
  FakeTwilioServer,
  MockAIProvider,
  MockRealtimeProvider,
  postWebhook,
} from '../../src/testing/index.js';
import { memoryLogger } from '../backends/sip/helpers.js';
import { sippCaller } from '../backends/sip/sipp.js';
import { refusedUpgrade, saturateLoop } from '../helpers/admission.js';
import { eventually } from '../helpers/eventually.js';
import { openVoiceClient, type VoiceTestClient } from '../voice/backends/voice-ws-client.js';
import { createVoice } from './fixtures/mock-voice-module.js';

const voiceModule = new URL('./fixtures/mock-voice-module.ts', import.meta.url).href;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function serve(opts: Partial<Parameters<typeof startServer>[0]>): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rk-voice-admission-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startServer({
    port: 0,
    dbPath: join(dir, 'roomkit.db'),
    logger: memoryLogger(),
    aiProvider: new MockAIProvider({ responses: ['ok'] }),
    voice: createVoice(),
    realtime: false,
    ...opts,
  });
  cleanup.push(() => server.close());
  return server;
}

const voiceUrl = (server: RunningServer) => `${server.url.replace('http', 'ws')}/voice?token=${server.token}`;

async function call(server: RunningServer): Promise<VoiceTestClient> {
  const client = await openVoiceClient(voiceUrl(server));
  cleanup.push(() => client.socket.terminate());
  await client.sendJson({ type: 'start', roomId: 'lobby', sampleRate: 16000 });
  await client.next('ready', 10_000);
  return client;
}

describe('roomkit serve voice limits', () => {
  it('parses --max-voice-sessions, --max-voice-load and their variables, refusing nonsense', () => {
    expect(parseCommandLine(['serve'], {})).toMatchObject({ voiceAdmission: {} });
    expect(
      parseCommandLine(['serve', '--max-voice-sessions', '600', '--max-voice-load', '0.9'], {}),
    ).toMatchObject({ voiceAdmission: { maxSessions: 600, maxLoad: 0.9 } });
    expect(
      parseCommandLine(['serve'], { ROOMKIT_MAX_VOICE_SESSIONS: '40', ROOMKIT_MAX_VOICE_LOAD: '1' }),
    ).toMatchObject({ voiceAdmission: { maxSessions: 40, maxLoad: 1 } });
    for (const bad of [
      ['--max-voice-sessions', '0'],
      ['--max-voice-sessions', 'lots'],
      ['--max-voice-load', '0'],
      ['--max-voice-load', '1.5'],
      ['--max-voice-load', '90%'],
    ]) {
      expect(() => parseCommandLine(['serve', ...bad], {})).toThrow(UsageError);
    }
  });

  it('counts WebSocket calls against one limit that WebRTC and SIP callers meet too', async () => {
    const server = await serve({
      sip: { port: 0 },
      realtime: { provider: new MockRealtimeProvider(), label: 'mock realtime' },
      voiceAdmission: { maxSessions: 2 },
    });
    const first = await call(server);
    await call(server);

    const ws = await refusedUpgrade(voiceUrl(server));
    expect(ws.status).toBe(503);
    expect(ws.body.error?.code).toBe('at_capacity');

    const offer = await fetch(`${server.url}/rtc`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'offer', sdp: 'v=0', roomId: 'lobby' }),
    });
    expect(offer.status).toBe(503);
    expect(offer.headers.get('retry-after')).toBe('5');
    expect(((await offer.json()) as { error: { code: string } }).error.code).toBe('at_capacity');
    // The speech-to-speech path too.
    const realtime = await fetch(`${server.url}/rtc-realtime`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'offer', sdp: 'v=0', roomId: 'lobby' }),
    });
    expect(realtime.status).toBe(503);
    expect(((await realtime.json()) as { error: { code: string } }).error.code).toBe('at_capacity');

    const phone = await sippCaller('uac-503.xml', server.sip!.ports.udp!, cleanup, { service: 'lobby' });
    expect(phone.code, phone.errors).toBe(0);
    expect(phone.messages).toMatch(/SIP\/2.0 503 Service Unavailable[\s\S]*Retry-After: 5/);

    // A caller who hangs up frees a place.
    first.socket.terminate();
    await eventually(async () => {
      await call(server);
    }, 10_000);
  });

  it("answers a carrier's call past the limit with the carrier's reject markup", async () => {
    const twilio = new FakeTwilioServer({ phoneNumber: '+15005550006' });
    await twilio.start();
    cleanup.push(() => twilio.stop());
    vi.stubEnv('TWILIO_ACCOUNT_SID', twilio.accountSid);
    vi.stubEnv('TWILIO_AUTH_TOKEN', twilio.authToken);
    vi.stubEnv('TWILIO_PHONE_NUMBER', twilio.phoneNumber);
    vi.stubEnv('TWILIO_API_BASE_URL', twilio.baseUrl);
    cleanup.push(() => {
      vi.unstubAllEnvs();
    });
    const server = await serve({ voiceAdmission: { maxSessions: 1 } });
    const webhookUrl = `${server.url}/carriers/twilio/answer`;
    const answer = async () => {
      const signed = twilio.voice.answerRequest({ webhookUrl, from: '+15550107777' });
      return (await postWebhook(webhookUrl, signed.headers, signed.body)).response;
    };
    // Under the limit the call is answered with a stream; at it, refused.
    expect((await answer()).body).toContain('<Stream');
    expect((await answer()).body).toContain('<Reject');
  });

  it('with voice workers: refuses in the main process, and holds the load against the workers', async () => {
    const server = await serve({
      voiceModule,
      voiceWorkers: 1,
      voiceAdmission: { maxSessions: 1, maxLoad: 0.5 },
    });
    // This process (the main one) is flat out; the worker that would carry the call is idle,
    // so the call is taken. (Its loop, not ours, is what the call would load.)
    const stop = saturateLoop();
    cleanup.push(stop);
    await new Promise((r) => setTimeout(r, 2_200)); // two load readings, both busy here
    await call(server);
    stop();
    const refused = await refusedUpgrade(voiceUrl(server));
    expect(refused.status).toBe(503);
    expect(refused.body.error?.code).toBe('at_capacity');
    // The worker reports its call a moment after the caller heard `ready`.
    await eventually(() => expect(server.voiceWorkers?.sessionsPerWorker).toEqual([1]));
  });
});
