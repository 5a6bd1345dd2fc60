import { ValidationError } from '../../core/errors.js';
import { bytesToInt16, downmixToMono, int16ToBytes } from '../audio/pcm.js';
import { Resampler } from '../audio/resampler.js';
import type { AudioChunk } from '../types.js';
import type { VoiceConnection } from './websocket-voice-connection.js';

/**
 * Outbound audio of the WebSocket voice backend: chunks in any rate and channel count
 * become PCM s16le mono at the client's rate, in whole samples.
 */
export async function sendChunk(conn: VoiceConnection, chunk: AudioChunk, generation: number): Promise<void> {
  if (chunk.format !== 'pcm_s16le') {
    throw new ValidationError(`websocket voice sends PCM s16le only, got ${chunk.format}`);
  }
  if (chunk.channels === 1 && chunk.sampleRate === conn.sampleRate) {
    sendBytes(conn, chunk.data);
    return;
  }
  // Conversions need whole samples: join the odd byte left from the previous chunk first.
  const bytes = withCarry(conn, chunk.data);
  if (bytes.byteLength === 0) return;
  let pcm = downmixToMono(bytesToInt16(bytes), chunk.channels);
  if (chunk.sampleRate !== conn.sampleRate) {
    const resampler = await resamplerFor(conn, chunk.sampleRate);
    if (conn.generation !== generation) return;
    // The resampler reuses its output buffer, and the socket may still hold this one.
    pcm = resampler.process(pcm).slice();
  }
  conn.sendPcm(int16ToBytes(pcm));
}

/** PCM already at the client's rate and mono. */
export function sendBytes(conn: VoiceConnection, data: Uint8Array): void {
  const bytes = withCarry(conn, data);
  if (bytes.byteLength > 0) conn.sendPcm(bytes);
}

/** Whole samples only: an odd trailing byte waits for the next chunk. */
function withCarry(conn: VoiceConnection, data: Uint8Array): Uint8Array {
  let bytes = data;
  if (conn.carry !== undefined) {
    bytes = new Uint8Array(data.byteLength + 1);
    bytes[0] = conn.carry;
    bytes.set(data, 1);
    conn.carry = undefined;
  }
  if (bytes.byteLength % 2 === 1) {
    conn.carry = bytes[bytes.byteLength - 1];
    bytes = bytes.subarray(0, bytes.byteLength - 1);
  }
  return bytes;
}

async function resamplerFor(conn: VoiceConnection, inputRate: number): Promise<Resampler> {
  let resampler = conn.resamplers.get(inputRate);
  if (!resampler) {
    resampler = await Resampler.create({ inputRate, outputRate: conn.sampleRate });
    conn.resamplers.set(inputRate, resampler);
  }
  return resampler;
}

/**
 * Outbound audio of any shape (bytes, one chunk, a stream of chunks) to a connection. A
 * stream stops at the first chunk after an interrupt (a newer generation) or a drop; audio
 * for a client that is gone is dropped.
 */
export async function sendOutboundAudio(
  conn: VoiceConnection | undefined,
  audio: AudioChunk | Uint8Array | AsyncIterable<AudioChunk>,
): Promise<void> {
  if (!conn?.open) return;
  if (audio instanceof Uint8Array) return sendBytes(conn, audio);
  if (!(Symbol.asyncIterator in audio)) return sendChunk(conn, audio, conn.generation);
  const generation = conn.generation;
  for await (const chunk of audio) {
    if (conn.generation !== generation || !conn.open) break;
    await sendChunk(conn, chunk, generation);
  }
}
