import { afterEach, expect, it } from 'vitest';
import { TelnyxMediaStreamBackend } from '../../src/providers/telnyx/index.js';
import type { VoiceSession } from '../../src/voice/index.js';
import { eventually } from '../conformance/backend.js';
import { memoryLogger } from '../backends/sip/helpers.js';
import { FakeTelnyxServer } from '../../src/testing/index.js';
import { describeCarrierConformance, question } from './conformance.js';

describeCarrierConformance({
  carrier: 'telnyx',
  sampleRate: 8000,
  frameMs: 20,
  signatureHeaders: ['telnyx-signature-ed25519', 'telnyx-timestamp'],
  async start() {
    const fake = new FakeTelnyxServer();
    await fake.start();
    return {
      voice: fake.voice,
      createBackend: (opts) =>
        new TelnyxMediaStreamBackend({
          ...opts,
          apiKey: fake.apiKey,
          publicKey: fake.publicKey,
          baseUrl: fake.baseUrl,
          fromNumber: fake.phoneNumber,
          connectionId: 'connection-1',
        }),
      stop: () => fake.stop(),
    };
  },
  tamper: (req) => ({
    ...req,
    body: req.body.replace(encodeURIComponent(req.from), encodeURIComponent('+15550000000')),
  }),
  // Telnyx signs no upgrade: the stream URL's one-time token is the credential.
  upgradeMatrix: (url) => ({
    missing: { url: url.slice(0, url.lastIndexOf('/')), headers: {} },
    wrong: { url: `${url.slice(0, url.lastIndexOf('/'))}/not-the-token`, headers: {} },
  }),
});

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

it('wideband: L16 at 16 kHz in network byte order, both ways', async () => {
  const fake = new FakeTelnyxServer();
  await fake.start();
  cleanup.push(() => fake.stop());
  const backend = new TelnyxMediaStreamBackend({
    apiKey: fake.apiKey,
    publicKey: fake.publicKey,
    baseUrl: fake.baseUrl,
    codec: 'L16',
    roomId: 'wide',
    logger: memoryLogger(),
  });
  const port = await backend.listen(0);
  cleanup.push(() => backend.close());
  const ready: VoiceSession[] = [];
  const heard: number[] = [];
  backend.onSessionReady((s) => ready.push(s));
  backend.onAudioReceived((_s, f) => heard.push(...f.data));
  const { webhook, call } = await fake.voice.placeCall({
    webhookUrl: `http://127.0.0.1:${port}/carriers/telnyx/answer`,
    from: '+15551230001',
  });
  expect(webhook.response.body).toContain('bidirectionalCodec="L16"');
  await eventually(() => expect(ready).toHaveLength(1), 5000);
  expect(backend.sampleRateFor(ready[0]!)).toBe(16000);
  // The caller's audio arrives sample for sample (L16 is lossless).
  const sent = question(16000).subarray(0, 3200);
  await call!.streamAudio(sent);
  await eventually(() => expect(heard.length).toBe(sent.length), 5000);
  expect(Int16Array.from(heard)).toEqual(sent);
  // Ours reaches the caller as 20 ms frames of 640 bytes, big-endian, the same samples.
  const reply = question(16000).slice(0, 1600);
  await backend.sendAudio(ready[0]!, {
    data: new Uint8Array(reply.buffer),
    sampleRate: 16000,
    channels: 1,
    format: 'pcm_s16le',
  });
  await eventually(() => expect(call!.receivedPcm().length).toBe(reply.length), 5000);
  expect(call!.received[0]!.payload.byteLength).toBe(640);
  const [hi, lo] = [call!.received[0]!.payload[2], call!.received[0]!.payload[3]];
  expect([hi, lo]).toEqual([(reply[1]! >> 8) & 0xff, reply[1]! & 0xff]); // network byte order
  expect(call!.receivedPcm()).toEqual(reply);
});
