import { ValidationError } from '../../core/errors.js';
import type { AudioChunk, AudioFrame, STTStreamEvent, TranscriptionResult } from '../../voice/types.js';

/** Batch `transcribe` for streaming-only vendors: one frame in, every final joined. */
export async function transcribeViaStream(
  provider: string,
  audio: AudioFrame | AudioChunk,
  stream: (frames: AsyncIterable<AudioFrame>) => AsyncIterable<STTStreamEvent>,
  language?: string,
): Promise<TranscriptionResult> {
  const frame = toAudioFrame(provider, audio);
  const texts: string[] = [];
  const words: NonNullable<TranscriptionResult['words']> = [];
  for await (const e of stream(once(frame))) {
    if (e.type !== 'final') continue;
    texts.push(e.result.text);
    words.push(...(e.result.words ?? []));
  }
  return { text: texts.join(' '), isFinal: true, words, language };
}

/** AudioFrame as is; a PCM16 AudioChunk as a frame; anything else is refused (decode it first). */
export function toAudioFrame(provider: string, audio: AudioFrame | AudioChunk): AudioFrame {
  if (audio.data instanceof Int16Array) return audio as AudioFrame;
  const chunk = audio as AudioChunk;
  if (chunk.format !== 'pcm_s16le')
    throw new ValidationError(`${provider}: transcribe needs pcm_s16le, got ${chunk.format}`);
  const copy = new Uint8Array(chunk.data); // aligned copy: an Int16Array view needs an even offset
  return {
    data: new Int16Array(copy.buffer, 0, copy.byteLength >> 1),
    sampleRate: chunk.sampleRate,
    channels: chunk.channels,
  };
}

async function* once(frame: AudioFrame): AsyncGenerator<AudioFrame> {
  yield frame;
}
