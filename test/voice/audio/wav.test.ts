import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/core/errors.js';
import { createWavHeader, decodeWav, encodeWav } from '../../../src/voice/audio/wav.js';
import { WavFileWriter } from '../../../src/voice/audio/wav-file-writer.js';
import { interleave, sine } from './signals.js';

const dir = mkdtempSync(join(tmpdir(), 'roomkit-wav-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function withFormat(bytes: Uint8Array, edit: (view: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  edit(new DataView(copy.buffer));
  return copy;
}

describe('WAV', () => {
  it('round-trips mono and stereo PCM16', () => {
    const mono = sine(440, 16000, 100);
    const decoded = decodeWav(encodeWav(mono, { sampleRate: 16000 }));
    expect(decoded).toMatchObject({ sampleRate: 16000, channels: 1 });
    expect(Array.from(decoded.samples)).toEqual(Array.from(mono));

    const stereo = interleave(sine(440, 8000, 50), sine(880, 8000, 50));
    const d2 = decodeWav(encodeWav(stereo, { sampleRate: 8000, channels: 2 }));
    expect(d2).toMatchObject({ sampleRate: 8000, channels: 2 });
    expect(Array.from(d2.samples)).toEqual(Array.from(stereo));
  });

  it('writes the canonical header fields', () => {
    const bytes = encodeWav(new Int16Array(10), { sampleRate: 24000, channels: 2 });
    const v = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('RIFF');
    expect(v.getUint32(4, true)).toBe(36 + 20);
    expect(v.getUint32(28, true)).toBe(24000 * 4); // byte rate
    expect(v.getUint16(32, true)).toBe(4); // block align
    expect(v.getUint32(40, true)).toBe(20);
  });

  it('skips unknown chunks before the data', () => {
    const samples = Int16Array.from([1, -2, 3]);
    const plain = encodeWav(samples, { sampleRate: 16000 });
    const list = Uint8Array.from([0x4c, 0x49, 0x53, 0x54, 3, 0, 0, 0, 1, 2, 3, 0]); // 'LIST', odd size + pad
    const withList = new Uint8Array(plain.length + list.length);
    withList.set(plain.subarray(0, 36));
    withList.set(list, 36);
    withList.set(plain.subarray(36), 36 + list.length);
    expect(Array.from(decodeWav(withList).samples)).toEqual([1, -2, 3]);
  });

  it('rejects non-PCM encodings, other sample sizes and bad headers with clear errors', () => {
    const good = encodeWav(new Int16Array(4), { sampleRate: 16000 });
    expect(() => decodeWav(withFormat(good, (v) => v.setUint16(20, 3, true)))).toThrow(
      /IEEE float.*only 16-bit PCM/,
    );
    expect(() => decodeWav(withFormat(good, (v) => v.setUint16(20, 7, true)))).toThrow(/mu-law/);
    expect(() => decodeWav(withFormat(good, (v) => v.setUint16(34, 24, true)))).toThrow(/24 bits/);
    expect(() => decodeWav(withFormat(good, (v) => v.setUint16(22, 6, true)))).toThrow(/channel count 6/);
    expect(() => decodeWav(withFormat(good, (v) => v.setUint32(0, 0x46464952 + 1, true)))).toThrow(/RIFF/);
    expect(() => decodeWav(good.subarray(0, 36))).toThrow(/no data chunk/);
    expect(() => decodeWav(new Uint8Array(4))).toThrow(ValidationError);
  });

  it('takes what the file holds when a streaming writer left the size unset', () => {
    const bytes = encodeWav(Int16Array.from([7, 8, 9]), { sampleRate: 16000 });
    const open = withFormat(bytes, (v) => v.setUint32(40, 0xffffffff, true));
    expect(Array.from(decodeWav(open).samples)).toEqual([7, 8, 9]);
  });

  it('WavFileWriter streams to disk and patches the header on close', () => {
    const path = join(dir, 'stream.wav');
    const w = new WavFileWriter(path, { sampleRate: 16000, channels: 1, bufferSamples: 100 });
    const tone = sine(300, 16000, 500);
    for (let i = 0; i < tone.length; i += 320) w.write(tone.subarray(i, i + 320));
    expect(w.durationSeconds).toBeCloseTo(0.5, 6);
    const size = w.close();
    const file = new Uint8Array(readFileSync(path));
    expect(size).toBe(file.length);
    expect(size).toBe(
      createWavHeader({ sampleRate: 16000, channels: 1, dataBytes: 0 }).length + tone.length * 2,
    );
    expect(Array.from(decodeWav(file).samples)).toEqual(Array.from(tone));
    expect(() => w.write(tone)).toThrow(/closed/);
  });
});
