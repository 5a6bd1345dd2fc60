import { ValidationError } from '../../core/errors.js';
import type { AudioChunk, AudioFrame } from '../../voice/types.js';
import { bytesToInt16 } from './pcm-bytes.js';
import { readWav } from './wav-reader.js';

/** Mono s16 samples of a frame, averaging channels when the frame is interleaved stereo+. */
export function frameToMono(frame: AudioFrame): Int16Array {
  const ch = frame.channels || 1;
  if (ch === 1) return frame.data;
  const n = Math.floor(frame.data.length / ch);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < ch; c++) sum += frame.data[i * ch + c];
    out[i] = Math.round(sum / ch);
  }
  return out;
}

function isFrame(audio: AudioFrame | AudioChunk): audio is AudioFrame {
  return audio.data instanceof Int16Array;
}

/** Normalises what batch STT accepts (a frame, or a PCM/WAV chunk) to a mono frame. */
export function toMonoFrame(audio: AudioFrame | AudioChunk): AudioFrame {
  if (isFrame(audio)) return { data: frameToMono(audio), sampleRate: audio.sampleRate, channels: 1 };
  if (audio.format === 'wav') {
    const wav = readWav(audio.data);
    return {
      data: frameToMono({ data: wav.samples, sampleRate: wav.sampleRate, channels: wav.channels }),
      sampleRate: wav.sampleRate,
      channels: 1,
    };
  }
  if (audio.format === 'pcm_s16le') {
    const data = bytesToInt16(audio.data);
    return {
      data: frameToMono({ data, sampleRate: audio.sampleRate, channels: audio.channels }),
      sampleRate: audio.sampleRate,
      channels: 1,
    };
  }
  throw new ValidationError(`local STT accepts pcm_s16le or wav audio, not ${audio.format}`);
}
