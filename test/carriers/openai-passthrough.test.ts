/**
 * OpenAI Realtime over Twilio, the most common phone setup: with `g711_ulaw` on both ends the
 * caller's mu-law reaches the model and the model's mu-law reaches the caller with no
 * resampler anywhere, byte for byte (every one of the 256 codes, -0 included).
 */
import { afterEach, expect, it, vi } from 'vitest';
import { RoomKit } from '../../src/index.js';
import { OpenAIRealtimeProvider } from '../../src/providers/openai/index.js';
import { TwilioMediaStreamBackend } from '../../src/providers/twilio/index.js';
import { RealtimeVoiceChannel } from '../../src/realtime/index.js';
import { FakeOpenAIRealtimeServer, FakeTwilioServer } from '../../src/testing/index.js';
import { mulawDecode } from '../../src/voice/audio/g711.js';
import { Resampler } from '../../src/voice/audio/resampler.js';
import { eventually } from '../conformance/backend.js';
import { memoryLogger } from '../backends/sip/helpers.js';
import { loopbackServer } from './loopback-server.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Every mu-law code, in a scrambled order, `repeat` times. */
function allCodes(repeat: number): Uint8Array {
  const out = new Uint8Array(256 * repeat);
  for (let i = 0; i < out.length; i++) out[i] = (i * 149 + 7) & 0xff;
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts.map((p) => Buffer.from(p))));
}

it('OpenAI Realtime over Twilio with g711_ulaw both ways: no resampler, bytes identical', async () => {
  // The model's answer: every code, as the model would send it (decoded here only for the fake's script).
  const modelCodes = allCodes(8); // 256 ms
  const openai = new FakeOpenAIRealtimeServer({
    turns: [
      {
        userTranscript: 'Is my order shipped?',
        reply: { audio: mulawDecode(modelCodes), chunks: 5, text: 'Yes.' },
      },
    ],
  });
  await openai.start();
  cleanup.push(() => openai.close());
  const twilio = new FakeTwilioServer();
  await twilio.start();
  cleanup.push(() => twilio.stop());
  const logger = memoryLogger();
  const backend = new TwilioMediaStreamBackend({
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    baseUrl: twilio.baseUrl,
    roomId: 'phone',
    logger,
  });
  const { http, origin } = await loopbackServer(cleanup);
  backend.attach(http);
  cleanup.push(() => backend.close());
  const kit = new RoomKit({ logger });
  cleanup.push(() => kit.close());
  const channel = new RealtimeVoiceChannel('phone-ai', {
    provider: new OpenAIRealtimeProvider({ apiKey: 'test-key', baseUrl: `${openai.url}/v1` }),
    transport: backend,
    inputSampleRate: 8000,
    outputSampleRate: 8000,
    providerConfig: { audioFormat: 'g711_ulaw' },
  });
  kit.registerChannel(channel);
  await kit.createRoom({ roomId: 'phone' });
  const created = vi.spyOn(Resampler, 'create');
  const processed = vi.spyOn(Resampler.prototype, 'process');

  const webhookUrl = `${origin}/carriers/twilio/answer`;
  const placed = await twilio.voice.placeCall({ webhookUrl, from: '+15551230001' });
  const call = placed.call!;
  await eventually(() => expect(channel.sessions[0]?.state).toBe('active'), 5000);
  const conn = openai.connections[0]!;
  expect(conn.state.session.audio.input.format).toEqual({ type: 'audio/pcmu' });
  expect(conn.state.session.audio.output.format).toEqual({ type: 'audio/pcmu' });

  // The caller: a loud stretch (the model's VAD hears speech), every code, then silence.
  const loud = new Uint8Array(2400).map((_, i) => (i % 2 ? 0x05 : 0x85));
  const callerCodes = concat([loud, allCodes(4), new Uint8Array(4800).fill(0xff)]);
  await call.streamWire(callerCodes);
  await eventually(() => {
    const appended = conn
      .messages((m) => m.type === 'input_audio_buffer.append')
      .map((m) => Buffer.from(m.audio, 'base64'));
    expect(Buffer.concat(appended).length).toBe(callerCodes.length);
  }, 5000);
  const appended = conn
    .messages((m) => m.type === 'input_audio_buffer.append')
    .map((m) => Buffer.from(m.audio, 'base64'));
  expect(Buffer.concat(appended).equals(Buffer.from(callerCodes))).toBe(true);

  // The model answered with every code: the caller receives exactly those bytes.
  await eventually(() => expect(call.receivedMs).toBeGreaterThanOrEqual(256), 5000);
  const deltas = conn.sent
    .map((r) => r.message)
    .filter((m) => m.type === 'response.output_audio.delta')
    .map((m) => Buffer.from(m.delta, 'base64'));
  expect(Buffer.concat(deltas).equals(Buffer.from(modelCodes))).toBe(true);
  const heard = Buffer.concat(call.received.map((r) => Buffer.from(r.payload)));
  expect(heard.equals(Buffer.from(modelCodes))).toBe(true);
  // No resampling anywhere on the way: transport, channel and provider all ran at 8 kHz.
  expect(created).not.toHaveBeenCalled();
  expect(processed).not.toHaveBeenCalled();
});
