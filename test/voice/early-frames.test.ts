/**
 * Audio a caller sends right after `ready`, while the channel is still binding the call (the
 * room's binding, the pipeline session), reaches the pipeline in order. It used to be dropped:
 * a client that streams as soon as it hears `ready` lost its first frames.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RoomKit } from '../../src/index.js';
import { MockSTTProvider, MockTTSProvider } from '../../src/testing/index.js';
import { WebSocketVoiceBackend } from '../../src/voice/backends/index.js';
import { EarlyFrames } from '../../src/voice/early-frames.js';
import { EnergyVADProvider, VoiceChannel } from '../../src/voice/index.js';
import { memoryLogger, startVoiceClient, type VoiceTestClient } from './backends/voice-ws-client.js';

const tone = (amplitude: number) =>
  Int16Array.from({ length: 320 }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * 220 * i) / 16000)),
  );

describe('audio sent before the call is bound', () => {
  let kit: RoomKit | undefined;
  let client: VoiceTestClient | undefined;
  afterEach(async () => {
    client?.socket.terminate();
    await kit?.close();
  });

  it('a burst sent the moment `ready` arrives is all heard, in order', async () => {
    kit = new RoomKit({ logger: memoryLogger() });
    const backend = new WebSocketVoiceBackend({
      authenticate: () => ({ userId: 'caller' }),
      logger: memoryLogger(),
    });
    const stt = new MockSTTProvider({ transcripts: ['hello'], streaming: false });
    kit.registerChannel(
      new VoiceChannel('voice', {
        stt,
        tts: new MockTTSProvider({}),
        backend,
        pipeline: { vad: new EnergyVADProvider({ threshold: 300, minSpeechMs: 60, silenceMs: 200 }) },
      }),
    );
    await kit.createRoom({ roomId: 'r' });
    const port = await backend.listen(0);
    ({ client } = await startVoiceClient(`ws://127.0.0.1:${port}/voice`, { roomId: 'r', sampleRate: 16000 }));
    // 400 ms of voice then 400 ms of near-silence, all at once: it arrives while the channel
    // attaches itself to the room and builds the call's pipeline.
    for (let i = 0; i < 40; i++) void client.sendAudio(tone(i < 20 ? 6000 : 20));
    await vi.waitFor(() => expect(stt.calls.filter((c) => c.method === 'transcribe')).toHaveLength(1), {
      timeout: 5000,
    });
    // The utterance holds every voiced frame (the VAD adds its pre-roll and the pause it waited for).
    const call = stt.calls[0]!;
    expect(call.method === 'transcribe' && call.samples).toBeGreaterThanOrEqual(20 * 320);
  });
});

describe('EarlyFrames', () => {
  it('keeps copies, oldest first, and at most one second (the newest)', () => {
    const early = new EarlyFrames();
    const frames = Array.from({ length: 60 }, (_, i) => ({
      data: new Int16Array(320).fill(i),
      sampleRate: 16000,
      channels: 1,
    }));
    for (const f of frames) early.hold('s', f);
    frames[59]!.data.fill(-1); // the transport reuses its buffer
    const held = early.take('s');
    expect(held.map((f) => f.data[0])).toEqual(Array.from({ length: 50 }, (_, i) => i + 10));
    expect(early.take('s')).toEqual([]);
  });
});
