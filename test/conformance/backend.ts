import { afterEach, describe, expect, it } from 'vitest';
import type { VoiceBackend } from '../../src/voice/backends/voice-backend.js';
import type { AudioChunk, AudioFrame, VoiceSession } from '../../src/voice/types.js';
import { eventually } from '../helpers/eventually.js';

export { eventually };

/**
 * The VoiceBackend conformance suite. Each backend runs it with a driver that knows how to
 * play the client's side (a real socket, a simulated call...), so the same assertions hold
 * for every transport: what the client sends arrives as frames, what the framework sends
 * reaches the client byte for byte, interrupt really stops audio.
 */
export interface ConformanceClient {
  /** The session as the backend announced it in onSessionReady. */
  readonly session: VoiceSession;
  /** Client -> backend: PCM s16 mono at the client's declared rate. */
  sendAudio(pcm: Int16Array): Promise<void>;
  /** Outbound audio the client has received so far (PCM bytes, concatenated). */
  receivedAudio(): Uint8Array;
  /** How many times the client was told to drop its playback buffer (clear_audio). */
  clearCount(): number;
  /** The client side drops the connection. */
  drop(): Promise<void>;
}

export interface BackendConformanceDriver<B extends VoiceBackend = VoiceBackend> {
  name: string;
  create(): Promise<B>;
  /** Open a client and resolve once the backend fired onSessionReady for it. */
  openClient(
    backend: B,
    opts: { roomId: string; participantId: string; sampleRate: number },
  ): Promise<ConformanceClient>;
  destroy(backend: B): Promise<void>;
  /** Client rates to exercise (default [16000]). */
  sampleRates?: number[];
  /** A lossy codec (Opus over WebRTC) sits between client and backend: audio is compared by length, not byte for byte. */
  lossy?: boolean;
}

/** Samples that differ everywhere (and have both byte values set), so a dropped or moved byte shows. */
export function pattern(n: number, seed = 1): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = ((i * 7919 + seed * 104729) % 65536) - 32768;
  return out;
}

function bytesOf(pcm: Int16Array): Uint8Array {
  return new Uint8Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function concatFrames(frames: AudioFrame[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.data.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f.data, at);
    at += f.data.length;
  }
  return out;
}

export function describeBackendConformance<B extends VoiceBackend>(
  driver: BackendConformanceDriver<B>,
): void {
  const rates = driver.sampleRates ?? [16000];
  /** What arrived is what was sent (byte for byte; just as long through a lossy codec). */
  const sameAudio = (got: Uint8Array | Int16Array, sent: Uint8Array | Int16Array) =>
    driver.lossy ? expect(got.byteLength).toBe(sent.byteLength) : expect(got).toEqual(sent);

  describe(`VoiceBackend conformance: ${driver.name}`, () => {
    const open: { backend: B; clients: ConformanceClient[] }[] = [];

    async function setup() {
      const backend = await driver.create();
      const entry = { backend, clients: [] as ConformanceClient[] };
      open.push(entry);
      const client = async (roomId: string, participantId: string, sampleRate = rates[0]) => {
        const c = await driver.openClient(backend, { roomId, participantId, sampleRate });
        entry.clients.push(c);
        return c;
      };
      return { backend, client };
    }

    afterEach(async () => {
      for (const { backend } of open.splice(0)) await driver.destroy(backend);
    });

    it('announces a ready, active session with its room and participant', async () => {
      const { backend, client } = await setup();
      const ready: VoiceSession[] = [];
      backend.onSessionReady((s) => ready.push(s));
      const c = await client('room-a', 'alice');
      expect(backend.name).toMatch(/\S/);
      expect(c.session.roomId).toBe('room-a');
      expect(c.session.participantId).toBe('alice');
      expect(c.session.state).toBe('active');
      await eventually(() => expect(ready.map((s) => s.id)).toEqual([c.session.id]));
    });

    it('lists sessions per room and finds them by id', async () => {
      const { backend, client } = await setup();
      const a = await client('room-a', 'alice');
      const b = await client('room-a', 'bob');
      const c = await client('room-b', 'carol');
      expect(backend.getSession(a.session.id)?.participantId).toBe('alice');
      expect(
        backend
          .listSessions('room-a')
          .map((s) => s.participantId)
          .sort(),
      ).toEqual(['alice', 'bob']);
      expect(backend.listSessions('room-b').map((s) => s.id)).toEqual([c.session.id]);
      expect(backend.listSessions('room-z')).toEqual([]);
      expect(backend.getSession('nope')).toBeUndefined();
      expect(new Set([a.session.id, b.session.id, c.session.id]).size).toBe(3);
    });

    for (const rate of rates) {
      it(`delivers inbound audio as AudioFrames at the declared rate (${rate} Hz)`, async () => {
        const { backend, client } = await setup();
        const frames: AudioFrame[] = [];
        const c = await client('room-a', 'alice', rate);
        const other = await client('room-a', 'bob', rate);
        backend.onAudioReceived((s, f) => {
          if (s.id === c.session.id) frames.push({ ...f, data: f.data.slice() });
        });
        expect(backend.sampleRateFor(c.session)).toBe(rate);
        const input = pattern((rate / 50) * 5); // 100 ms in 20 ms frames
        for (let i = 0; i < 5; i++) await c.sendAudio(input.subarray((i * rate) / 50, ((i + 1) * rate) / 50));
        await other.sendAudio(pattern(rate / 50, 9)); // must not show up as alice's audio
        await eventually(() => expect(concatFrames(frames).length).toBe(input.length));
        sameAudio(concatFrames(frames), input);
        for (const f of frames) {
          expect(f.sampleRate).toBe(rate);
          expect(f.channels).toBe(1);
          expect(f.data).toBeInstanceOf(Int16Array);
        }
      });
    }

    it('delivers outbound audio to the client byte-exact (bytes, chunk and stream)', async () => {
      const { backend, client } = await setup();
      const c = await client('room-a', 'alice');
      const rate = backend.sampleRateFor(c.session);
      const a = bytesOf(pattern(rate / 10, 1));
      const b = bytesOf(pattern(rate / 25, 2));
      const s1 = bytesOf(pattern(rate / 50, 3));
      const s2 = bytesOf(pattern(rate / 50, 4));
      await backend.sendAudio(c.session, a);
      await backend.sendAudio(c.session, { data: b, sampleRate: rate, channels: 1, format: 'pcm_s16le' });
      async function* stream(): AsyncIterable<AudioChunk> {
        for (const data of [s1, s2]) yield { data, sampleRate: rate, channels: 1, format: 'pcm_s16le' };
      }
      await backend.sendAudio(c.session, stream());
      const expected = concat([a, b, s1, s2]);
      await eventually(() => expect(c.receivedAudio().byteLength).toBe(expected.byteLength));
      sameAudio(c.receivedAudio(), expected);
    });

    it('outbound audio goes only to its own session', async () => {
      const { backend, client } = await setup();
      const a = await client('room-a', 'alice');
      const b = await client('room-a', 'bob');
      const audio = bytesOf(pattern(640, 5));
      await backend.sendAudio(a.session, audio);
      await backend.sendAudio(b.session, bytesOf(pattern(320, 6)));
      await eventually(() => expect(b.receivedAudio().byteLength).toBe(640));
      await eventually(() => sameAudio(a.receivedAudio(), audio));
    });

    it('interrupt tells the client to clear and stops the rest of a queued stream', async () => {
      const { backend, client } = await setup();
      const c = await client('room-a', 'alice');
      const rate = backend.sampleRateFor(c.session);
      const first = bytesOf(pattern(rate * 2, 1)); // 2 s: still "playing" when interrupted
      const late = bytesOf(pattern(rate / 50, 2));
      const after = bytesOf(pattern(rate / 50, 3));
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      async function* stream(): AsyncIterable<AudioChunk> {
        yield { data: first, sampleRate: rate, channels: 1, format: 'pcm_s16le' };
        await gate;
        yield { data: late, sampleRate: rate, channels: 1, format: 'pcm_s16le' };
      }
      const sending = backend.sendAudio(c.session, stream());
      await eventually(() => expect(c.receivedAudio().byteLength).toBe(first.byteLength));
      expect(backend.isPlaying(c.session)).toBe(true);
      const clearsBefore = c.clearCount();
      backend.interrupt(c.session);
      expect(backend.isPlaying(c.session)).toBe(false);
      release();
      await sending;
      await eventually(() => expect(c.clearCount()).toBe(clearsBefore + 1));
      // Audio sent after the interrupt flows again; the stream's late chunk never did.
      await backend.sendAudio(c.session, after);
      await eventually(() => expect(c.receivedAudio().byteLength).toBe(first.byteLength + after.byteLength));
      sameAudio(c.receivedAudio(), concat([first, after]));
    });

    it('cancelAudio reports whether something was playing', async () => {
      const { backend, client } = await setup();
      const c = await client('room-a', 'alice');
      expect(await backend.cancelAudio(c.session)).toBe(false);
      await backend.sendAudio(c.session, bytesOf(pattern(backend.sampleRateFor(c.session) * 2)));
      expect(await backend.cancelAudio(c.session)).toBe(true);
      expect(backend.isPlaying(c.session)).toBe(false);
    });

    it('fires onClientDisconnected when the client drops, and forgets the session', async () => {
      const { backend, client } = await setup();
      const gone: VoiceSession[] = [];
      backend.onClientDisconnected((s) => gone.push(s));
      const a = await client('room-a', 'alice');
      const b = await client('room-a', 'bob');
      await a.drop();
      await eventually(() => expect(gone.map((s) => s.id)).toEqual([a.session.id]));
      expect(gone[0].state).toBe('ended');
      expect(backend.getSession(a.session.id)).toBeUndefined();
      expect(backend.listSessions('room-a').map((s) => s.id)).toEqual([b.session.id]);
    });

    it('gates input per session without stopping its frames; client UI calls never throw', async () => {
      const { backend, client } = await setup();
      const a = await client('room-a', 'alice');
      const b = await client('room-a', 'bob');
      backend.setInputGated(a.session, true);
      expect(backend.isInputGated(a.session)).toBe(true);
      expect(backend.isInputGated(b.session)).toBe(false);
      // Gated audio still reaches listeners (a pipeline may analyse it); channels decide.
      const frames: AudioFrame[] = [];
      backend.onAudioReceived((s, f) => {
        if (s.id === a.session.id) frames.push(f);
      });
      await a.sendAudio(pattern(backend.sampleRateFor(a.session) / 50));
      await eventually(() => expect(frames.length).toBeGreaterThan(0));
      backend.setInputGated(a.session, false);
      expect(backend.isInputGated(a.session)).toBe(false);
      await backend.sendTranscription(a.session, 'partial', 'user', false);
      await backend.sendTranscription(a.session, 'final words', 'assistant');
      backend.sendSpeaking(a.session, true, 'user');
      backend.sendSpeaking(a.session, false, 'user');
      backend.endOfResponse(a.session);
    });

    it('disconnect ends a session from the server side', async () => {
      const { backend, client } = await setup();
      const a = await client('room-a', 'alice');
      await backend.disconnect(a.session);
      expect(a.session.state).toBe('ended');
      expect(backend.getSession(a.session.id)).toBeUndefined();
      expect(backend.listSessions('room-a')).toEqual([]);
    });
  });
}
