import { afterEach, describe, expect, it } from 'vitest';
import type { AudioChunk, AudioFrame, VoiceSession } from '../../../src/voice/types.js';
import { VoiceCapability } from '../../../src/voice/types.js';
import { eventually } from '../../conformance/backend.js';
import { rms } from '../../../src/voice/audio/levels.js';
import { sine, zeroCrossingFrequency } from '../../voice/audio/signals.js';
import { type RtcServer, startRtcServer } from './helpers.js';
import { WeriftClient } from './werift-client.js';

const servers: RtcServer[] = [];
const clients: WeriftClient[] = [];

async function server(...args: Parameters<typeof startRtcServer>) {
  const s = await startRtcServer(...args);
  servers.push(s);
  return s;
}

async function client(s: RtcServer, user = 'alice', room = 'room-a', extra = {}) {
  const c = await WeriftClient.connect({ url: s.url, token: `user:${user}`, roomId: room, ...extra });
  clients.push(c);
  return c;
}

/** A connected client and the session the backend announced for it. */
async function call(s: RtcServer) {
  const ready = new Promise<VoiceSession>((resolve) => s.backend.onSessionReady(resolve));
  const c = await client(s);
  await c.waitMessage((m) => m.type === 'ready');
  return { c, session: await ready };
}

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const s of servers.splice(0)) await s.close();
});

function joined(frames: AudioFrame[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.data.length, 0));
  let o = 0;
  for (const f of frames) {
    out.set(f.data, o);
    o += f.data.length;
  }
  return out;
}

describe('WebRTCVoiceBackend (werift client on loopback)', () => {
  it('a connecting client starts a session on its own: ready on both sides, room and user from the offer and token', async () => {
    const s = await server();
    const ready: VoiceSession[] = [];
    s.backend.onSessionReady((session) => ready.push(session));
    const c = await client(s, 'alice', 'room-a', { metadata: { via: 'client', x: 1 } });
    await c.waitConnected();
    const msg = await c.waitMessage((m) => m.type === 'ready');
    await eventually(() => expect(ready).toHaveLength(1));
    const session = ready[0]!;
    expect(msg).toMatchObject({
      sessionId: session.id,
      roomId: 'room-a',
      participantId: 'alice',
      sampleRate: 16000,
    });
    expect(session).toMatchObject({
      roomId: 'room-a',
      participantId: 'alice',
      channelId: 'voice',
      state: 'active',
    });
    // What the token says about the user wins over what the client claims.
    expect(session.metadata).toEqual({ via: 'token', x: 1 });
    expect(s.backend.listSessions('room-a').map((x) => x.id)).toEqual([session.id]);
    expect(s.backend.sampleRateFor(session)).toBe(16000);
  });

  it('declares INTERRUPTION and the browser-side NATIVE_AEC / NATIVE_AGC (switchable)', async () => {
    const s = await server();
    expect(s.backend.capabilities).toBe(
      VoiceCapability.INTERRUPTION | VoiceCapability.NATIVE_AEC | VoiceCapability.NATIVE_AGC,
    );
    const plain = await server({ nativeEchoCancellation: false, nativeGainControl: false });
    expect(plain.backend.capabilities).toBe(VoiceCapability.INTERRUPTION);
  });

  it('client audio arrives as 20 ms frames at the backend rate (Opus decoded, pitch kept)', async () => {
    const s = await server({ sampleRate: 16000 });
    const frames: AudioFrame[] = [];
    s.backend.onAudioReceived((_session, f) => frames.push({ ...f, data: f.data.slice() }));
    const c = await client(s);
    await c.waitConnected();
    await c.waitMessage((m) => m.type === 'ready');
    await c.streamPcm(sine(440, 48000, 1000, 8000));
    await eventually(() => expect(joined(frames).length).toBeGreaterThanOrEqual(16000 * 0.9), 5000);
    for (const f of frames) {
      expect(f.sampleRate).toBe(16000);
      expect(f.channels).toBe(1);
    }
    expect(frames[0]!.data.length).toBe(320);
    const pcm = joined(frames).subarray(3200, 12800); // skip the codec's ramp-up
    expect(rms(pcm)).toBeGreaterThan(3000);
    expect(zeroCrossingFrequency(pcm, 16000)).toBeGreaterThan(400);
    expect(zeroCrossingFrequency(pcm, 16000)).toBeLessThan(480);
    // Timestamps count media time, not arrival.
    expect(frames[10]!.timestampMs).toBeCloseTo(200, 0);
  });

  it('replies reach the client as Opus (bytes, chunks, streams, any rate) with speaking on and off', async () => {
    const s = await server({ sampleRate: 16000 });
    const { c, session } = await call(s);
    const t = sine(300, 16000, 200, 8000);
    await s.backend.sendAudio(session, new Uint8Array(t.buffer));
    // A chunk at 24 kHz (encoded natively) and one at 22.05 kHz (resampled first).
    const t24 = sine(300, 24000, 200, 8000);
    await s.backend.sendAudio(session, {
      data: new Uint8Array(t24.buffer),
      sampleRate: 24000,
      channels: 1,
      format: 'pcm_s16le',
    });
    async function* stream(): AsyncIterable<AudioChunk> {
      const t22 = sine(300, 22050, 200, 8000);
      yield { data: new Uint8Array(t22.buffer), sampleRate: 22050, channels: 1, format: 'pcm_s16le' };
    }
    await s.backend.sendAudio(session, stream());
    expect(s.backend.isPlaying(session)).toBe(true);
    s.backend.endOfResponse(session);
    await c.waitMessage((m) => m.type === 'speaking' && m.speaking === false);
    const speaking = c.messages.filter((m) => m.type === 'speaking');
    expect(speaking.map((m) => m.speaking)).toEqual([true, false]);
    expect(speaking[0]!.who).toBe('assistant');
    await eventually(() => expect(c.receivedPcm().length).toBeGreaterThanOrEqual(48000 * 0.55));
    const heard = c.receivedPcm();
    expect(rms(heard.subarray(4800))).toBeGreaterThan(2000);
    expect(zeroCrossingFrequency(heard.subarray(4800, 28800), 48000)).toBeGreaterThan(270);
    expect(zeroCrossingFrequency(heard.subarray(4800, 28800), 48000)).toBeLessThan(330);
    expect(c.frames[0]!.marker).toBe(true);
  });

  it('a throwing audio listener is logged and the call goes on (the next frames still arrive)', async () => {
    const s = await server();
    let calls = 0;
    s.backend.onAudioReceived(() => {
      calls++;
      if (calls === 1) throw new Error('listener bug');
    });
    const { c } = await call(s);
    void c.streamPcm(sine(440, 48000, 300, 8000));
    await eventually(() => expect(calls).toBeGreaterThan(5));
    expect(s.logger.lines.some((l) => l.level === 'error' && /audio listener failed/.test(l.msg ?? ''))).toBe(
      true,
    );
    expect(s.backend.connectionCount).toBe(1);
  });

  it('transcripts go down the data channel', async () => {
    const s = await server();
    const { c, session } = await call(s);
    await s.backend.sendTranscription(session, 'hello there', 'assistant');
    expect(await c.waitMessage((m) => m.type === 'transcription')).toEqual({
      type: 'transcription',
      text: 'hello there',
      role: 'assistant',
      final: true,
    });
  });

  it('interrupt sends clear at once, stops a queued stream, and the next reply starts a new talkspurt', async () => {
    const s = await server();
    const { c, session } = await call(s);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* stream(): AsyncIterable<AudioChunk> {
      yield {
        data: new Uint8Array(sine(300, 16000, 400, 8000).buffer),
        sampleRate: 16000,
        channels: 1,
        format: 'pcm_s16le',
      };
      await gate;
      yield {
        data: new Uint8Array(sine(300, 16000, 400, 8000).buffer),
        sampleRate: 16000,
        channels: 1,
        format: 'pcm_s16le',
      };
    }
    const sending = s.backend.sendAudio(session, stream());
    await eventually(() => expect(c.frames.length).toBe(20));
    expect(await s.backend.cancelAudio(session)).toBe(true);
    expect(s.backend.isPlaying(session)).toBe(false);
    release();
    await sending;
    await c.waitMessage((m) => m.type === 'clear');
    await c.waitMessage((m) => m.type === 'speaking' && m.speaking === false);
    await new Promise((r) => setTimeout(r, 100));
    expect(c.frames.length).toBe(20); // the late chunk never went out
    await s.backend.sendAudio(session, new Uint8Array(sine(300, 16000, 100, 8000).buffer));
    await eventually(() => expect(c.frames.length).toBe(25));
    expect(c.frames[20]!.marker).toBe(true);
  });

  it('DELETE hangs up: the session ends as a client disconnect', async () => {
    const s = await server();
    const gone: VoiceSession[] = [];
    s.backend.onClientDisconnected((x) => gone.push(x));
    const c = await client(s);
    await c.waitMessage((m) => m.type === 'ready');
    expect(await c.hangUp()).toBe(204);
    await eventually(() => expect(gone).toHaveLength(1));
    expect(gone[0]!.state).toBe('ended');
    expect(s.backend.connectionCount).toBe(0);
    expect(s.backend.listSessions('room-a')).toEqual([]);
  });

  it('disconnect from the server says bye and is not reported as a client drop', async () => {
    const s = await server();
    const gone: VoiceSession[] = [];
    s.backend.onClientDisconnected((x) => gone.push(x));
    const { c, session } = await call(s);
    await s.backend.disconnect(session);
    await c.waitMessage((m) => m.type === 'bye');
    expect(session.state).toBe('ended');
    expect(s.backend.connectionCount).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(gone).toEqual([]);
  });

  it('control messages: ping gets pong, junk gets a typed error, stop hangs up', async () => {
    const s = await server();
    const gone: VoiceSession[] = [];
    s.backend.onClientDisconnected((x) => gone.push(x));
    const c = await client(s);
    await c.waitMessage((m) => m.type === 'ready');
    c.sendControl({ type: 'ping' });
    await c.waitMessage((m) => m.type === 'pong');
    c.sendControl('not json');
    expect(await c.waitMessage((m) => m.type === 'error')).toMatchObject({ code: 'invalid_json' });
    c.sendControl({ type: 'dance' });
    expect(await c.waitMessage((m) => m.type === 'error' && m.code === 'unknown_type')).toBeTruthy();
    c.sendControl({ type: 'stop' });
    await eventually(() => expect(gone).toHaveLength(1));
  });

  it('with an onClientConnected listener the app binds the session itself (the seed’s webrtc_id flow)', async () => {
    const s = await server();
    const ready: VoiceSession[] = [];
    s.backend.onSessionReady((x) => ready.push(x));
    const seen: string[] = [];
    s.backend.onClientConnected(async (conn) => {
      seen.push(`${conn.participantId}@${conn.roomId}`);
      const session = await s.backend.connect('room-from-app', conn.participantId, 'phone');
      await s.backend.accept(session, conn.id);
    });
    const c = await client(s, 'bob', 'room-b');
    const msg = await c.waitMessage((m) => m.type === 'ready');
    expect(seen).toEqual(['bob@room-b']);
    expect(msg).toMatchObject({ roomId: 'room-from-app', participantId: 'bob' });
    expect(ready.map((x) => x.channelId)).toEqual(['phone']);
    await expect(s.backend.accept(ready[0]!, 'no-such-connection')).rejects.toThrow(/not found/);
  });

  it('a listener that throws refuses the call (the peer is closed, nothing leaks)', async () => {
    const s = await server();
    s.backend.onClientConnected(() => {
      throw new Error('not today');
    });
    const c = await client(s);
    await c.waitConnected();
    await eventually(() => expect(s.backend.connectionCount).toBe(0));
    expect(c.messages.some((m) => m.type === 'ready')).toBe(false);
    expect(s.logger.lines.some((l) => l.level === 'warn' && /onClientConnected/.test(l.msg ?? ''))).toBe(
      true,
    );
  });
});
