import { ValidationError } from '../core/errors.js';
import { bytesToInt16 } from '../voice/audio/pcm.js';
import { type ConnectOptions, VoiceBackend } from '../voice/backends/voice-backend.js';
import { type PacerClock, systemClock } from '../voice/pacer.js';
import type { AudioChunk, VoiceSession } from '../voice/types.js';
import { VoiceCapability } from '../voice/types.js';

export interface EchoLoopBackendOptions {
  /** Rate of the audio both ways. Default 16000. */
  sampleRate?: number;
  /** Microphone frame length. Default 20 ms. */
  frameMs?: number;
  /** From the moment audio plays to its echo in the microphone. Default 120 ms. */
  delayMs?: number;
  /** Echo level relative to what is played (dB). Default -6; -Infinity: no echo (a headset). */
  gainDb?: number;
  /** White noise added to the microphone (dBFS RMS). Default -50; -Infinity: none. */
  noiseDbfs?: number;
  /**
   * A room after the direct path: sparse reflections decaying by 60 dB over this long.
   * Default 0 (the echo is the delayed, attenuated audio and nothing else).
   */
  roomTailMs?: number;
  /** Fire onAudioPlayed as each frame starts playing (supportsPlaybackCallback). Default false. */
  reportsPlayback?: boolean;
  /** Flags to declare, e.g. NATIVE_AEC for a headset-style device. Default NONE. */
  capabilities?: VoiceCapability;
  /** Time source; a ManualClock runs the loop on virtual time. Default the wall clock. */
  clock?: PacerClock;
  /** Seed of the noise and the room's reflections. Default 1. */
  seed?: number;
}

/** A caller utterance scheduled into the microphone. */
export interface ScheduledUtterance {
  /** Clock time at which its first sample is captured. */
  atMs: number;
  durationMs: number;
}

interface Frame {
  start: number;
  data: Int16Array;
}

interface LoopSession {
  originMs: number;
  /** Next microphone sample to capture (samples since originMs). */
  micPos: number;
  ticks: number;
  timer: unknown;
  /** Audio sent but not yet started, each frame at the position it starts playing. */
  queued: Frame[];
  /** Where the audio queued last ends: the next chunk plays right after it. */
  queueEnd: number;
  /** What the speaker played, by position (a ring reaching back past the echo path). */
  played: Float32Array;
  playedEnd: number;
  utterances: { start: number; data: Int16Array; gain: number }[];
  random: () => number;
}

/**
 * A device on the far side of a call that hears itself: every frame it is asked to play
 * comes back into its microphone through an echo path (delay, attenuation, optional room
 * tail) with noise, and a caller utterance can be scheduled on top at a chosen time. Audio
 * plays from the moment it arrives (a burst plays back to back), and the microphone
 * delivers a frame every `frameMs` on the clock, like a full-duplex sound card.
 *
 * Run a VoiceChannel (or RealtimeVoiceChannel) over it with the same ManualClock to measure
 * echo handling on virtual time: see `bench/echo.ts` and docs/voice.md.
 */
export class EchoLoopBackend extends VoiceBackend {
  readonly name = 'echo-loop';
  override readonly capabilities: VoiceCapability;
  override readonly supportsPlaybackCallback: boolean;
  readonly clock: PacerClock;
  readonly sampleRate: number;
  private readonly frameSamples: number;
  private readonly delay: number;
  private readonly gain: number;
  private readonly noiseAmplitude: number;
  private readonly taps: { at: number; gain: number }[] = [];
  private readonly historyLength: number;
  private readonly loops = new Map<string, LoopSession>();
  private readonly seed: number;

  constructor(options: EchoLoopBackendOptions = {}) {
    super();
    this.sampleRate = options.sampleRate ?? 16000;
    const frameMs = options.frameMs ?? 20;
    const delayMs = options.delayMs ?? 120;
    const tailMs = options.roomTailMs ?? 0;
    for (const [name, v] of [
      ['sampleRate', this.sampleRate],
      ['frameMs', frameMs],
      ['delayMs', delayMs + 1],
      ['roomTailMs', tailMs + 1],
    ] as const) {
      if (!(Number.isFinite(v) && v > 0)) throw new ValidationError(`echo loop ${name} is out of range`);
    }
    this.capabilities = options.capabilities ?? VoiceCapability.NONE;
    this.supportsPlaybackCallback = options.reportsPlayback ?? false;
    this.clock = options.clock ?? systemClock;
    this.seed = options.seed ?? 1;
    const samples = (ms: number) => Math.round((ms * this.sampleRate) / 1000);
    this.frameSamples = Math.max(1, samples(frameMs));
    this.delay = samples(delayMs);
    this.gain = 10 ** ((options.gainDb ?? -6) / 20);
    // Uniform noise of peak a has RMS a / sqrt(3).
    this.noiseAmplitude = 32768 * 10 ** ((options.noiseDbfs ?? -50) / 20) * Math.sqrt(3);
    if (tailMs > 0) this.buildRoom(samples(tailMs));
    const reach = this.delay + (this.taps.at(-1)?.at ?? 0);
    this.historyLength = reach + 4 * this.frameSamples;
  }

  override sampleRateFor(_session: VoiceSession): number {
    return this.sampleRate;
  }

  override async connect(
    roomId: string,
    participantId: string,
    channelId: string,
    opts: ConnectOptions = {},
  ): Promise<VoiceSession> {
    const session = await super.connect(roomId, participantId, channelId, opts);
    const loop: LoopSession = {
      originMs: this.clock.now(),
      micPos: 0,
      ticks: 0,
      timer: undefined,
      queued: [],
      queueEnd: 0,
      played: new Float32Array(this.historyLength),
      playedEnd: 0,
      utterances: [],
      random: seededRandom(this.seed + this.loops.size),
    };
    this.loops.set(session.id, loop);
    this.schedule(session, loop);
    this.emitSessionReady(session);
    return session;
  }

  async disconnect(session: VoiceSession): Promise<void> {
    const loop = this.loops.get(session.id);
    if (loop) this.clock.clearTimer(loop.timer);
    this.loops.delete(session.id);
    this.forgetSession(session);
  }

  async sendAudio(
    session: VoiceSession,
    audio: AudioChunk | Uint8Array | AsyncIterable<AudioChunk>,
  ): Promise<void> {
    if (audio instanceof Uint8Array) {
      this.enqueue(session, bytesToInt16(audio.slice(0, audio.byteLength & ~1)));
    } else if (Symbol.asyncIterator in audio) {
      for await (const chunk of audio) this.enqueueChunk(session, chunk);
    } else {
      this.enqueueChunk(session, audio);
    }
  }

  /** Stops playback: what is queued never plays (what already played still echoes). */
  interrupt(session: VoiceSession): void {
    const loop = this.loops.get(session.id);
    if (!loop) return;
    loop.queued.length = 0;
    loop.queueEnd = this.position(loop, this.clock.now());
  }

  override isPlaying(session: VoiceSession): boolean {
    const loop = this.loops.get(session.id);
    return !!loop && loop.queueEnd > this.position(loop, this.clock.now());
  }

  /**
   * The caller says `pcm` (at the backend's rate) into the microphone, starting at clock
   * time `atMs` (default now), at `gainDb` (default 0: as recorded).
   */
  say(
    session: VoiceSession,
    pcm: Int16Array,
    opts: { atMs?: number; gainDb?: number } = {},
  ): ScheduledUtterance {
    const loop = this.loops.get(session.id);
    if (!loop) throw new ValidationError(`echo loop: no session ${session.id}`);
    const atMs = opts.atMs ?? this.clock.now();
    const start = this.position(loop, atMs);
    loop.utterances.push({ start, data: pcm, gain: 10 ** ((opts.gainDb ?? 0) / 20) });
    return { atMs, durationMs: (pcm.length * 1000) / this.sampleRate };
  }

  // ---- internals ----------------------------------------------------------------------

  private position(loop: LoopSession, ms: number): number {
    return Math.round(((ms - loop.originMs) * this.sampleRate) / 1000);
  }

  private enqueueChunk(session: VoiceSession, chunk: AudioChunk): void {
    if (chunk.format !== 'pcm_s16le' || chunk.channels !== 1 || chunk.sampleRate !== this.sampleRate) {
      throw new ValidationError(
        `echo loop plays mono pcm_s16le at ${this.sampleRate} Hz, got ${chunk.format} ${chunk.channels} ch ${chunk.sampleRate} Hz`,
      );
    }
    this.enqueue(session, bytesToInt16(chunk.data.slice()));
  }

  /** Audio plays from its arrival, or right after what is still queued. */
  private enqueue(session: VoiceSession, pcm: Int16Array): void {
    const loop = this.loops.get(session.id);
    if (!loop) return;
    let at = Math.max(loop.queueEnd, this.position(loop, this.clock.now()));
    for (let i = 0; i < pcm.length; i += this.frameSamples) {
      const data = pcm.slice(i, i + this.frameSamples);
      loop.queued.push({ start: at, data });
      at += data.length;
    }
    loop.queueEnd = at;
  }

  private schedule(session: VoiceSession, loop: LoopSession): void {
    // Aligned to the origin, so a late timer does not make the microphone drift.
    const nextAt = loop.originMs + ((loop.ticks + 1) * this.frameSamples * 1000) / this.sampleRate;
    loop.timer = this.clock.setTimer(() => this.tick(session, loop), Math.max(0, nextAt - this.clock.now()));
  }

  private tick(session: VoiceSession, loop: LoopSession): void {
    if (this.loops.get(session.id) !== loop) return;
    loop.ticks++;
    const end = this.position(loop, this.clock.now());
    this.play(session, loop, end);
    while (loop.micPos + this.frameSamples <= end) this.capture(session, loop);
    if (this.loops.get(session.id) === loop) this.schedule(session, loop);
  }

  /** Frames whose start has come move into the speaker's history (and are reported). */
  private play(session: VoiceSession, loop: LoopSession, until: number): void {
    while (loop.queued.length > 0 && loop.queued[0].start < until) {
      const frame = loop.queued.shift()!;
      const ring = loop.played;
      for (let p = Math.max(loop.playedEnd, frame.start - ring.length); p < frame.start; p++) {
        ring[p % ring.length] = 0; // silence between replies
      }
      for (let i = 0; i < frame.data.length; i++) ring[(frame.start + i) % ring.length] = frame.data[i];
      loop.playedEnd = Math.max(loop.playedEnd, frame.start + frame.data.length);
      if (this.supportsPlaybackCallback) {
        this.emitAudioPlayed(session, { data: frame.data, sampleRate: this.sampleRate, channels: 1 });
      }
    }
  }

  private capture(session: VoiceSession, loop: LoopSession): void {
    const n = this.frameSamples;
    const from = loop.micPos;
    const mic = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      const p = from + i;
      let v = (loop.random() * 2 - 1) * this.noiseAmplitude;
      if (this.gain > 0) {
        v += this.gain * this.speakerAt(loop, p - this.delay);
        for (const tap of this.taps) v += tap.gain * this.speakerAt(loop, p - this.delay - tap.at);
      }
      for (const u of loop.utterances) {
        const k = p - u.start;
        if (k >= 0 && k < u.data.length) v += u.data[k] * u.gain;
      }
      mic[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
    }
    loop.micPos += n;
    loop.utterances = loop.utterances.filter((u) => u.start + u.data.length > loop.micPos);
    const timestampMs = (from * 1000) / this.sampleRate;
    this.emitAudio(session, { data: mic, sampleRate: this.sampleRate, channels: 1, timestampMs });
  }

  private speakerAt(loop: LoopSession, p: number): number {
    const ring = loop.played;
    return p < 0 || p >= loop.playedEnd || p < loop.playedEnd - ring.length ? 0 : ring[p % ring.length];
  }

  /** Sparse reflections after the direct path, decaying 60 dB over the tail. */
  private buildRoom(tail: number): void {
    const random = seededRandom(this.seed * 7919);
    for (let k = 0; k < 24; k++) {
      const at = Math.round(((k + random()) / 24) * tail);
      const decay = 10 ** ((-60 * at) / tail / 20);
      this.taps.push({ at, gain: this.gain * 0.5 * decay * (random() < 0.5 ? -1 : 1) });
    }
    this.taps.sort((a, b) => a.at - b.at);
  }
}

/** mulberry32: deterministic noise, so every run hears the same line. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
