import { describe, expect, it } from 'vitest';
import { createAudioFrame } from '../../../src/voice/audio/index.js';
import { MockVoiceBackend } from '../../../src/voice/backends/index.js';
import { ManualClock } from '../../../src/voice/pacer.js';
import { type AudioFrame, VoiceCapability, type VoiceSession } from '../../../src/voice/types.js';
import { describeBackendConformance, pattern } from '../../conformance/backend.js';

describeBackendConformance<MockVoiceBackend>({
  name: 'MockVoiceBackend',
  sampleRates: [8000, 16000, 24000, 48000],
  create: async () => new MockVoiceBackend({ capabilities: VoiceCapability.INTERRUPTION }),
  async openClient(backend, { roomId, participantId, sampleRate }) {
    const session = await backend.connect(roomId, participantId, 'voice', { metadata: { sampleRate } });
    return {
      session,
      sendAudio: (pcm) => backend.simulateAudioReceived(session, createAudioFrame(pcm.slice(), sampleRate)),
      receivedAudio: () => backend.sentBytes(session),
      clearCount: () => backend.callsOf('interrupt', session).length,
      drop: () => backend.simulateClientDisconnected(session),
    };
  },
  destroy: (backend) => backend.close(),
});

function bytes(samples: number, seed = 1): Uint8Array {
  const pcm = pattern(samples, seed);
  return new Uint8Array(pcm.buffer);
}

describe('MockVoiceBackend', () => {
  const ready = (backend: MockVoiceBackend): Promise<VoiceSession> =>
    backend.connect('room', 'user', 'voice');

  it('declares the capabilities it was given (NONE by default)', () => {
    expect(new MockVoiceBackend().capabilities).toBe(VoiceCapability.NONE);
    const flags = VoiceCapability.INTERRUPTION | VoiceCapability.BARGE_IN;
    expect(new MockVoiceBackend({ capabilities: flags }).capabilities).toBe(flags);
    expect(new MockVoiceBackend().supportsPlaybackCallback).toBe(true);
  });

  it('logs every call with its session and arguments', async () => {
    const backend = new MockVoiceBackend();
    const s = await backend.connect('room', 'user', 'voice', { metadata: { k: 1 } });
    await backend.sendAudio(s, bytes(320));
    backend.setInputMuted(s, true);
    await backend.sendTranscription(s, 'hello', 'assistant');
    backend.endOfResponse(s);
    await backend.cancelAudio(s);
    await backend.disconnect(s);
    expect(backend.calls.map((c) => c.method)).toEqual([
      'connect',
      'sendAudio',
      'setInputMuted',
      'sendTranscription',
      'endOfResponse',
      'cancelAudio',
      'interrupt',
      'disconnect',
    ]);
    expect(backend.calls.every((c) => c.sessionId === s.id)).toBe(true);
    expect(backend.calls[0].args).toEqual({
      roomId: 'room',
      participantId: 'user',
      channelId: 'voice',
      metadata: { k: 1 },
    });
    expect(backend.calls[1].args).toEqual({ kind: 'bytes', bytes: 640 });
    expect(backend.calls[2].args).toEqual({ muted: true });
    expect(backend.sentTranscriptions.get(s.id)).toEqual([{ text: 'hello', role: 'assistant' }]);
    await backend.close();
  });

  it('connect makes the session live at once (the seed mock), readyOnConnect: false waits for simulateSessionReady', async () => {
    const backend = new MockVoiceBackend();
    const seen: string[] = [];
    backend.onSessionReady((s) => seen.push(s.id));
    const s = await backend.connect('room', 'user', 'voice');
    expect(seen).toEqual([s.id]);
    expect(s.state).toBe('active');

    const lazy = new MockVoiceBackend({ readyOnConnect: false });
    const lazySeen: string[] = [];
    lazy.onSessionReady((x) => lazySeen.push(x.id));
    const l = await lazy.connect('room', 'user', 'voice');
    expect(lazySeen).toEqual([]);
    expect(l.state).toBe('connecting');
    await lazy.simulateSessionReady(l);
    expect(lazySeen).toEqual([l.id]);
    expect(l.state).toBe('active');
  });

  it('plays sent audio in real time on its clock, firing onAudioPlayed per frame', async () => {
    const clock = new ManualClock();
    const backend = new MockVoiceBackend({ clock });
    const s = await ready(backend);
    const played: AudioFrame[] = [];
    backend.onAudioPlayed((session, f) => {
      expect(session.id).toBe(s.id);
      played.push(f);
    });
    await backend.sendAudio(s, bytes(1600)); // 100 ms at 16 kHz
    expect(backend.isPlaying(s)).toBe(true);
    clock.advance(50);
    expect(played).toHaveLength(3); // frames starting at 0, 20, 40 ms
    expect(backend.isPlaying(s)).toBe(true);
    clock.advance(50);
    expect(played).toHaveLength(5);
    expect(played.every((f) => f.data.length === 320 && f.sampleRate === 16000)).toBe(true);
    expect(backend.isPlaying(s)).toBe(false);
  });

  it('interrupt stops playback: no more onAudioPlayed, isPlaying false', async () => {
    const clock = new ManualClock();
    const backend = new MockVoiceBackend({ clock });
    const s = await ready(backend);
    let played = 0;
    backend.onAudioPlayed(() => played++);
    await backend.sendAudio(s, bytes(16000));
    clock.advance(100);
    const before = played;
    backend.interrupt(s);
    clock.advance(2000);
    expect(played).toBe(before);
    expect(backend.isPlaying(s)).toBe(false);
    // A new response plays again.
    await backend.sendAudio(s, bytes(320));
    clock.advance(20);
    expect(played).toBe(before + 1);
  });

  it('with playbackRealtime: false plays everything at once', async () => {
    const backend = new MockVoiceBackend({ playbackRealtime: false });
    const s = await ready(backend);
    const played: AudioFrame[] = [];
    backend.onAudioPlayed((_s, f) => played.push(f));
    await backend.sendAudio(s, { data: bytes(800), sampleRate: 8000, channels: 1, format: 'pcm_s16le' });
    expect(played.map((f) => f.data.length)).toEqual([160, 160, 160, 160, 160]);
    expect(played[0].sampleRate).toBe(8000);
    expect(backend.isPlaying(s)).toBe(false);
  });

  it('records stream chunks and keeps copies (the caller may reuse its buffer)', async () => {
    const backend = new MockVoiceBackend({ playbackRealtime: false });
    const s = await ready(backend);
    const reused = bytes(160, 3);
    const expected = reused.slice();
    async function* stream() {
      yield { data: reused, sampleRate: 16000, channels: 1, format: 'pcm_s16le' as const };
    }
    await backend.sendAudio(s, stream());
    reused.fill(0);
    expect(backend.sentBytes(s)).toEqual(expected);
    expect(backend.sentAudio).toEqual([{ sessionId: s.id, data: expected }]);
    expect(backend.callsOf('sendAudio', s)[0].args).toEqual({ kind: 'stream', bytes: 320 });
  });

  it('simulateBargeIn and startPlaying/stopPlaying drive barge-in tests', async () => {
    const backend = new MockVoiceBackend({ capabilities: VoiceCapability.BARGE_IN });
    const s = await ready(backend);
    const barged: string[] = [];
    backend.onBargeIn((x) => barged.push(x.id));
    backend.startPlaying(s);
    expect(backend.isPlaying(s)).toBe(true);
    await backend.simulateBargeIn(s);
    expect(barged).toEqual([s.id]);
    backend.stopPlaying(s);
    expect(backend.isPlaying(s)).toBe(false);
  });

  it('drops inbound audio while input is muted', async () => {
    const backend = new MockVoiceBackend();
    const s = await ready(backend);
    const got: AudioFrame[] = [];
    backend.onAudioReceived((_s, f) => got.push(f));
    await backend.simulateAudioReceived(s, new Int16Array(320));
    backend.setInputMuted(s, true);
    await backend.simulateAudioReceived(s, new Int16Array(320));
    backend.setInputMuted(s, false);
    await backend.simulateAudioReceived(s, createAudioFrame(new Int16Array(160), 16000));
    expect(got.map((f) => f.data.length)).toEqual([320, 160]);
    expect(got[0].sampleRate).toBe(16000);
  });

  it('unsubscribing a listener stops its callbacks', async () => {
    const backend = new MockVoiceBackend();
    const s = await ready(backend);
    let n = 0;
    const off = backend.onAudioReceived(() => n++);
    await backend.simulateAudioReceived(s, new Int16Array(10));
    off();
    await backend.simulateAudioReceived(s, new Int16Array(10));
    expect(n).toBe(1);
  });

  it('base additions: input gating per session (forgotten on disconnect), speaker changes, traces only with an emitter', async () => {
    const backend = new MockVoiceBackend();
    const a = await ready(backend);
    const b = await ready(backend);
    backend.setInputGated(a, true);
    expect([backend.isInputGated(a), backend.isInputGated(b)]).toEqual([true, false]);
    // Gated audio still reaches listeners (a pipeline may analyse it); channels decide.
    let frames = 0;
    backend.onAudioReceived(() => frames++);
    await backend.simulateAudioReceived(a, new Int16Array(160));
    expect(frames).toBe(1);
    await backend.disconnect(a);
    expect(backend.isInputGated(a)).toBe(false);

    const changes: string[] = [];
    const off = backend.onSpeakerChange((s, r) => changes.push(`${s.id}:${r.speakerId}`));
    await backend.simulateSpeakerChange(b, { speakerId: 'x', confidence: 1, isNewSpeaker: true });
    off();
    await backend.simulateSpeakerChange(b, { speakerId: 'y', confidence: 1, isNewSpeaker: false });
    expect(changes).toEqual([`${b.id}:x`]);

    const traces: string[] = [];
    backend.setTraceEmitter((t) => traces.push(`${t.protocol}:${t.direction}:${t.summary}`));
    await backend.disconnect(b);
    backend.setTraceEmitter(undefined);
    await ready(backend);
    expect(traces).toEqual(['mock:outbound:disconnect']);
  });
});
