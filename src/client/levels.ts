/** Level of float samples in dBFS (RMS; -100 for silence). */
export function dbfs(samples: Float32Array, length = samples.length): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += samples[i]! * samples[i]!;
  const rms = Math.sqrt(sum / Math.max(1, length));
  return rms > 0 ? Math.max(-100, 20 * Math.log10(rms)) : -100;
}

/** Reads the current level of a MediaStream (an AnalyserNode tap, connected to nothing audible). */
export class StreamLevel {
  private readonly source: MediaStreamAudioSourceNode;
  private readonly analyser: AnalyserNode;
  private readonly buffer: Float32Array<ArrayBuffer>;

  constructor(ctx: AudioContext, stream: MediaStream, windowSamples = 512) {
    this.source = ctx.createMediaStreamSource(stream);
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = windowSamples;
    this.buffer = new Float32Array(windowSamples);
    this.source.connect(this.analyser);
  }

  /** dBFS over the last window (about 10 ms at 48 kHz). */
  read(): number {
    this.analyser.getFloatTimeDomainData(this.buffer);
    return dbfs(this.buffer);
  }

  close(): void {
    this.source.disconnect();
    this.analyser.disconnect();
  }
}
