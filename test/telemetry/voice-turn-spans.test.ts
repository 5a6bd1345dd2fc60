import { afterEach, describe, expect, it } from 'vitest';
import { AIChannel, ChannelCategory, RoomKit } from '../../src/index.js';
import { MockAIProvider, MockSTTProvider, MockTTSProvider } from '../../src/testing/index.js';
import { EnergyVADProvider, MockVoiceBackend, VoiceChannel } from '../../src/voice/index.js';
import { say, silent, until } from '../voice/channel/helpers.js';
import { byName, otelForTest, parentOf } from './otel-helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('OpenTelemetry: a voice turn is a trace', () => {
  it('stt, llm, tts and playout spans from the measured times, linked to the room event; latency histograms; live sessions', async () => {
    const otel = otelForTest();
    const kit = new RoomKit({
      logger: silent,
      telemetry: { tracerProvider: otel.tracerProvider, meterProvider: otel.meterProvider },
    });
    cleanup.push(
      () => otel.shutdown(),
      () => kit.close(),
    );
    const backend = new MockVoiceBackend({ playbackRealtime: false });
    kit.registerChannel(
      new VoiceChannel('phone', {
        stt: new MockSTTProvider({ transcripts: ['what is the weather'] }),
        tts: new MockTTSProvider({ msPerChar: 10 }),
        backend,
        pipeline: { vad: new EnergyVADProvider({ threshold: 300, minSpeechMs: 60, silenceMs: 200 }) },
      }),
    );
    kit.registerChannel(
      new AIChannel('ai', { provider: new MockAIProvider({ responses: ['It is sunny.'] }) }),
    );
    await kit.createRoom({ roomId: 'call' });
    await kit.attachChannel('call', 'ai', { category: ChannelCategory.INTELLIGENCE });
    const session = await kit.connectVoice('call', 'caller', 'phone');
    const live = await otel.points('roomkit.voice.sessions.active');
    expect(live).toMatchObject([{ value: 1, attributes: { 'roomkit.channel.id': 'phone' } }]);

    await say(backend, session, 12);
    await until(() => expect(byName(otel.spans(), 'roomkit.voice.turn')).toHaveLength(1));
    const spans = otel.spans();
    const turn = byName(spans, 'roomkit.voice.turn')[0]!;
    expect(parentOf(turn)).toBeUndefined();
    expect(turn.attributes).toMatchObject({
      'roomkit.room.id': 'call',
      'roomkit.channel.id': 'phone',
      'roomkit.voice.session.id': session.id,
    });
    const stages = spans.filter((s) => parentOf(s) === turn.spanContext().spanId);
    expect(stages.map((s) => s.name)).toEqual([
      'roomkit.voice.stt',
      'roomkit.voice.llm',
      'roomkit.voice.tts',
      'roomkit.voice.playout',
    ]);
    // Back to back: each stage starts where the one before ended, inside the turn.
    const ns = (t: [number, number]) => t[0] * 1e9 + t[1];
    for (let i = 1; i < stages.length; i++) {
      expect(Math.abs(ns(stages[i]!.startTime) - ns(stages[i - 1]!.endTime))).toBeLessThan(1e6);
    }
    expect(ns(stages[0]!.startTime)).toBe(ns(turn.startTime));
    expect(Math.abs(ns(stages.at(-1)!.endTime) - ns(turn.endTime))).toBeLessThan(1e6);
    // Linked to the room event the transcript became (its inbound trace).
    const [transcript] = await kit.store.listEvents('call');
    const inbound = byName(spans, 'roomkit.inbound').find(
      (s) => s.attributes['roomkit.event.id'] === transcript!.id,
    )!;
    expect(turn.attributes['roomkit.event.id']).toBe(transcript!.id);
    expect(turn.links.map((l) => l.context.spanId)).toEqual([inbound.spanContext().spanId]);

    const latency = await otel.points('roomkit.voice.turn.latency');
    expect(latency.map((p) => p.attributes['roomkit.voice.stage']).sort()).toEqual([
      'first_audio_sent',
      'first_token',
      'first_tts_audio',
      'transcript_final',
    ]);
    expect(latency.every((p) => (p.value as { count: number }).count === 1)).toBe(true);

    await kit.disconnectVoice(session);
    expect(await otel.points('roomkit.voice.sessions.active')).toMatchObject([
      { value: 0, attributes: { 'roomkit.channel.id': 'phone' } },
    ]);
  }, 20_000);
});
