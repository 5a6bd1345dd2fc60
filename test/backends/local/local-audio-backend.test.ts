import { afterEach, describe, expect, it } from 'vitest';
import {
  LocalAudioBackend,
  type LocalAudioBackendOptions,
  LocalAudioDeviceError,
  LocalEngineMissingError,
} from '../../../src/backends/local/index.js';
import { ValidationError } from '../../../src/core/errors.js';
import type { AudioFrame, VoiceSession } from '../../../src/voice/types.js';
import { eventually, pattern } from '../../conformance/backend.js';
import { type FileDevicePair, FileSoundDevices } from './file-devices.js';

/**
 * LocalAudioBackend on file-backed ALSA devices (see file-devices.ts): the microphone is a
 * FIFO we write, the speaker a FIFO we read, reached through arecord/aplay (and SoX) and
 * ALSA's own plugins, exactly as a sound card would be.
 */
const RATE = 16000;
const open: { backend: LocalAudioBackend; devices: FileSoundDevices }[] = [];

afterEach(async () => {
  for (const { backend, devices } of open.splice(0)) {
    await backend.close();
    await devices.close();
  }
});

async function rig(opts: LocalAudioBackendOptions = {}) {
  const devices = new FileSoundDevices('alsa');
  const backend = new LocalAudioBackend({ tool: 'alsa', env: devices.env, settleMs: 150, ...opts });
  open.push({ backend, devices });
  const connect = async (pair?: FileDevicePair) => {
    const p = pair ?? (await devices.add(backend.sampleRate, backend.channels));
    const session = await backend.connect('room', 'me', 'voice', {
      metadata: { inputDevice: p.input, outputDevice: p.output },
    });
    return { pair: p, session };
  };
  return { backend, devices, connect };
}

function bytes(pcm: Int16Array): Uint8Array {
  return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

function collect(backend: LocalAudioBackend, session: VoiceSession): AudioFrame[] {
  const frames: AudioFrame[] = [];
  backend.onAudioReceived((s, f) => {
    if (s.id === session.id) frames.push(f);
  });
  return frames;
}

function joined(frames: AudioFrame[]): Uint8Array {
  return Buffer.concat(frames.map((f) => Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength)));
}

describe('LocalAudioBackend (arecord/aplay on file-backed ALSA devices)', () => {
  it('opens the devices, announces an active session, and reports its rate', async () => {
    const { backend, connect } = await rig();
    const ready: string[] = [];
    backend.onSessionReady((s) => ready.push(s.id));
    const { session, pair } = await connect();
    expect(backend.name).toBe('local');
    expect(backend.tool).toBe('alsa');
    expect(session.state).toBe('active');
    expect(session.metadata).toMatchObject({ inputDevice: pair.input, outputDevice: pair.output });
    expect(ready).toEqual([session.id]);
    expect(backend.sampleRateFor(session)).toBe(RATE);
    expect(backend.supportsPlaybackCallback).toBe(true);
  });

  it('audio goes in: what the microphone hears arrives as 20 ms frames, byte for byte', async () => {
    const { backend, connect } = await rig();
    const { session, pair } = await connect();
    const frames = collect(backend, session);
    const speech = pattern(RATE); // one second
    await pair.speak(speech);
    await eventually(() => expect(joined(frames).byteLength).toBe(speech.byteLength));
    expect(joined(frames)).toEqual(Buffer.from(bytes(speech)));
    expect(frames.every((f) => f.data.length === 320 && f.sampleRate === RATE && f.channels === 1)).toBe(
      true,
    );
    expect(frames.map((f) => f.timestampMs)).toEqual(frames.map((_, i) => i * 20));
  });

  it('audio goes out: a reply plays on the speaker byte for byte, in real time, reported as played', async () => {
    const { backend, connect } = await rig();
    const { session, pair } = await connect();
    const played: AudioFrame[] = [];
    backend.onAudioPlayed((_s, f) => played.push({ ...f, data: f.data.slice() }));
    const reply = pattern(RATE, 3); // one second
    const started = performance.now();
    await backend.sendAudio(session, {
      data: bytes(reply),
      sampleRate: RATE,
      channels: 1,
      format: 'pcm_s16le',
    });
    expect(backend.isPlaying(session)).toBe(true);
    await eventually(() => expect(joined(played).byteLength).toBe(reply.byteLength), 5000);
    // Paced at real time: a second of audio takes about a second to play out.
    expect(performance.now() - started).toBeGreaterThan(800);
    expect(joined(played)).toEqual(Buffer.from(bytes(reply)));
    await eventually(() => expect(backend.isPlaying(session)).toBe(false));
    // ALSA's file plugin holds one device buffer until the player closes: the rest must be there.
    await eventually(() =>
      expect(pair.played.byteLength).toBeGreaterThanOrEqual(reply.byteLength - 2 * 2560),
    );
    await backend.disconnect(session);
    await eventually(() => expect(pair.played.byteLength).toBeGreaterThanOrEqual(reply.byteLength));
    expect(Buffer.from(pair.played.subarray(0, reply.byteLength))).toEqual(Buffer.from(bytes(reply)));
  });

  it('resamples replies at other rates and takes them as a stream', async () => {
    const { backend, connect } = await rig();
    const { session, pair } = await connect();
    async function* reply() {
      for (let i = 0; i < 5; i++) {
        yield { data: bytes(pattern(4800, i)), sampleRate: 24000, channels: 1, format: 'pcm_s16le' as const };
      }
    }
    await backend.sendAudio(session, reply());
    // 5 x 200 ms at 24 kHz = 1 s = 32000 bytes at 16 kHz (less the device buffer still held).
    await eventually(() => expect(pair.played.byteLength).toBeGreaterThan(32000 - 2 * 2560), 5000);
  });

  it('interrupt stops a reply at once: the queue is dropped and the player restarted', async () => {
    const { backend, connect } = await rig();
    const { session, pair } = await connect();
    const long = pattern(RATE * 4, 5); // four seconds
    await backend.sendAudio(session, bytes(long));
    await eventually(() => expect(pair.played.byteLength).toBeGreaterThan(8000));
    expect(pair.playersSeen).toBe(1);
    expect(backend.isPlaying(session)).toBe(true);
    expect(await backend.cancelAudio(session)).toBe(true);
    expect(backend.isPlaying(session)).toBe(false);
    await eventually(() => expect(pair.clears).toBe(1)); // the old player is gone
    const heard = pair.played.byteLength;
    expect(heard).toBeLessThan(long.byteLength / 2);
    // The next reply plays through the new player; nothing more of the old one does.
    const next = pattern(RATE / 2, 9);
    await backend.sendAudio(session, bytes(next));
    await eventually(() => expect(backend.isPlaying(session)).toBe(false), 5000);
    await backend.disconnect(session);
    await eventually(() => expect(pair.played.byteLength).toBeGreaterThanOrEqual(heard + next.byteLength));
    expect(Buffer.from(pair.played.subarray(heard, heard + next.byteLength))).toEqual(
      Buffer.from(bytes(next)),
    );
    expect(await backend.cancelAudio(session)).toBe(false);
  });

  it('sessions have their own devices; mute drops the microphone without closing it', async () => {
    const { backend, connect } = await rig();
    const a = await connect();
    const b = await connect();
    const fromA = collect(backend, a.session);
    const fromB = collect(backend, b.session);
    await a.pair.speak(pattern(640, 1));
    await b.pair.speak(pattern(320, 2));
    await eventually(() => expect(joined(fromA).byteLength).toBe(1280));
    await eventually(() => expect(joined(fromB).byteLength).toBe(640));
    backend.setInputMuted(a.session, true);
    await a.pair.speak(pattern(640, 3));
    await b.pair.speak(pattern(320, 4));
    await eventually(() => expect(joined(fromB).byteLength).toBe(1280));
    expect(joined(fromA).byteLength).toBe(1280);
    backend.setInputMuted(a.session, false);
    await a.pair.speak(pattern(320, 5));
    await eventually(() => expect(joined(fromA).byteLength).toBe(1280 + 640));
    expect(
      backend
        .listSessions('room')
        .map((s) => s.id)
        .sort(),
    ).toEqual([a.session.id, b.session.id].sort());
  });

  it('a microphone that goes away ends its session (onClientDisconnected), and its player stops', async () => {
    const { backend, connect } = await rig();
    const { session, pair } = await connect();
    const gone: VoiceSession[] = [];
    backend.onClientDisconnected((s) => gone.push(s));
    await eventually(() => expect(pair.playersSeen).toBe(1));
    pair.unplugMicrophone();
    await eventually(() => expect(gone.map((s) => s.id)).toEqual([session.id]));
    expect(session.state).toBe('ended');
    expect(backend.getSession(session.id)).toBeUndefined();
    await eventually(() => expect(pair.clears).toBe(1));
  });

  it('plays stereo devices: frames arrive interleaved, replies play on both sides', async () => {
    const { backend, connect } = await rig({ channels: 2 });
    const { session, pair } = await connect();
    const frames = collect(backend, session);
    await pair.speak(pattern(640 * 2, 1));
    await eventually(() => expect(frames.length).toBe(2));
    expect(frames[0]).toMatchObject({ channels: 2, sampleRate: RATE });
    expect(frames[0].data.length).toBe(640);
    const mono = pattern(3200, 4);
    await backend.sendAudio(session, bytes(mono));
    await eventually(() => expect(backend.isPlaying(session)).toBe(false), 5000);
    await backend.disconnect(session);
    await eventually(() => expect(pair.played.byteLength).toBeGreaterThanOrEqual(mono.byteLength * 2));
    const stereo = new Int16Array(Uint8Array.from(pair.played.subarray(0, mono.byteLength * 2)).buffer);
    for (let i = 0; i < mono.length; i += 97)
      expect([stereo[2 * i], stereo[2 * i + 1]]).toEqual([mono[i], mono[i]]);
  });
});

describe('LocalAudioBackend errors', () => {
  it('a device ALSA does not know is refused with its own complaint, and nothing is left running', async () => {
    const { backend, devices } = await rig();
    const pair = await devices.add();
    const err = await backend
      .connect('room', 'me', 'voice', {
        metadata: { inputDevice: 'no_such_device', outputDevice: pair.output },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalAudioDeviceError);
    expect((err as LocalAudioDeviceError).device).toBe('no_such_device');
    expect((err as Error).message).toMatch(/capture: arecord exited with code 1: .*no_such_device/);
    expect(backend.listSessions('room')).toEqual([]);
  });

  it('a missing program names the Debian package to install', async () => {
    for (const [tool, pkg] of [
      ['alsa', 'alsa-utils'],
      ['sox', 'sox'],
    ] as const) {
      const backend = new LocalAudioBackend({ tool, env: { PATH: '/nonexistent' } });
      const err = await backend.connect('room', 'me', 'voice').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LocalEngineMissingError);
      expect((err as Error).message).toContain(`apt-get install ${pkg}`);
    }
  });

  it('validates its options', () => {
    expect(() => new LocalAudioBackend({ channels: 3 })).toThrow(ValidationError);
    expect(() => new LocalAudioBackend({ sampleRate: 1000 })).toThrow(ValidationError);
    expect(() => new LocalAudioBackend({ tool: 'pulse' as 'sox' })).toThrow(ValidationError);
    expect(() => new LocalAudioBackend({ bufferMs: 0 })).toThrow(ValidationError);
  });
});

describe('LocalAudioBackend through SoX (its raw file-type driver on the same FIFOs)', () => {
  it('records and plays, format for format (SoX buffers up to 8 KiB on its pipes)', async () => {
    const devices = new FileSoundDevices('raw');
    const backend = new LocalAudioBackend({ tool: 'sox', soxDriver: 'raw', settleMs: 150 });
    open.push({ backend, devices });
    const pair = await devices.add();
    const session = await backend.connect('room', 'me', 'voice', {
      metadata: { inputDevice: pair.input, outputDevice: pair.output },
    });
    const frames = collect(backend, session);
    const speech = pattern(RATE, 6);
    await pair.speak(speech);
    await eventually(() =>
      expect(joined(frames).byteLength).toBeGreaterThanOrEqual(speech.byteLength - 8192),
    );
    const got = joined(frames);
    expect(got).toEqual(Buffer.from(bytes(speech).subarray(0, got.byteLength)));
    const reply = pattern(RATE / 2, 7);
    await backend.sendAudio(session, bytes(reply));
    await eventually(() => expect(backend.isPlaying(session)).toBe(false), 5000);
    // SoX writes in 4 KiB blocks: the last partial block may still be in it when it is stopped.
    await eventually(() => expect(pair.played.byteLength).toBeGreaterThanOrEqual(reply.byteLength - 4096));
    await backend.disconnect(session);
    const out = pair.played;
    expect(Buffer.from(out)).toEqual(Buffer.from(bytes(reply).subarray(0, out.byteLength)));
  });
});
