/**
 * The realtime *channel* conformance suite: every realtime provider, against its vendor's
 * fake server on 127.0.0.1, driven through RealtimeVoiceChannel with a mock transport at
 * 48 kHz (so both directions resample). Same behaviours whatever the wire underneath.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HookResult, HookTrigger, ProviderError, Tool } from '../../src/index.js';
import type { RealtimeEventMap, RealtimeVoiceProvider } from '../../src/realtime/provider.js';
import type {
  RealtimeVoiceChannelOptions,
  RealtimeVoiceSession,
} from '../../src/realtime/realtime-channel-types.js';
import type {
  FakeRealtimeConnection,
  FakeRealtimeServer,
} from '../../src/testing/fake-realtime/fake-server-base.js';
import { peakAmplitude, silence } from '../../src/testing/fake-realtime/script.js';
import { MockRealtimeTransport } from '../../src/testing/mock-realtime-transport.js';
import { ManualClock } from '../../src/voice/pacer.js';
import { type RealtimeRig, realtimeRig, toneFrames } from '../realtime/helpers.js';

const RATE = 48_000;
const TOOL_RESULT = '{"temp":21}';

export interface RealtimeChannelTarget<F extends FakeRealtimeServer<any>> {
  name: string;
  startFake(): Promise<F>;
  createProvider(fake: F): RealtimeVoiceProvider;
  voice?: string;
  providerConfig?: Record<string, unknown>;
  /** PCM of one client audio message (undefined for other messages) and its wire rate. */
  inputAudio(message: any): Int16Array | undefined;
  wireInputRate: number;
  /** The vendor-shaped tool result for `callId` reached the fake. */
  expectToolResult(fake: F, callId: string, result: string): Promise<void>;
  /** For vendors with truncation: the played position the fake was told. */
  truncatedAtMs?(fake: F): Promise<number>;
  /** Fail the session the vendor's fatal way. */
  failSession(fake: F, conn: FakeRealtimeConnection<any>): void;
}

export function runRealtimeChannelConformance<F extends FakeRealtimeServer<any>>(
  target: RealtimeChannelTarget<F>,
): void {
  describe(`${target.name} through RealtimeVoiceChannel`, () => {
    let fake: F | undefined;
    let rig: RealtimeRig<RealtimeVoiceProvider> | undefined;
    let toolCalls: RealtimeEventMap['toolCall'][];

    afterEach(async () => {
      await rig?.kit.close();
      await fake?.close();
      rig = undefined;
      fake = undefined;
    });

    async function open(
      opts: Partial<Omit<RealtimeVoiceChannelOptions, 'provider' | 'transport'>> = {},
    ): Promise<{ r: RealtimeRig<RealtimeVoiceProvider>; s: RealtimeVoiceSession; f: F }> {
      const f = await target.startFake();
      fake = f;
      const provider = target.createProvider(f);
      toolCalls = [];
      provider.on('toolCall', (e) => toolCalls.push(e));
      const r = await realtimeRig({
        provider,
        transport: new MockRealtimeTransport({ sampleRate: RATE, playbackRealtime: false }),
        systemPrompt: 'You are a helpful voice assistant.',
        voice: target.voice,
        providerConfig: target.providerConfig,
        ...opts,
      });
      rig = r;
      const s = await r.channel.startSession('room-1', 'user-1');
      return { r, s, f };
    }

    /** The caller says something: tone then silence, at the transport's rate. */
    async function speak(r: RealtimeRig<any>, s: RealtimeVoiceSession, ms = 100, thenSilence = true) {
      for (const frame of toneFrames(ms, RATE))
        await r.transport.simulateAudioReceived(s.transportSession, frame);
      if (thenSilence) await r.transport.simulateAudioReceived(s.transportSession, silence(40, RATE));
    }

    it('connects: an active session, and the vendor got the prompt', async () => {
      const { r, s, f } = await open();
      expect(s.state).toBe('active');
      expect(s.providerSession?.state).toBe('active');
      expect(f.connections).toHaveLength(1);
      expect(JSON.stringify(f.allReceived())).toContain('You are a helpful voice assistant.');
      expect(r.events.some((e) => e.name === 'metric' && e.payload.name === 'realtime.connect_ms')).toBe(
        true,
      );
    });

    it('carries audio both ways at the right rates; final transcripts become room events, partials do not', async () => {
      const { r, s, f } = await open();
      const partials: string[] = [];
      r.kit.hook(HookTrigger.ON_PARTIAL_TRANSCRIPTION, (p) => void partials.push(p.text));
      f.queueTurn({
        userTranscript: 'what is the weather',
        reply: { text: 'It is sunny today.', audioMs: 200, chunks: 4 },
      });
      await speak(r, s);
      await expect.poll(() => r.inbox.texts().length, { timeout: 5_000 }).toBe(2);
      await expect
        .poll(() => r.transport.sentMs(s.transportSession), { timeout: 5_000 })
        .toBeGreaterThan(200 * 0.9);
      // In: 140 ms reached the vendor at its wire rate (48 kHz -> session 16 kHz -> wire).
      const input = f
        .allReceived()
        .map(target.inputAudio)
        .filter((a): a is Int16Array => a !== undefined);
      const inputMs = (input.reduce((n, a) => n + a.length, 0) / target.wireInputRate) * 1000;
      expect(inputMs).toBeGreaterThan(140 * 0.9);
      expect(inputMs).toBeLessThan(140 * 1.05);
      expect(Math.max(...input.map(peakAmplitude))).toBeGreaterThan(4000);
      // Out: 200 ms of the reply's tone at the transport's 48 kHz.
      await r.kit.waitForIdle();
      expect(r.transport.sentMs(s.transportSession)).toBeLessThanOrEqual(200);
      expect(peakAmplitude(r.transport.sentPcm(s.transportSession))).toBeGreaterThan(4000);
      // Room: the caller's words from the caller, the answer from the assistant; no partials.
      expect(r.inbox.texts().sort()).toEqual(['It is sunny today.', 'what is the weather']);
      const user = r.inbox.got.find((e) => e.metadata.role === 'user')!;
      expect(user.source.participantId).toBe('user-1');
      expect(r.inbox.got.find((e) => e.metadata.role === 'assistant')!.source.participantId).toBe(
        'assistant',
      );
      expect(partials.length).toBeGreaterThan(0);
      expect(await r.kit.store.listEvents('room-1')).toHaveLength(2);
    });

    const mechanisms: [string, () => Partial<RealtimeVoiceChannelOptions>, (r: RealtimeRig<any>) => void][] =
      [
        [
          'a Tool',
          () => ({
            tools: [
              new Tool({
                name: 'get_weather',
                description: 'Current weather for a city',
                parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
                handler: async ({ city }: { city: string }) =>
                  city === 'Paris' ? TOOL_RESULT : 'wrong city',
              }),
            ],
          }),
          () => {},
        ],
        [
          'toolHandler',
          () => ({
            toolHandler: (name, args) =>
              name === 'get_weather' && args.city === 'Paris' ? TOOL_RESULT : 'no',
          }),
          () => {},
        ],
        [
          'the ON_TOOL_CALL hook',
          () => ({}),
          (r) =>
            r.kit.hook(HookTrigger.ON_TOOL_CALL, (p) =>
              p.arguments.city === 'Paris'
                ? HookResult.allow({ metadata: { result: TOOL_RESULT } })
                : undefined,
            ),
        ],
      ];
    for (const [label, options, setup] of mechanisms) {
      it(`round-trips a tool call through ${label} and the answer continues`, async () => {
        const { r, s, f } = await open(options());
        setup(r);
        f.queueTurn({
          userTranscript: 'weather in Paris',
          toolCall: { name: 'get_weather', arguments: { city: 'Paris' } },
          afterToolResult: { text: 'Sunny in Paris.' },
        });
        await speak(r, s);
        await expect.poll(() => toolCalls.length, { timeout: 5_000 }).toBe(1);
        await target.expectToolResult(f, toolCalls[0].callId, TOOL_RESULT);
        await expect.poll(() => r.inbox.texts(), { timeout: 5_000 }).toContain('Sunny in Paris.');
      });
    }

    it('barge-in stops transport playback and tells the vendor what was heard', async () => {
      const clock = new ManualClock();
      const { r, s, f } = await open({ pacer: { clock } });
      const bargeIns: number[] = [];
      r.kit.hook(HookTrigger.ON_BARGE_IN, (p) => void bargeIns.push(p.audioPositionMs));
      let audioEvents = 0;
      r.provider.on('audio', () => audioEvents++);
      f.queueTurn({
        userTranscript: 'tell me a story',
        reply: { text: 'Once upon a time there was a fox.', audioMs: 400, chunks: 8, pauseAfterChunks: 2 },
      });
      await speak(r, s);
      await expect.poll(() => audioEvents, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
      clock.advance(30);
      expect(r.transport.callsOf('sendAudio').length).toBeGreaterThan(0);
      await speak(r, s, 60, false); // the caller talks over the answer
      await expect.poll(() => r.transport.callsOf('interrupt').length, { timeout: 5_000 }).toBe(1);
      const sentAtBargeIn = r.transport.callsOf('sendAudio').length;
      await r.kit.waitForIdle();
      expect(bargeIns).toEqual([30]);
      if (target.truncatedAtMs) expect(await target.truncatedAtMs(f)).toBe(30);
      // The rest of the cut answer (and the late chunk vendors send) must never be played.
      // No silence follows the caller's words, so no next turn starts meanwhile.
      f.releaseReply();
      clock.advance(2_000);
      await new Promise((res) => setTimeout(res, 50)); // let any late vendor audio arrive
      clock.advance(2_000);
      expect(r.transport.callsOf('sendAudio').length).toBe(sentAtBargeIn);
      expect(r.transport.isPlaying(s.transportSession)).toBe(false);
      expect(s.state).toBe('active');
    });

    it('reconfigures a live session and the conversation goes on', async () => {
      const { r, s, f } = await open();
      await r.channel.reconfigureSession(s.id, { systemPrompt: 'You are a billing specialist.' });
      await expect
        .poll(() => JSON.stringify(f.allReceived()), { timeout: 5_000 })
        .toContain('You are a billing specialist.');
      expect(s.state).toBe('active');
      f.queueTurn({ userTranscript: 'my bill', reply: { text: 'Let me check.' } });
      await speak(r, s);
      await expect.poll(() => r.inbox.texts(), { timeout: 5_000 }).toContain('Let me check.');
    });

    it('a provider error ends the session cleanly with a typed error', async () => {
      const { r, s, f } = await open();
      target.failSession(f, await f.waitForConnection(0));
      await expect.poll(() => s.state, { timeout: 5_000 }).toBe('ended');
      await r.kit.waitForIdle();
      const error = r.events.find((e) => e.name === 'channel_error')?.payload.error;
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).provider).toBe(r.provider.name);
      expect(r.events.find((e) => e.name === 'realtime_session_ended')?.payload.reason).toBe(
        'provider-error',
      );
      expect(r.transport.callsOf('disconnect')).toHaveLength(1);
      expect(r.channel.sessions).toEqual([]);
    });

    it('a dropped vendor socket ends the session cleanly as connection-lost', async () => {
      const { r, s, f } = await open();
      f.dropConnections();
      await expect.poll(() => s.state, { timeout: 5_000 }).toBe('ended');
      await r.kit.waitForIdle();
      expect(r.events.find((e) => e.name === 'channel_error')?.payload.error).toMatchObject({
        code: 'connection_lost',
        provider: r.provider.name,
      });
      expect(s.endReason).toBe('connection-lost');
      expect(r.transport.callsOf('disconnect')).toHaveLength(1);
    });
  });
}
