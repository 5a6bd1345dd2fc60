/**
 * How far a reply runs ahead of the caller over the WebSocket transport, seen from a client on
 * a real socket: the pacer sends the lead at once, then tops it up a batch at a time (fewer,
 * larger writes; `WEBSOCKET_PACING`). The pacer runs on a hand-driven clock, so what the client
 * holds at each moment is exact.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RoomKit } from '../../../src/index.js';
import { MockSTTProvider, MockTTSProvider } from '../../../src/testing/index.js';
import { WebSocketVoiceBackend } from '../../../src/voice/backends/index.js';
import { ManualClock } from '../../../src/voice/pacer.js';
import { VoiceChannel } from '../../../src/voice/index.js';
import { eventually } from '../../helpers/eventually.js';
import { memoryLogger, startVoiceClient, type VoiceTestClient } from './voice-ws-client.js';

const FRAME_BYTES = 640; // 20 ms at 16 kHz

describe('WebSocket transport pacing', () => {
  let kit: RoomKit | undefined;
  let client: VoiceTestClient | undefined;
  afterEach(async () => {
    client?.socket.terminate();
    await kit?.close();
  });

  it('keeps the caller 60-160 ms ahead, topped up 100 ms (five frames) at a time', async () => {
    const clock = new ManualClock();
    kit = new RoomKit({ logger: memoryLogger() });
    const backend = new WebSocketVoiceBackend({
      authenticate: () => ({ userId: 'caller' }),
      logger: memoryLogger(),
    });
    const voice = new VoiceChannel('voice', {
      stt: new MockSTTProvider({ transcripts: [] }),
      tts: new MockTTSProvider({ msPerChar: 10 }), // 100 characters: a 1 s reply
      backend,
      clock,
    });
    kit.registerChannel(voice);
    await kit.createRoom({ roomId: 'r' });
    const port = await backend.listen(0);
    const started = await startVoiceClient(`ws://127.0.0.1:${port}/voice`, {
      roomId: 'r',
      sampleRate: 16000,
    });
    client = started.client;
    const c = client;
    await eventually(() => expect(voice.getRuntime(started.ready.sessionId)).toBeDefined());
    void voice.getRuntime(started.ready.sessionId)!.speak('x'.repeat(100));

    const sentMs = () => (c.receivedAudio().byteLength / FRAME_BYTES) * 20;
    const still = async (ms: number) => {
      await new Promise((r) => setTimeout(r, 100)); // the clock stands still: nothing more may come
      expect(sentMs()).toBe(ms);
    };
    // The reply's chunks come one at a time: frames go while the caller holds no more than
    // lead - batch (60 ms), so the first write stops at 80 ms.
    await eventually(() => expect(sentMs()).toBe(80));
    await still(80);
    // 20 ms played (and a hair: the pacer wakes just after), 60 held: one top-up to the full
    // lead (160 ms ahead, 180 sent).
    clock.advance(21);
    await eventually(() => expect(sentMs()).toBe(180));
    // Played up to 101 ms, the caller still holds 79: no write.
    clock.advance(80);
    await still(180);
    // Past 120 ms it holds 60: one batch of 100 ms (five frames) takes it back to 160.
    clock.advance(20);
    await eventually(() => expect(sentMs()).toBe(280));
    await still(280);

    // Played to the end, the whole reply arrived, five frames at a time after the lead.
    for (let i = 0; i < 60; i++) {
      clock.advance(20);
      await new Promise((r) => setImmediate(r));
    }
    await eventually(() => expect(sentMs()).toBe(1000));
  });
});
