import { ValidationError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/logger.js';
import { int16ToBytes, monoToStereo } from '../../voice/audio/pcm.js';
import { type ConnectOptions, VoiceBackend } from '../../voice/backends/voice-backend.js';
import { OutboundPacer, type PacerClock } from '../../voice/pacer.js';
import type { AudioFrame, VoiceSession } from '../../voice/types.js';
import { VoiceCapability, VoiceSessionState } from '../../voice/types.js';
import { isAsyncIterable, type OutboundAudio, OutboundAudioConverter } from '../rtp/outbound-audio.js';
import {
  captureCommand,
  type DeviceStream,
  defaultSoxDriver,
  defaultTool,
  type LocalAudioTool,
  playbackCommand,
} from './audio-tools.js';
import { CaptureFramer } from './capture-framer.js';
import { DeviceProcess, type LocalAudioDeviceError } from './device-process.js';

export interface LocalAudioBackendOptions {
  /** Rate of the microphone and speaker streams. Default 16000. */
  sampleRate?: number;
  /** 1 (mono) or 2 (stereo: captured frames arrive interleaved, replies play on both sides). Default 1. */
  channels?: number;
  /** `alsa` (arecord/aplay) or `sox`. Default: `alsa` on Linux when arecord is installed, else `sox`. */
  tool?: LocalAudioTool;
  /** Capture device (ALSA PCM name, or the SoX driver's device). Default `default`. Per session: `metadata.inputDevice`. */
  inputDevice?: string;
  /** Playback device. Default `default`. Per session: `metadata.outputDevice`. */
  outputDevice?: string;
  /** SoX's driver when `tool` is `sox`. Default `alsa` (Linux), `coreaudio` (macOS). */
  soxDriver?: string;
  /** Length of captured frames and of played ones. Default 20 ms. */
  frameMs?: number;
  /** The sound card's buffer: playback latency, and what still plays after an interrupt is cut. Default 80 ms. */
  bufferMs?: number;
  /** How far replies are written ahead of what plays. Default 40 ms. */
  playbackLeadMs?: number;
  /** Extra environment for the audio programs (e.g. `ALSA_CONFIG_PATH`, `AUDIODEV`, `PULSE_SERVER`). */
  env?: Record<string, string>;
  /** A device that has not refused within this long is taken as open. Default 300 ms. */
  settleMs?: number;
  clock?: PacerClock;
  logger?: Logger;
}

interface LocalMedia {
  session: VoiceSession;
  capture: DeviceProcess;
  player: DeviceProcess;
  playback: DeviceStream;
  pacer: OutboundPacer;
  out: OutboundAudioConverter;
  /** While the player restarts (interrupt), what the pacer sends waits here. */
  pending: Uint8Array[] | undefined;
  muted: boolean;
  ending: boolean;
}

/**
 * The machine's own microphone and speakers (the seed's LocalAudioBackend), for developing
 * and demoing a voice agent without a phone or browser. Capture and playback run as child
 * processes (`arecord`/`aplay`, or `sox`), so nothing native is loaded into Node. Replies are
 * paced in real time into a small device buffer: `interrupt` stops them at once (the player
 * is restarted, dropping what the card still held), and each frame is reported through
 * `onAudioPlayed` as it plays, which is what echo cancellation needs on open speakers.
 */
export class LocalAudioBackend extends VoiceBackend {
  readonly name = 'local';
  override readonly capabilities: number = VoiceCapability.INTERRUPTION;
  override readonly supportsPlaybackCallback: boolean = true;
  readonly sampleRate: number;
  readonly channels: number;
  readonly tool: LocalAudioTool;
  private readonly opts: LocalAudioBackendOptions;
  private readonly logger: Logger;
  private readonly media = new Map<string, LocalMedia>();

  constructor(options: LocalAudioBackendOptions = {}) {
    super();
    this.sampleRate = options.sampleRate ?? 16000;
    this.channels = options.channels ?? 1;
    if (!Number.isInteger(this.sampleRate) || this.sampleRate < 8000 || this.sampleRate > 96000) {
      throw new ValidationError(`LocalAudioBackend sampleRate must be 8000-96000, got ${this.sampleRate}`);
    }
    if (this.channels !== 1 && this.channels !== 2) {
      throw new ValidationError(`LocalAudioBackend channels must be 1 or 2, got ${this.channels}`);
    }
    if (options.tool !== undefined && options.tool !== 'alsa' && options.tool !== 'sox') {
      throw new ValidationError(
        `LocalAudioBackend tool must be "alsa" or "sox", got ${String(options.tool)}`,
      );
    }
    for (const key of ['frameMs', 'bufferMs', 'playbackLeadMs', 'settleMs'] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isFinite(v) && v > 0)) {
        throw new ValidationError(`LocalAudioBackend ${key} must be a positive number, got ${v}`);
      }
    }
    this.opts = options;
    this.tool = options.tool ?? defaultTool();
    this.logger = options.logger ?? createLogger('roomkit.backends.local');
  }

  override sampleRateFor(_session: VoiceSession): number {
    return this.sampleRate;
  }

  /**
   * Opens the microphone and the speaker for a new session. Rejects with
   * LocalEngineMissingError (which Debian package to install) or LocalAudioDeviceError
   * (the device's own complaint) when either cannot be opened.
   */
  override async connect(
    roomId: string,
    participantId: string,
    channelId: string,
    opts: ConnectOptions = {},
  ): Promise<VoiceSession> {
    const metadata = { ...opts.metadata };
    const session = this.newSession(roomId, participantId, channelId, metadata);
    const input = this.stream(stringOr(metadata.inputDevice, this.opts.inputDevice));
    const output = this.stream(stringOr(metadata.outputDevice, this.opts.outputDevice));
    const frameMs = this.opts.frameMs ?? 20;
    const framer = new CaptureFramer(this.sampleRate, this.channels, frameMs);
    const capture = DeviceProcess.spawn(captureCommand(input), {
      role: 'capture',
      device: input.device,
      env: this.opts.env,
      settleMs: this.opts.settleMs ?? 300,
      onData: (chunk) => framer.push(chunk, (frame) => this.captured(session, frame)),
      onUnexpectedExit: (err) => this.deviceLost(session, err),
    });
    const player = this.spawnPlayer(session, output);
    try {
      await Promise.all([capture.ready, player.ready]);
    } catch (err) {
      await Promise.all([capture.stop(), player.stop()]);
      throw err;
    }
    const m: LocalMedia = {
      session,
      capture,
      player,
      playback: output,
      out: new OutboundAudioConverter(this.sampleRate),
      pacer: new OutboundPacer({
        sampleRate: this.sampleRate,
        frameMs,
        leadMs: this.opts.playbackLeadMs ?? 40,
        // A reply's last partial frame goes out once nothing more arrives.
        partialFlushMs: frameMs,
        clock: this.opts.clock,
        send: (frame) => this.play(m, frame),
        onPlayed: (frame, lateMs) => this.emitAudioPlayed(session, frame, lateMs),
        onError: (err) => this.logger.warn({ backend: this.name, err: String(err) }, 'playback write failed'),
      }),
      pending: undefined,
      muted: false,
      ending: false,
    };
    metadata.inputDevice = input.device;
    metadata.outputDevice = output.device;
    this.media.set(session.id, m);
    this.sessions.set(session.id, session);
    this.emitSessionReady(session);
    return session;
  }

  async disconnect(session: VoiceSession): Promise<void> {
    const m = this.media.get(session.id);
    this.media.delete(session.id);
    this.forgetSession(session);
    session.state = VoiceSessionState.ENDED;
    if (!m) return;
    m.ending = true;
    m.pacer.interrupt();
    m.out.close();
    await Promise.all([m.capture.stop(), m.player.stop()]);
  }

  async sendAudio(session: VoiceSession, audio: OutboundAudio): Promise<void> {
    const m = this.media.get(session.id);
    if (!m) return;
    if (audio instanceof Uint8Array) {
      this.enqueue(m, m.out.fromBytes(audio));
      return;
    }
    if (!isAsyncIterable(audio)) {
      this.enqueue(m, await m.out.fromChunk(audio));
      return;
    }
    for await (const chunk of audio) {
      // Interrupted or hung up while the stream was open: stop pulling.
      if (this.media.get(session.id) !== m || !this.enqueue(m, await m.out.fromChunk(chunk))) break;
    }
  }

  /** Stops the reply now: the queue is dropped and the player restarted, so the card's buffer goes too. */
  interrupt(session: VoiceSession): void {
    const m = this.media.get(session.id);
    if (!m) return;
    const playing = m.pacer.isPlaying;
    m.pacer.interrupt();
    if (playing) void this.restartPlayer(m);
  }

  override isPlaying(session: VoiceSession): boolean {
    return this.media.get(session.id)?.pacer.isPlaying ?? false;
  }

  override catchUpPlayback(session: VoiceSession): void {
    this.media.get(session.id)?.pacer.catchUp();
  }

  override setInputMuted(session: VoiceSession, muted: boolean): void {
    const m = this.media.get(session.id);
    if (m) m.muted = muted;
  }

  override async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => this.disconnect(s)));
  }

  // ---- internals ---------------------------------------------------------------------

  private stream(device: string | undefined): DeviceStream {
    const frameMs = this.opts.frameMs ?? 20;
    return {
      tool: this.tool,
      device: device ?? 'default',
      sampleRate: this.sampleRate,
      channels: this.channels,
      periodMs: frameMs,
      bufferMs: Math.max(this.opts.bufferMs ?? 80, 2 * frameMs),
      soxDriver: this.opts.soxDriver ?? defaultSoxDriver(),
    };
  }

  private spawnPlayer(session: VoiceSession, output: DeviceStream): DeviceProcess {
    return DeviceProcess.spawn(playbackCommand(output), {
      role: 'playback',
      device: output.device,
      env: this.opts.env,
      settleMs: this.opts.settleMs ?? 300,
      onUnexpectedExit: (err) => this.deviceLost(session, err),
    });
  }

  private captured(session: VoiceSession, frame: AudioFrame): void {
    const m = this.media.get(session.id);
    if (!m || m.muted || session.state !== VoiceSessionState.ACTIVE) return;
    this.emitAudio(session, frame);
  }

  /** Queues mono PCM; a new reply after an interrupted or finished one starts the pacer afresh. */
  private enqueue(m: LocalMedia, pcm: Int16Array): boolean {
    if (m.ending) return false;
    const state = m.pacer.state;
    if (state === 'interrupted' || state === 'drained') m.pacer.reset();
    return m.pacer.push(pcm);
  }

  private play(m: LocalMedia, frame: AudioFrame): void {
    const pcm = this.channels === 2 ? monoToStereo(frame.data) : frame.data;
    const bytes = int16ToBytes(pcm);
    if (m.pending) m.pending.push(bytes.slice());
    else m.player.write(bytes);
  }

  private async restartPlayer(m: LocalMedia): Promise<void> {
    if (m.pending) return; // already restarting
    m.pending = [];
    const old = m.player;
    try {
      // The old player goes first: a hardware device may take only one at a time.
      await old.stop();
      if (m.ending) return;
      m.player = this.spawnPlayer(m.session, m.playback);
      for (const bytes of m.pending) m.player.write(bytes);
      m.pending = undefined;
      await m.player.ready;
    } catch (err) {
      m.pending = undefined;
      this.deviceLost(m.session, err as LocalAudioDeviceError);
    }
  }

  /** The microphone or speaker went away: the session ends, as if the client hung up. */
  private deviceLost(session: VoiceSession, err: LocalAudioDeviceError): void {
    const m = this.media.get(session.id);
    if (!m || m.ending) return;
    this.logger.error({ backend: this.name, sessionId: session.id, err: err.message }, 'audio device lost');
    void this.disconnect(session).then(() => this.emitClientDisconnected(session));
  }
}

function stringOr(value: unknown, fallback: string | undefined): string | undefined {
  return typeof value === 'string' && value ? value : fallback;
}
