import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { EchoLoopBackend, type EchoLoopBackendOptions } from '../../../src/testing/index.js';
import { int16ToBytes } from '../../../src/voice/audio/pcm.js';
import { ManualClock } from '../../../src/voice/pacer.js';
import type { AudioFrame, VoiceSession } from '../../../src/voice/types.js';
import { VoiceCapability } from '../../../src/voice/types.js';

const RATE = 16_000;
const pcm = (data: Int16Array) => ({
  data: int16ToBytes(data),
  sampleRate: RATE,
  channels: 1,
  format: 'pcm_s16le' as const,
});
let backend: EchoLoopBackend | undefined;
afterEach(async () => {
  await backend?.close();
  backend = undefined;
});

async function loop(options: Omit<EchoLoopBackendOptions, 'clock'>) {
  const clock = new ManualClock(0);
  backend = new EchoLoopBackend({ noiseDbfs: Number.NEGATIVE_INFINITY, ...options, clock });
  const heard: AudioFrame[] = [];
  const played: AudioFrame[] = [];
  backend.onAudioReceived((_s, f) => void heard.push(f));
  backend.onAudioPlayed((_s, f) => void played.push(f));
  const session = await backend.connect('room', 'caller', 'phone');
  const mic = () => {
    const all = new Int16Array(heard.reduce((n, f) => n + f.data.length, 0));
    let at = 0;
    for (const f of heard) {
      all.set(f.data, at);
      at += f.data.length;
    }
    return all;
  };
  return { clock, backend, session: session as VoiceSession, heard, played, mic };
}

describe('EchoLoopBackend', () => {
  it('plays what it is sent and hears it again after the delay, attenuated', async () => {
    const l = await loop({ delayMs: 50, gainDb: -6 });
    l.clock.advance(100);
    await l.backend.sendAudio(l.session, pcm(new Int16Array(320).fill(10_000)));
    expect(l.backend.isPlaying(l.session)).toBe(true);
    l.clock.advance(300);
    expect(l.backend.isPlaying(l.session)).toBe(false);
    const mic = l.mic();
    // Frames of 20 ms on the clock: 400 ms heard. The tone played at 100 ms comes back at 150 ms.
    expect(mic.length).toBe(400 * 16);
    expect(mic[149 * 16]).toBe(0);
    expect(mic[150 * 16]).toBe(Math.round(10_000 * 10 ** (-6 / 20)));
    expect(mic[169 * 16]).toBe(mic[150 * 16]);
    expect(mic[171 * 16]).toBe(0);
    expect(l.heard.every((f) => f.data.length === 320 && f.sampleRate === RATE)).toBe(true);
  });

  it('plays a burst back to back and stops at interrupt (what already played still echoes)', async () => {
    const l = await loop({ delayMs: 10, gainDb: 0 });
    await l.backend.sendAudio(l.session, pcm(new Int16Array(1600).fill(1000))); // 100 ms at once
    l.clock.advance(40);
    l.backend.interrupt(l.session);
    l.clock.advance(200);
    const mic = l.mic();
    expect(mic[30 * 16]).toBe(1000);
    expect(mic[45 * 16]).toBe(1000); // the frame playing when interrupted plays out
    expect(mic[75 * 16]).toBe(0);
  });

  it('mixes a caller utterance in at the chosen time, and adds noise at the chosen level', async () => {
    const l = await loop({ noiseDbfs: -40, gainDb: Number.NEGATIVE_INFINITY });
    const said = l.backend.say(l.session, new Int16Array(800).fill(8000), { atMs: 200 });
    expect(said).toEqual({ atMs: 200, durationMs: 50 });
    l.clock.advance(400);
    const mic = l.mic();
    const rms = (a: Int16Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(20 * Math.log10(rms(mic.subarray(0, 3200)) / 32768)).toBeCloseTo(-40, 0);
    expect(Math.abs(mic[210 * 16] - 8000)).toBeLessThan(500);
  });

  it('reports playback frame by frame when asked, and declares what it is told', async () => {
    const l = await loop({ reportsPlayback: true, capabilities: VoiceCapability.NATIVE_AEC });
    expect(l.backend.supportsPlaybackCallback).toBe(true);
    expect(l.backend.capabilities).toBe(VoiceCapability.NATIVE_AEC);
    await l.backend.sendAudio(l.session, pcm(new Int16Array(960).fill(5)));
    l.clock.advance(20);
    expect(l.played).toHaveLength(1);
    l.clock.advance(60);
    expect(l.played.map((f) => f.data.length)).toEqual([320, 320, 320]);
  });

  it('rejects audio it cannot play with a typed error', async () => {
    const l = await loop({});
    await expect(
      l.backend.sendAudio(l.session, { ...pcm(new Int16Array(8)), sampleRate: 8000 }),
    ).rejects.toThrow(ValidationError);
    expect(() => new EchoLoopBackend({ delayMs: -5 })).toThrow(ValidationError);
  });
});
