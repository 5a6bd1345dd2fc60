/**
 * G.711 mu-law and A-law (ITU-T G.711), table-driven: a 64 KiB table per law maps every
 * int16 to its code, and a 256-entry table maps codes back. Tables are built on first use
 * from the reference bit-twiddling algorithms below.
 */

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;
const ALAW_SEGMENT_ENDS = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function encodeMulawSample(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = sign ? -sample : sample;
  if (magnitude > MULAW_CLIP) magnitude = MULAW_CLIP;
  magnitude += MULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; exponent--, mask >>= 1) {}
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function decodeMulawSample(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

function encodeAlawSample(sample: number): number {
  let value = sample >> 3; // A-law works on 13-bit magnitudes
  let mask: number;
  if (value >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    value = -value - 1;
  }
  let segment = 0;
  while (segment < 8 && value > ALAW_SEGMENT_ENDS[segment]) segment++;
  if (segment >= 8) return 0x7f ^ mask;
  let code = segment << 4;
  code |= segment < 2 ? (value >> 1) & 0x0f : (value >> segment) & 0x0f;
  return code ^ mask;
}

function decodeAlawSample(code: number): number {
  const a = code ^ 0x55;
  let t = (a & 0x0f) << 4;
  const segment = (a & 0x70) >> 4;
  if (segment === 0) t += 8;
  else if (segment === 1) t += 0x108;
  else t = (t + 0x108) << (segment - 1);
  return a & 0x80 ? t : -t;
}

interface LawTables {
  encode: Uint8Array; // indexed by sample & 0xffff
  decode: Int16Array; // indexed by code
}

let mulawTables: LawTables | undefined;
let alawTables: LawTables | undefined;

function buildTables(encode: (s: number) => number, decode: (c: number) => number): LawTables {
  const enc = new Uint8Array(65536);
  for (let s = -32768; s < 32768; s++) enc[s & 0xffff] = encode(s);
  const dec = new Int16Array(256);
  for (let c = 0; c < 256; c++) dec[c] = decode(c);
  return { encode: enc, decode: dec };
}

function mulaw(): LawTables {
  if (!mulawTables) {
    mulawTables = buildTables(encodeMulawSample, decodeMulawSample);
    // Mu-law has two zeros: 0xFF (+0) and 0x7F (-0, whose interval is -1..-3). Decoding -0
    // to -1 rather than 0 keeps it inside its own interval, so decode then encode returns
    // every code unchanged: G.711 that passes through PCM (a phone call to a g711_ulaw
    // realtime model) arrives byte for byte.
    mulawTables.decode[0x7f] = -1;
  }
  return mulawTables;
}

function alaw(): LawTables {
  if (!alawTables) alawTables = buildTables(encodeAlawSample, decodeAlawSample);
  return alawTables;
}

function encodeWith(tables: LawTables, pcm: Int16Array, out: Uint8Array): Uint8Array {
  const enc = tables.encode;
  for (let i = 0; i < pcm.length; i++) out[i] = enc[pcm[i] & 0xffff];
  return out.length === pcm.length ? out : out.subarray(0, pcm.length);
}

function decodeWith(tables: LawTables, codes: Uint8Array, out: Int16Array): Int16Array {
  const dec = tables.decode;
  for (let i = 0; i < codes.length; i++) out[i] = dec[codes[i]];
  return out.length === codes.length ? out : out.subarray(0, codes.length);
}

/** PCM16 to mu-law bytes (one byte per sample). */
export function mulawEncode(pcm: Int16Array, out: Uint8Array = new Uint8Array(pcm.length)): Uint8Array {
  return encodeWith(mulaw(), pcm, out);
}

/** Mu-law bytes to PCM16. */
export function mulawDecode(codes: Uint8Array, out: Int16Array = new Int16Array(codes.length)): Int16Array {
  return decodeWith(mulaw(), codes, out);
}

/** PCM16 to A-law bytes (one byte per sample). */
export function alawEncode(pcm: Int16Array, out: Uint8Array = new Uint8Array(pcm.length)): Uint8Array {
  return encodeWith(alaw(), pcm, out);
}

/** A-law bytes to PCM16. */
export function alawDecode(codes: Uint8Array, out: Int16Array = new Int16Array(codes.length)): Int16Array {
  return decodeWith(alaw(), codes, out);
}
