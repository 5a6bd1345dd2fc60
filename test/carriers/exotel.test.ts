import { afterEach, expect, it } from 'vitest';
import { RoomKit } from '../../src/index.js';
import { eventually } from '../conformance/backend.js';
import { memoryLogger } from '../backends/sip/helpers.js';
import type { VoiceSession } from '../../src/voice/index.js';
import { ExotelMediaStreamBackend } from '../../src/providers/exotel/index.js';
import { FakeExotelServer } from '../../src/testing/index.js';
import { describeCarrierConformance } from './conformance.js';

const wrongBasic = `Basic ${Buffer.from('someone:guessing').toString('base64')}`;

describeCarrierConformance({
  carrier: 'exotel',
  sampleRate: 8000,
  frameMs: 100,
  signatureHeaders: ['authorization'],
  async start() {
    const fake = new FakeExotelServer();
    await fake.start();
    return {
      voice: fake.voice,
      createBackend: (opts) =>
        new ExotelMediaStreamBackend({
          ...opts,
          accountSid: fake.accountSid,
          apiKey: fake.apiKey,
          apiToken: fake.apiToken,
          baseUrl: fake.baseUrl,
          cpaasBaseUrl: fake.baseUrl,
          fromNumber: fake.phoneNumber,
        }),
      stop: () => fake.stop(),
    };
  },
  // Exotel signs nothing: "wrong" is a request with the wrong Basic credentials.
  tamper: (req) => ({ ...req, headers: { ...req.headers, authorization: wrongBasic } }),
  upgradeMatrix: (url) => ({
    missing: { url, headers: {} },
    wrong: { url, headers: { authorization: wrongBasic } },
  }),
});

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

it('a Voicebot applet with a static stream URL: Basic auth on the handshake, the call routed by its start message, one stream per call', async () => {
  const fake = new FakeExotelServer();
  await fake.start();
  cleanup.push(() => fake.stop());
  const rooms: string[] = [];
  const backend = new ExotelMediaStreamBackend({
    accountSid: fake.accountSid,
    apiKey: fake.apiKey,
    apiToken: fake.apiToken,
    baseUrl: fake.baseUrl,
    logger: memoryLogger(),
    routeCall: (call) => {
      rooms.push(`${call.from}->${call.to}`);
      return { roomId: 'exotel-room' };
    },
  });
  const port = await backend.listen(0);
  cleanup.push(() => backend.close());
  const kit = new RoomKit({ logger: memoryLogger() });
  cleanup.push(() => kit.close());
  const ready: VoiceSession[] = [];
  backend.onSessionReady((s) => ready.push(s));
  const url = `ws://127.0.0.1:${port}/carriers/exotel/stream`;

  const refused = fake.voice.openStream(
    url,
    { callId: 'c0', from: '+919800000001', to: fake.phoneNumber },
    { authorization: wrongBasic },
  );
  await expect(refused.opened).rejects.toThrow(/403/);

  const stream = await fake.voice.streamCall(url, {
    callId: 'call-1',
    from: '+919800000001',
    to: fake.phoneNumber,
    parameters: { lang: 'hi' },
  });
  await eventually(() => expect(ready).toHaveLength(1), 5000);
  expect(ready[0]!.roomId).toBe('exotel-room');
  expect(ready[0]!.metadata).toMatchObject({
    callId: 'call-1',
    phone: '+919800000001',
    parameters: { lang: 'hi' },
  });
  expect(rooms).toEqual([`+919800000001->${fake.phoneNumber}`]);

  // A second stream claiming the same live call is closed without a session.
  const copy = await fake.voice.streamCall(url, {
    callId: 'call-1',
    from: '+919800000001',
    to: fake.phoneNumber,
  });
  expect(await copy.closed).toBe(1008);
  expect(ready).toHaveLength(1);
  await stream.hangup();
});
