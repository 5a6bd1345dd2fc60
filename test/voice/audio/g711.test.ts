import { describe, expect, it } from 'vitest';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../../src/voice/audio/g711.js';

const everySample = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

describe('G.711', () => {
  it('mu-law round trip stays within the quantiser step (about 3% + a small floor)', () => {
    const back = mulawDecode(mulawEncode(everySample));
    let worst = 0;
    for (let i = 0; i < everySample.length; i++) {
      const x = Math.max(-32635, Math.min(32635, everySample[i])); // the codec clips at 32635
      worst = Math.max(worst, Math.abs(back[i] - x) - Math.abs(x) / 32);
    }
    expect(worst).toBeLessThanOrEqual(8);
  });

  it('A-law round trip stays within the quantiser step', () => {
    const back = alawDecode(alawEncode(everySample));
    let worst = 0;
    for (let i = 0; i < everySample.length; i++) {
      const x = everySample[i];
      worst = Math.max(worst, Math.abs(back[i] - x) - Math.abs(x) / 32);
    }
    expect(worst).toBeLessThanOrEqual(16);
  });

  it('matches reference codes from the standard', () => {
    // Silence is 0xFF in mu-law and 0xD5 in A-law; full scale positive/negative.
    expect(Array.from(mulawEncode(Int16Array.from([0, 32767, -32768])))).toEqual([0xff, 0x80, 0x00]);
    expect(Array.from(alawEncode(Int16Array.from([0, 32767, -32768])))).toEqual([0xd5, 0xaa, 0x2a]);
    expect(Array.from(mulawDecode(Uint8Array.from([0xff, 0x80, 0x00])))).toEqual([0, 32124, -32124]);
    expect(Array.from(alawDecode(Uint8Array.from([0xd5, 0xaa, 0x2a])))).toEqual([8, 32256, -32256]);
  });

  it('decode then encode returns the same codes for every byte', () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const mu = mulawEncode(mulawDecode(codes));
    const a = alawEncode(alawDecode(codes));
    // mu-law has two zeros (0x7F and 0xFF); every other code survives.
    for (let c = 0; c < 256; c++) {
      if (c !== 0x7f) expect(mu[c]).toBe(c);
      expect(a[c]).toBe(c);
    }
  });

  it('keeps a speech-band sine close (SNR above 30 dB)', () => {
    const x = Int16Array.from({ length: 8000 }, (_, i) =>
      Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / 8000)),
    );
    for (const [enc, dec] of [
      [mulawEncode, mulawDecode],
      [alawEncode, alawDecode],
    ] as const) {
      const y = dec(enc(x));
      let sig = 0;
      let err = 0;
      for (let i = 0; i < x.length; i++) {
        sig += x[i] * x[i];
        err += (x[i] - y[i]) ** 2;
      }
      expect(10 * Math.log10(sig / err)).toBeGreaterThan(30);
    }
  });
});
