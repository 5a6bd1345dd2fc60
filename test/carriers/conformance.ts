/**
 * The carrier media-stream conformance suite: every carrier backend runs it against its own
 * fake carrier (real HTTP and WebSocket on 127.0.0.1), so the same acceptance holds for
 * Twilio, Telnyx, Plivo, Vonage and Exotel: a full call through a VoiceChannel, barge-in that
 * truncates a realtime model where the caller stopped hearing, DTMF, both hang-ups, transfer,
 * dialing out, and the signature matrix on the webhook and the stream upgrade.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AIChannel, ChannelCategory, HookTrigger, RoomKit } from '../../src/index.js';
import { RealtimeVoiceChannel } from '../../src/realtime/index.js';
import {
  CARRIER_LEAD_MS,
  type MediaStreamBackend,
  type MediaStreamBackendOptions,
  writeCallNotices,
} from '../../src/providers/shared/media-stream/index.js';
import {
  type FakeCarrierVoice,
  type FakeStreamCall,
  type FakeWebhookRequest,
  MockAIProvider,
  MockRealtimeProvider,
  MockSTTProvider,
  MockTTSProvider,
  postWebhook,
} from '../../src/testing/index.js';
import { EnergyVADProvider, encodeWav, VoiceChannel, type VoiceSession } from '../../src/voice/index.js';
import { eventually } from '../conformance/backend.js';
import { loopbackServer } from './loopback-server.js';
import { memoryLogger } from '../backends/sip/helpers.js';

export interface CarrierFake {
  voice: FakeCarrierVoice;
  createBackend(opts: MediaStreamBackendOptions): MediaStreamBackend;
  stop(): Promise<void>;
}

export interface CarrierConformanceDriver {
  carrier: string;
  start(): Promise<CarrierFake>;
  /** A copy of a signed request that no longer verifies (tampered body, wrong key or password). */
  tamper(req: FakeWebhookRequest): FakeWebhookRequest;
  /** Headers that carry the webhook's signature (dropped for the "missing" case). */
  signatureHeaders: string[];
  /** Rate and frame of the stream's audio. */
  sampleRate: number;
  frameMs: number;
  /** The upgrade with its credential missing, and with a wrong one. */
  upgradeMatrix(url: string, voice: FakeCarrierVoice): { missing: Upgrade; wrong: Upgrade };
  /** Webhook path of the answer (default `<base>/answer`). */
  answerPath?: string;
}

export interface Upgrade {
  url: string;
  headers: Record<string, string>;
}

const CALLER = '+15551230001';
const QUESTION_MS = 700;

/** A voiced "question" (a tone the energy VAD hears) and the silence that ends the turn. */
export function question(sampleRate: number): Int16Array {
  const out = new Int16Array(Math.round((sampleRate * (QUESTION_MS + 900)) / 1000));
  const voiced = Math.round((sampleRate * QUESTION_MS) / 1000);
  for (let i = 0; i < out.length; i++) {
    out[i] = i < voiced ? Math.round(6000 * Math.sin((2 * Math.PI * 220 * i) / sampleRate)) : (i % 7) - 3;
  }
  return out;
}

export function describeCarrierConformance(driver: CarrierConformanceDriver): void {
  describe(`carrier media-stream conformance: ${driver.carrier}`, () => {
    const cleanup: (() => Promise<unknown> | unknown)[] = [];
    afterEach(async () => {
      for (const fn of cleanup.splice(0).reverse()) await fn();
    });

    async function rig() {
      const fake = await driver.start();
      cleanup.push(() => fake.stop());
      const { http, origin } = await loopbackServer(cleanup);
      const logger = memoryLogger();
      const backend = fake.createBackend({ publicUrl: origin, logger, roomId: 'support' });
      backend.attach(http);
      const kit = new RoomKit({ logger });
      cleanup.push(() => kit.close());
      cleanup.push(() => backend.close());
      writeCallNotices(kit, backend);
      await kit.createRoom({ roomId: 'support' });
      const webhookUrl = `${origin}${driver.answerPath ?? `${backend.basePath}/answer`}`;
      return { fake, backend, kit, origin, webhookUrl, logger };
    }

    async function voiceRig() {
      const r = await rig();
      const tts = new MockTTSProvider({ msPerChar: 40 });
      const voice = new VoiceChannel('phone', {
        stt: new MockSTTProvider({ transcripts: ['where is my order'] }),
        tts,
        backend: r.backend,
        pipeline: { vad: new EnergyVADProvider({ threshold: 300, minSpeechMs: 60, silenceMs: 300 }) },
      });
      r.kit.registerChannel(voice);
      r.kit.registerChannel(
        new AIChannel('ai', { provider: new MockAIProvider({ responses: ['It ships today.'] }) }),
      );
      await r.kit.attachChannel('support', 'ai', { category: ChannelCategory.INTELLIGENCE });
      const started: VoiceSession[] = [];
      r.kit.hook(
        HookTrigger.ON_SESSION_STARTED,
        (p: { session: VoiceSession }) => void started.push(p.session),
      );
      return { ...r, voice, tts, started };
    }

    async function call(r: { fake: CarrierFake; webhookUrl: string }): Promise<FakeStreamCall> {
      const placed = await r.fake.voice.placeCall({ webhookUrl: r.webhookUrl, from: CALLER });
      expect(placed.webhook.response.status).toBe(200);
      expect(placed.call).toBeDefined();
      return placed.call!;
    }

    async function texts(kit: RoomKit): Promise<string[]> {
      return (await kit.store.listEvents('support')).map((e) =>
        e.content.type === 'text' ? e.content.body : e.content.type === 'system' ? `[${e.content.code}]` : '',
      );
    }

    it('a full call: question audio -> transcript in the room -> AI reply -> audio back, paced at 20 ms with marks', async () => {
      const r = await voiceRig();
      const stream = await call(r);
      await eventually(() => expect(r.started).toHaveLength(1), 5000);
      const session = r.started[0]!;
      expect(session.roomId).toBe('support');
      expect(session.participantId).toBe(CALLER);
      expect(session.metadata).toMatchObject({
        carrier: driver.carrier,
        phone: CALLER,
        direction: 'inbound',
      });
      expect(typeof session.metadata.callId).toBe('string');
      // The question as a WAV recording (16 kHz): the fake encodes it the way the carrier does.
      await stream.streamAudio(encodeWav(question(16000), { sampleRate: 16000 }));
      await eventually(async () => {
        expect(await texts(r.kit)).toEqual(['[call_started]', 'where is my order', 'It ships today.']);
      }, 10_000);
      // About 40 ms per character of reply comes back down the line.
      await eventually(() => expect(stream.receivedMs).toBeGreaterThanOrEqual(500), 5000);
      const frameBytes =
        (driver.sampleRate / 1000) * driver.frameMs * (stream.dialect.encoding === 'mulaw' ? 1 : 2);
      for (const frame of stream.received.slice(0, -1)) expect(frame.payload.byteLength).toBe(frameBytes);
      // Paced, not a burst: the reply took its own duration to arrive, less what ran ahead.
      const spanMs = stream.received.at(-1)!.at - stream.received[0]!.at;
      expect(spanMs).toBeGreaterThan(stream.receivedMs - CARRIER_LEAD_MS - 60);
      // Every frame was followed by a mark, and the fake echoed them as it played.
      expect(stream.marks.length).toBe(stream.received.length);
      await eventually(() => expect(stream.marks.every((m) => m.echoedAt !== undefined)).toBe(true), 5000);
      const rt = r.voice.getRuntime(session.id);
      expect(rt).toBeDefined();
    });

    it('barge-in sends clear, and the realtime provider is truncated where the caller stopped hearing (marks)', async () => {
      const r = await rig();
      const provider = new MockRealtimeProvider();
      const rtChannel = new RealtimeVoiceChannel('phone-rt', {
        provider,
        transport: r.backend,
        inputSampleRate: driver.sampleRate,
        outputSampleRate: driver.sampleRate,
      });
      r.kit.registerChannel(rtChannel);
      // The carrier holds 300 ms before playing: our own clock would think the caller heard more.
      r.fake.voice.streamOptions = { playoutDelayMs: 300 };
      const stream = await call(r);
      await eventually(() => expect(rtChannel.sessions[0]?.state).toBe('active'), 5000);
      const session = rtChannel.sessions[0]!;
      const tone = new Int16Array(driver.sampleRate * 3);
      for (let i = 0; i < tone.length; i++)
        tone[i] = Math.round(5000 * Math.sin((2 * Math.PI * 440 * i) / driver.sampleRate));
      provider.simulateAudio(session, tone, { itemId: 'item-1' });
      await eventually(() => expect(stream.playedMs).toBeGreaterThan(600), 5000);
      provider.simulateInterruption(session, { itemId: 'item-1' });
      await eventually(() => expect(stream.clears).toHaveLength(1), 2000);
      const interrupts = provider.callsTo('interrupt');
      expect(interrupts).toHaveLength(1);
      const truncatedAt = (interrupts[0]!.args[0] as { playedMs: number }).playedMs;
      // Where the carrier's marks say playback was: at most what the fake had played when the
      // clear reached it, and behind it by no more than a frame and the trip of the messages
      // (not by the 300 ms the carrier held back, which is where our own clock would put it).
      const playedAtClear = stream.clears[0]!.playedMs;
      expect(truncatedAt).toBeLessThanOrEqual(playedAtClear + 5);
      expect(playedAtClear - truncatedAt).toBeLessThanOrEqual(driver.frameMs + 100);
      // Nothing more of the cut answer reaches the caller.
      const after = stream.received.length;
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(stream.received.length).toBe(after);
    });

    it('DTMF digits reach ON_DTMF', async () => {
      const r = await voiceRig();
      const digits: string[] = [];
      r.kit.hook(HookTrigger.ON_DTMF, (p: { digit: string }) => void digits.push(p.digit));
      const stream = await call(r);
      await eventually(() => expect(r.started).toHaveLength(1), 5000);
      for (const digit of ['4', '2', '#']) stream.sendDtmf(digit);
      await eventually(() => expect(digits).toEqual(['4', '2', '#']), 5000);
    });

    it("the carrier's hang-up ends the session and writes a system event in the room", async () => {
      const r = await voiceRig();
      const ended: { reason: string }[] = [];
      r.kit.hook(HookTrigger.ON_SESSION_ENDED, (p: { reason: string }) => void ended.push(p));
      const stream = await call(r);
      await eventually(() => expect(r.started).toHaveLength(1), 5000);
      await stream.hangup();
      await eventually(() => expect(ended.map((e) => e.reason)).toEqual(['client_disconnected']), 5000);
      expect(r.backend.listSessions('support')).toEqual([]);
      await eventually(async () => {
        const notice = (await r.kit.store.listEvents('support')).find(
          (e) => e.content.type === 'system' && e.content.code === 'call_ended',
        );
        expect(notice?.content).toMatchObject({ data: { carrier: driver.carrier, by: 'caller' } });
      }, 5000);
      expect(r.fake.voice.commands).toEqual([]);
    });

    it("our hang-up reaches the carrier's REST API and closes the stream", async () => {
      const r = await voiceRig();
      const stream = await call(r);
      await eventually(() => expect(r.started).toHaveLength(1), 5000);
      const session = r.started[0]!;
      await r.backend.hangup(session);
      await eventually(
        () =>
          expect(r.fake.voice.commands).toMatchObject([
            { action: 'hangup', callId: session.metadata.callId },
          ]),
        5000,
      );
      await stream.closed;
      await eventually(async () => expect(await texts(r.kit)).toContain('[call_ended]'), 5000);
    });

    it('transfers through the REST API, and dials out into a room', async () => {
      const r = await voiceRig();
      const stream = await call(r);
      await eventually(() => expect(r.started).toHaveLength(1), 5000);
      await r.backend.transfer(r.started[0]!, '+15559990000');
      expect(r.fake.voice.commands).toMatchObject([{ action: 'transfer', target: '+15559990000' }]);
      await stream.closed;
      const session = await r.backend.dial('+15557770000', { roomId: 'support' });
      expect(session.state).toBe('active');
      expect(session.participantId).toBe('+15557770000');
      expect(session.metadata).toMatchObject({ direction: 'outbound', phone: '+15557770000' });
      expect(r.fake.voice.commands.at(-1)).toMatchObject({ action: 'dial', target: '+15557770000' });
      expect(r.fake.voice.dialled).toHaveLength(1);
      await eventually(() => expect(r.started.map((s) => s.id)).toContain(session.id), 5000);
    });

    it('refuses unsigned, wrongly signed and replayed webhooks with 403, storing nothing', async () => {
      const r = await voiceRig();
      const request = r.fake.voice.answerRequest({ webhookUrl: r.webhookUrl, from: CALLER });
      const send = (req: FakeWebhookRequest) => postWebhook(req.url, req.headers, req.body, req.method);
      const missing = { ...request, headers: { ...request.headers } };
      for (const header of driver.signatureHeaders) delete missing.headers[header];
      expect((await send(missing)).response.status).toBe(403);
      expect((await send(driver.tamper(request))).response.status).toBe(403);
      expect(r.backend.pending.size).toBe(0);
      const first = await send(request);
      expect(first.response.status).toBe(200);
      expect(r.backend.pending.size).toBe(1);
      expect((await send(request)).response.status).toBe(403);
      expect(r.backend.pending.size).toBe(1);
      expect(await r.kit.store.countEvents('support')).toBe(0);
      expect(r.backend.listSessions('support')).toEqual([]);
      // The status callback checks the same credential: unsigned or tampered is refused too.
      const statusUrl = request.url.replace(/\/answer(?=\?|$)/, '/status');
      expect(statusUrl).not.toBe(request.url);
      expect((await send({ ...missing, url: statusUrl })).response.status).toBe(403);
      expect((await send({ ...driver.tamper(request), url: statusUrl })).response.status).toBe(403);
    });

    it('refuses stream upgrades without the credential, with a wrong one, or replayed', async () => {
      const r = await voiceRig();
      const request = r.fake.voice.answerRequest({ webhookUrl: r.webhookUrl, from: CALLER });
      const answer = await postWebhook(request.url, request.headers, request.body, request.method);
      const url = r.fake.voice.streamUrlOf(answer);
      const matrix = driver.upgradeMatrix(url, r.fake.voice);
      for (const bad of [matrix.missing, matrix.wrong]) {
        const stream = r.fake.voice.openStream(bad.url, request, bad.headers);
        await expect(stream.opened).rejects.toThrow(/403/);
      }
      // The real one connects once...
      const real = r.fake.voice.openStream(url, request);
      await real.opened;
      await eventually(() => expect(r.started).toHaveLength(1), 5000);
      // ...and its copy is refused.
      const replay = r.fake.voice.openStream(url, request);
      await expect(replay.opened).rejects.toThrow(/403/);
      expect(r.backend.listSessions('support')).toHaveLength(1);
    });
  });
}
