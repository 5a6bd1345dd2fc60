import { describe, expect, it } from 'vitest';
import {
  createCodec,
  G722Codec,
  G722Decoder,
  G722Encoder,
  L16Codec,
  PcmaCodec,
  PcmuCodec,
  staticCodecSpec,
} from '../../../src/backends/rtp/index.js';
import { concat, powerAt, snrDb, tone } from './signal.js';

function g722RoundTrip(x: Int16Array, chunk = 320): Int16Array {
  const enc = new G722Encoder();
  const dec = new G722Decoder();
  const parts: Int16Array[] = [];
  for (let i = 0; i < x.length; i += chunk) parts.push(dec.decode(enc.encode(x.subarray(i, i + chunk))));
  return concat(...parts);
}

describe('G.722 (SB-ADPCM, 64 kbit/s)', () => {
  it('codes one byte per two 16 kHz samples', () => {
    const bytes = new G722Encoder().encode(tone(1000, 16000, 320));
    expect(bytes.byteLength).toBe(160);
    expect(new G722Decoder().decode(bytes).length).toBe(320);
  });

  it('round-trips speech-band tones with high SNR and unity gain', () => {
    for (const freq of [300, 1000, 3000]) {
      const x = tone(freq, 16000, 16000);
      const { snr } = snrDb(x, g722RoundTrip(x));
      expect(snr, `${freq} Hz`).toBeGreaterThan(35);
    }
  });

  it('is wideband: a 6 kHz tone (beyond G.711) survives through the high band', () => {
    const x = tone(6000, 16000, 16000);
    const y = g722RoundTrip(x);
    expect(snrDb(x, y).snr).toBeGreaterThan(15);
    expect(powerAt(y.subarray(400), 6000, 16000)).toBeGreaterThan(powerAt(x, 6000, 16000) - 1.5);
  });

  it('splits bands without leaking: the QMF cancels the alias of each band in the other', () => {
    // A low-band tone must not come back with an image in the high band, and vice versa.
    const low = g722RoundTrip(tone(1000, 16000, 16000)).subarray(400);
    expect(powerAt(low, 1000, 16000) - powerAt(low, 7000, 16000)).toBeGreaterThan(40);
    const high = g722RoundTrip(tone(6000, 16000, 16000)).subarray(400);
    expect(powerAt(high, 6000, 16000) - powerAt(high, 2000, 16000)).toBeGreaterThan(25);
  });

  it('does not care how the stream is chunked (odd chunks keep their last sample)', () => {
    const x = tone(1234, 16000, 3200);
    const whole = new G722Encoder().encode(x);
    const enc = new G722Encoder();
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < x.length; i += 157) pieces.push(enc.encode(x.subarray(i, i + 157)));
    const joined = Buffer.concat(pieces);
    expect(Buffer.from(whole).equals(joined)).toBe(true);
  });

  it('survives full-scale input without wrapping', () => {
    const x = tone(440, 16000, 8000, 32767);
    const y = g722RoundTrip(x);
    expect(snrDb(x, y).snr).toBeGreaterThan(25);
  });

  it('is silent on silence', () => {
    const y = g722RoundTrip(new Int16Array(3200));
    expect(Math.max(...y.subarray(400).map(Math.abs))).toBeLessThan(40);
  });
});

describe('RTP codecs', () => {
  it('maps the static payload types of RFC 3551', () => {
    expect(staticCodecSpec(0)).toMatchObject({ name: 'PCMU', clockRate: 8000 });
    expect(staticCodecSpec(8)).toMatchObject({ name: 'PCMA' });
    expect(staticCodecSpec(9)).toMatchObject({ name: 'G722', clockRate: 8000 });
    expect(staticCodecSpec(96)).toBeUndefined();
  });

  it('G.722 says 16 kHz audio on an 8 kHz RTP clock', () => {
    const c = new G722Codec();
    expect([c.sampleRate, c.clockRate]).toEqual([16000, 8000]);
  });

  it('PCMU and PCMA round-trip narrowband speech tones', () => {
    for (const codec of [new PcmuCodec(), new PcmaCodec()]) {
      const x = tone(700, 8000, 8000);
      expect(snrDb(x, codec.decode(codec.encode(x)), 0).snr).toBeGreaterThan(30);
    }
  });

  it('L16 is big-endian and lossless', () => {
    const c = new L16Codec(16000);
    const bytes = c.encode(Int16Array.from([1, -2, 0x1234]));
    expect([...bytes]).toEqual([0, 1, 0xff, 0xfe, 0x12, 0x34]);
    expect([...c.decode(bytes)]).toEqual([1, -2, 0x1234]);
  });

  it('Opus encodes and decodes 20 ms frames at 16 kHz', async () => {
    const c = await createCodec({ name: 'opus', clockRate: 48000, channels: 2 });
    expect(c.clockRate).toBe(48000);
    const x = tone(500, 16000, 16000);
    const parts: Int16Array[] = [];
    for (let i = 0; i < x.length; i += 320) parts.push(c.decode(c.encode(x.subarray(i, i + 320))));
    const y = concat(...parts);
    expect(y.length).toBe(x.length);
    // Opus is perceptual: check the tone is there, strong, not sample-exact.
    expect(powerAt(y.subarray(1600), 500, 16000)).toBeGreaterThan(powerAt(x, 500, 16000) - 3);
  });

  it('refuses codecs it cannot speak with a clear error', async () => {
    await expect(createCodec({ name: 'GSM', clockRate: 8000 })).rejects.toThrow(/unsupported RTP codec GSM/);
  });
});
