import { ValidationError } from '../../core/errors.js';
import { bytesToInt16, downmixToMono } from '../../voice/audio/pcm.js';
import { Resampler } from '../../voice/audio/resampler.js';
import { decodeWav } from '../../voice/audio/wav.js';
import type { AudioChunk, AudioFrame } from '../../voice/types.js';

function isFrame(audio: AudioFrame | AudioChunk): audio is AudioFrame {
  return audio.data instanceof Int16Array;
}

/** Normalises what batch STT accepts (a frame, or a PCM/WAV chunk) to a mono frame. */
export function toMonoFrame(audio: AudioFrame | AudioChunk): AudioFrame {
  if (isFrame(audio))
    return {
      data: downmixToMono(audio.data, audio.channels || 1),
      sampleRate: audio.sampleRate,
      channels: 1,
    };
  if (audio.format === 'wav') {
    const wav = decodeWav(audio.data);
    return { data: downmixToMono(wav.samples, wav.channels), sampleRate: wav.sampleRate, channels: 1 };
  }
  if (audio.format === 'pcm_s16le') {
    return {
      data: downmixToMono(bytesToInt16(audio.data), audio.channels || 1),
      sampleRate: audio.sampleRate,
      channels: 1,
    };
  }
  throw new ValidationError(`local STT accepts pcm_s16le or wav audio, not ${audio.format}`);
}

/** One-shot rate conversion of a whole buffer with the shared (Speex) resampler. */
export async function resampleOnce(
  samples: Int16Array,
  inputRate: number,
  outputRate: number,
): Promise<Int16Array> {
  if (inputRate === outputRate) return samples;
  const resampler = await Resampler.create({ inputRate, outputRate });
  try {
    return resampler.process(samples).slice(); // process() reuses its buffer; keep our own copy
  } finally {
    resampler.close();
  }
}
