import type { AudioChunk, AudioEncoding } from '../../voice/types.js';

/**
 * Streaming-first TTS providers build the other two entry points on synthesizeStreamInput:
 * a whole text is a one-item text stream, and batch synthesis collects the stream.
 */
export async function* textOnce(text: string): AsyncGenerator<string> {
  yield text;
}

export async function collectAudio(
  stream: AsyncIterable<AudioChunk>,
  format: { rate: number; encoding: AudioEncoding },
): Promise<AudioChunk> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk.data);
  return {
    data: Buffer.concat(parts),
    sampleRate: format.rate,
    channels: 1,
    format: format.encoding,
    isFinal: true,
  };
}
