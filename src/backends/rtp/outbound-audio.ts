import { ValidationError } from '../../core/errors.js';
import { alawDecode, mulawDecode } from '../../voice/audio/g711.js';
import { bytesToInt16, downmixToMono } from '../../voice/audio/pcm.js';
import { Resampler } from '../../voice/audio/resampler.js';
import type { AudioChunk } from '../../voice/types.js';

export type OutboundAudio = AudioChunk | Uint8Array | AsyncIterable<AudioChunk>;

export function isAsyncIterable(value: unknown): value is AsyncIterable<AudioChunk> {
  return typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/**
 * Turns what the framework hands a telephony backend (PCM bytes at the call's rate, chunks
 * at any rate, mono or not, G.711 bytes) into mono PCM at the call's rate. Keeps one
 * resampler per input rate (they carry filter state across chunks) and the odd byte of a
 * chunk that split a sample. Results are views, valid until the next call: hand them to
 * the pacer (which copies) right away.
 */
export class OutboundAudioConverter {
  private carry: number | undefined;
  private readonly resamplers = new Map<number, Resampler>();

  constructor(public targetRate: number) {}

  /** An odd byte waits for its pair: PCM handed over as samples must not overtake it. */
  get holdsByte(): boolean {
    return this.carry !== undefined;
  }

  /** Raw bytes: PCM s16le at the target rate. */
  fromBytes(data: Uint8Array): Int16Array {
    return bytesToInt16(this.withCarry(data));
  }

  async fromChunk(chunk: AudioChunk): Promise<Int16Array> {
    let pcm: Int16Array;
    if (chunk.format === 'pcm_s16le') pcm = bytesToInt16(this.withCarry(chunk.data));
    else if (chunk.format === 'mulaw') pcm = mulawDecode(chunk.data);
    else if (chunk.format === 'alaw') pcm = alawDecode(chunk.data);
    else throw new ValidationError(`telephony backends take PCM or G.711 audio, got ${chunk.format}`);
    if (chunk.channels > 1) pcm = downmixToMono(pcm, chunk.channels);
    if (chunk.sampleRate === this.targetRate) return pcm;
    let resampler = this.resamplers.get(chunk.sampleRate);
    if (!resampler) {
      resampler = await Resampler.create({ inputRate: chunk.sampleRate, outputRate: this.targetRate });
      this.resamplers.set(chunk.sampleRate, resampler);
    }
    return resampler.process(pcm);
  }

  /** The call's rate changed (re-INVITE to another codec): resamplers start over. */
  retarget(rate: number): void {
    if (rate === this.targetRate) return;
    this.targetRate = rate;
    this.close();
  }

  close(): void {
    for (const r of this.resamplers.values()) r.close();
    this.resamplers.clear();
  }

  private withCarry(data: Uint8Array): Uint8Array {
    let bytes = data;
    if (this.carry !== undefined) {
      bytes = new Uint8Array(data.byteLength + 1);
      bytes[0] = this.carry;
      bytes.set(data, 1);
      this.carry = undefined;
    }
    if (bytes.byteLength % 2 === 1) {
      this.carry = bytes[bytes.byteLength - 1];
      bytes = bytes.subarray(0, bytes.byteLength - 1);
    }
    return bytes;
  }
}
