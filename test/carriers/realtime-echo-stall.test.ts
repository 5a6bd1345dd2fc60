/**
 * A speech-to-speech call on a carrier line that echoes the model's voice, on a server whose
 * event loop stalls. After a stall Node reads the sockets before it runs the timers that fell
 * due meanwhile, so the caller's audio of the stall reached the echo canceller before the
 * transport's pacer said what had played in that time: the reference stopped where the stall
 * began and the echo went on to the model as the caller (its server VAD would cut its own
 * answer). The realtime channel now has the transport catch its playback up first, as the
 * VoiceChannel does (VoiceBackend.catchUpPlayback), and places what the transport reports
 * played by its playout model (`lateMs`), not by when the callback ran.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RoomKit } from '../../src/index.js';
import { FliteTTSProvider } from '../../src/providers/local/index.js';
import { TwilioMediaStreamBackend } from '../../src/providers/twilio/index.js';
import { RealtimeVoiceChannel } from '../../src/realtime/index.js';
import { FakeTwilioServer, MockRealtimeProvider } from '../../src/testing/index.js';
import { loadResampler, Resampler } from '../../src/voice/audio/resampler.js';
import { EchoCanceller } from '../../src/voice/echo/echo-canceller.js';
import { SpeexAECProvider } from '../../src/voice/pipeline/speex-aec.js';
import { eventually } from '../conformance/backend.js';
import { memoryLogger } from '../backends/sip/helpers.js';
import { loopbackServer } from './loopback-server.js';

const ANSWER =
  'Your order left our warehouse this morning. It travels with the regional courier, ' +
  'who delivers between nine and five. You will get a text message one hour before the driver arrives.';
/** Frames a server VAD would take for speech: above the energy VAD's default (-41 dBFS). */
const LOUD_DBFS = -41;

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

let answer: Int16Array;
beforeAll(async () => {
  const chunk = await new FliteTTSProvider().synthesize(ANSWER);
  await loadResampler();
  const pcm = new Int16Array(chunk.data.slice().buffer);
  answer = new Resampler({ inputRate: chunk.sampleRate, outputRate: 8000 }).process(pcm);
}, 60_000);

function dbfs(pcm: Int16Array): number {
  let sum = 0;
  for (const v of pcm) sum += (v / 32768) ** 2;
  return 10 * Math.log10(sum / Math.max(1, pcm.length) + 1e-12);
}

/**
 * The model answers once over a Twilio call whose line returns what it played 120 ms later at
 * -6 dB, while this process's loop is blocked 190 ms once a second (under the carrier lead, so
 * the caller hears no gap). Returns the level of each frame forwarded to the model while the
 * answer and its echo played.
 */
async function answerOverStallingServer(opts: { catchUp: boolean; byPlayout: boolean }): Promise<number[]> {
  const twilio = new FakeTwilioServer();
  await twilio.start();
  cleanup.push(() => twilio.stop());
  twilio.voice.streamOptions = { lineEcho: { delayMs: 120, gainDb: -6 } };
  const backend = new TwilioMediaStreamBackend({
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    baseUrl: twilio.baseUrl,
    roomId: 'phone',
    logger: memoryLogger(),
  });
  // The controls: the transport no longer catches up, or what it played is placed at the
  // callback's arrival, as before the fix.
  if (!opts.catchUp) vi.spyOn(backend, 'catchUpPlayback').mockImplementation(() => {});
  if (!opts.byPlayout) {
    vi.spyOn(EchoCanceller.prototype, 'feedPlayed').mockImplementation(function (this: EchoCanceller, frame) {
      this.feedReference(frame);
    });
  }
  const { http, origin } = await loopbackServer(cleanup);
  backend.attach(http);
  cleanup.push(() => backend.close());
  const provider = new MockRealtimeProvider();
  const forwarded: { at: number; dbfs: number }[] = [];
  const send = provider.sendAudio.bind(provider);
  provider.sendAudio = (session, pcm) => {
    forwarded.push({ at: performance.now(), dbfs: dbfs(pcm) });
    send(session, pcm);
  };
  const kit = new RoomKit({ logger: memoryLogger() });
  cleanup.push(() => kit.close());
  const channel = new RealtimeVoiceChannel('phone-ai', {
    provider,
    transport: backend,
    inputSampleRate: 8000,
    outputSampleRate: 8000,
    aec: new SpeexAECProvider(),
  });
  kit.registerChannel(channel);
  await kit.createRoom({ roomId: 'phone' });

  const webhookUrl = `${origin}/carriers/twilio/answer`;
  // The line runs in its own process: sharing this loop, its playback would stall with ours.
  const placed = await twilio.voice.placeCallInOwnProcess({ webhookUrl, from: '+15551230001' });
  const line = placed.call!;
  cleanup.push(() => line.hangup());
  await eventually(() => expect(channel.sessions[0]?.state).toBe('active'), 10_000);
  const session = channel.sessions[0]!;
  // The canceller's delay estimate settles on the line before the answer.
  await new Promise((r) => setTimeout(r, 500));

  const stalls = setInterval(() => {
    const until = performance.now() + 190;
    while (performance.now() < until) {} // the event loop blocked, as under load
  }, 1000);
  cleanup.push(() => clearInterval(stalls));
  provider.simulateResponseStart(session);
  provider.simulateAudio(session, answer);
  provider.simulateResponseEnd(session);
  const answerMs = (answer.length / 8000) * 1000;
  await eventually(() => expect(line.receivedMs).toBeGreaterThanOrEqual(answerMs - 20), answerMs + 10_000);
  // The echo's tail comes back after the last frame plays.
  await new Promise((r) => setTimeout(r, 600));
  clearInterval(stalls);

  expect(line.clears).toEqual([]);
  const from = line.received[0]!.at + 300;
  const to = line.received.at(-1)!.at + 150;
  return forwarded.filter((f) => f.at >= from && f.at <= to).map((f) => f.dbfs);
}

describe('RealtimeVoiceChannel on a stalling server, over a line that echoes', () => {
  it('what is forwarded while the model speaks stays near-silence through the stalls', async () => {
    const levels = await answerOverStallingServer({ catchUp: true, byPlayout: true });
    expect(levels.length).toBeGreaterThan(200);
    expect(levels.filter((db) => db > LOUD_DBFS)).toEqual([]);
  }, 60_000);

  // The controls count echo the bug lets through, and how much depends on where each stall
  // falls in the answer: alone 9 to 17 frames in every run, but once, in a run of four test
  // files at a time, 2. A second try for them; the fixed case above gets none.
  it('control: without catching the playback up, the echo of each stall reaches the model', {
    timeout: 60_000,
    retry: 2,
  }, async () => {
    const levels = await answerOverStallingServer({ catchUp: false, byPlayout: true });
    // 9 to 17 loud frames in each of eleven runs (the fixed case: none, the loudest -120 dBFS).
    expect(levels.filter((db) => db > LOUD_DBFS).length).toBeGreaterThanOrEqual(5);
  });

  it('control: caught up, but placed where the callback ran, the echo still reaches the model', {
    timeout: 60_000,
    retry: 2,
  }, async () => {
    const levels = await answerOverStallingServer({ catchUp: true, byPlayout: false });
    // 9 to 28 in five runs.
    expect(levels.filter((db) => db > LOUD_DBFS).length).toBeGreaterThanOrEqual(5);
  });
});
