import { ValidationError } from '../../core/errors.js';

/** Decoded PCM16 WAV audio; `samples` are interleaved when stereo. */
export interface WavAudio {
  samples: Int16Array;
  sampleRate: number;
  channels: number;
}

export const WAV_HEADER_BYTES = 44;
const FORMAT_PCM = 1;
const FORMAT_EXTENSIBLE = 0xfffe;

/** The canonical 44-byte PCM16 header for `dataBytes` of samples. */
export function createWavHeader(opts: {
  sampleRate: number;
  channels: number;
  dataBytes: number;
}): Uint8Array {
  const { sampleRate, channels, dataBytes } = opts;
  checkFormat(sampleRate, channels);
  const header = new Uint8Array(WAV_HEADER_BYTES);
  const view = new DataView(header.buffer);
  const blockAlign = channels * 2;
  writeAscii(header, 0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  writeAscii(header, 8, 'WAVE');
  writeAscii(header, 12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, FORMAT_PCM, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, 16, true);
  writeAscii(header, 36, 'data');
  view.setUint32(40, dataBytes, true);
  return header;
}

/** A complete WAV file holding `samples` (interleaved when stereo). */
export function encodeWav(samples: Int16Array, opts: { sampleRate: number; channels?: number }): Uint8Array {
  const channels = opts.channels ?? 1;
  if (samples.length % channels !== 0) {
    throw new ValidationError(`${samples.length} samples do not split into ${channels} channels`);
  }
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(WAV_HEADER_BYTES + dataBytes);
  out.set(createWavHeader({ sampleRate: opts.sampleRate, channels, dataBytes }), 0);
  out.set(new Uint8Array(samples.buffer, samples.byteOffset, dataBytes), WAV_HEADER_BYTES);
  return out;
}

/**
 * Parses a RIFF/WAVE file holding 16-bit PCM, mono or stereo. Unknown chunks (LIST, fact...)
 * are skipped; anything that is not PCM16 is rejected with a ValidationError saying why.
 */
export function decodeWav(bytes: Uint8Array): WavAudio {
  if (bytes.byteLength < 12 || readAscii(bytes, 0) !== 'RIFF' || readAscii(bytes, 8) !== 'WAVE') {
    throw new ValidationError('not a WAV file (missing RIFF/WAVE header)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: { sampleRate: number; channels: number } | undefined;
  let offset = 12;
  while (offset + 8 <= bytes.byteLength) {
    const id = readAscii(bytes, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = parseFormatChunk(view, body, size);
    } else if (id === 'data') {
      if (!format) throw new ValidationError('WAV data chunk comes before its fmt chunk');
      // Streaming writers leave the size at 0 or 0xFFFFFFFF; take what the file holds.
      const available = bytes.byteLength - body;
      let dataBytes = size === 0 || size > available ? available : size;
      dataBytes -= dataBytes % (format.channels * 2);
      const samples = new Int16Array(dataBytes / 2);
      new Uint8Array(samples.buffer).set(bytes.subarray(body, body + dataBytes));
      return { samples, sampleRate: format.sampleRate, channels: format.channels };
    }
    offset = body + size + (size % 2); // chunks are padded to even sizes
  }
  throw new ValidationError(format ? 'WAV file has no data chunk' : 'WAV file has no fmt chunk');
}

function parseFormatChunk(
  view: DataView,
  at: number,
  size: number,
): { sampleRate: number; channels: number } {
  if (size < 16 || at + 16 > view.byteLength) throw new ValidationError('WAV fmt chunk is truncated');
  let formatTag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const bitsPerSample = view.getUint16(at + 14, true);
  if (formatTag === FORMAT_EXTENSIBLE && size >= 40 && at + 26 <= view.byteLength) {
    formatTag = view.getUint16(at + 24, true); // first two bytes of the sub-format GUID
  }
  if (formatTag !== FORMAT_PCM) {
    throw new ValidationError(
      `unsupported WAV encoding ${describeFormat(formatTag)}: only 16-bit PCM is supported`,
    );
  }
  if (bitsPerSample !== 16) {
    throw new ValidationError(
      `unsupported WAV sample size ${bitsPerSample} bits: only 16-bit PCM is supported`,
    );
  }
  checkFormat(sampleRate, channels);
  return { sampleRate, channels };
}

function checkFormat(sampleRate: number, channels: number): void {
  if (channels !== 1 && channels !== 2) {
    throw new ValidationError(
      `unsupported WAV channel count ${channels}: only mono and stereo are supported`,
    );
  }
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new ValidationError(`invalid WAV sample rate ${sampleRate}`);
  }
}

function describeFormat(tag: number): string {
  const names: Record<number, string> = { 3: 'IEEE float', 6: 'A-law', 7: 'mu-law', 85: 'MP3' };
  return `${tag}${names[tag] ? ` (${names[tag]})` : ''}`;
}

function readAscii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

function writeAscii(bytes: Uint8Array, at: number, text: string): void {
  for (let i = 0; i < text.length; i++) bytes[at + i] = text.charCodeAt(i);
}
