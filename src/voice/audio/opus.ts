import { AudioDependencyError } from './dependency-error.js';

/** Rates libopus encodes and decodes at natively. */
export type OpusSampleRate = 8000 | 12000 | 16000 | 24000 | 48000;

export interface OpusCodecOptions {
  /** PCM rate in and out (default 48000; RTP always clocks Opus at 48 kHz regardless). */
  sampleRate?: OpusSampleRate;
  /** Mono (default) or stereo. */
  channels?: 1 | 2;
  /** Target bitrate in bit/s (default: libopus chooses). */
  bitrate?: number;
  /** 'voip' (default) favours intelligibility; 'audio' fidelity. */
  application?: 'voip' | 'audio' | 'restricted_lowdelay';
  /** Encoder effort 0-10 (default: libopus's 10). Lower is cheaper: 5 costs about a third less at 16 kHz. */
  complexity?: number;
}

interface OpusLib {
  Encoder: new (o: {
    channels: 1 | 2;
    sample_rate: number;
    application: string;
  }) => {
    encode(pcm: ArrayBufferView): Uint8Array;
    bitrate: number;
    complexity: number;
  };
  Decoder: new (o: {
    channels: 1 | 2;
    sample_rate: number;
  }) => {
    decode(packet: ArrayBufferView): Uint8Array;
  };
}

let lib: OpusLib | undefined;

/** Loads @evan/opus once (wasm or native); `OpusCodec.create` calls it. */
export async function loadOpus(): Promise<void> {
  if (lib) return;
  try {
    lib = (await import('@evan/opus')) as unknown as OpusLib;
  } catch (error) {
    throw new AudioDependencyError('Opus codec (@evan/opus)', 'npm install @evan/opus', error);
  }
}

/**
 * A stateful Opus encoder/decoder pair for one stream (WebRTC, SIP/RTP): PCM s16 in,
 * packets out and back. Each `encode` call must carry a legal Opus frame length
 * (2.5, 5, 10, 20, 40 or 60 ms of audio).
 */
export class OpusCodec {
  readonly sampleRate: OpusSampleRate;
  readonly channels: 1 | 2;
  private readonly encoder: ReturnType<typeof makeEncoder>;
  private readonly decoder: ReturnType<typeof makeDecoder>;

  static async create(options: OpusCodecOptions = {}): Promise<OpusCodec> {
    await loadOpus();
    return new OpusCodec(options);
  }

  /** Synchronous when `loadOpus()` already resolved. */
  constructor(options: OpusCodecOptions = {}) {
    if (!lib) throw new AudioDependencyError('Opus codec (@evan/opus)', 'await loadOpus() first');
    this.sampleRate = options.sampleRate ?? 48000;
    this.channels = options.channels ?? 1;
    this.encoder = makeEncoder(lib, this.sampleRate, this.channels, options.application ?? 'voip');
    if (options.bitrate !== undefined) this.encoder.bitrate = options.bitrate;
    if (options.complexity !== undefined)
      this.encoder.complexity = Math.max(0, Math.min(10, Math.round(options.complexity)));
    this.decoder = makeDecoder(lib, this.sampleRate, this.channels);
  }

  encode(pcm: Int16Array): Uint8Array {
    return this.encoder.encode(pcm);
  }

  decode(packet: Uint8Array): Int16Array {
    const bytes = this.decoder.decode(packet);
    return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1).slice();
  }
}

function makeEncoder(l: OpusLib, rate: number, channels: 1 | 2, application: string) {
  return new l.Encoder({ channels, sample_rate: rate, application });
}

function makeDecoder(l: OpusLib, rate: number, channels: 1 | 2) {
  return new l.Decoder({ channels, sample_rate: rate });
}
