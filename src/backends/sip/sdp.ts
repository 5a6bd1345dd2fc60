import { isSupportedCodec, staticCodecSpec } from '../rtp/codecs/codec-registry.js';
import type { CodecSpec } from '../rtp/codecs/codec.js';
import type { MediaDirection } from '../rtp/rtp-media-session.js';

/**
 * SDP (RFC 4566) for audio calls and the offer/answer model (RFC 3264): parse what peers
 * offer, pick a codec, build our offers and answers. Only the first audio stream is used;
 * other streams are refused with port 0, as RFC 3264 asks.
 */
export interface SdpCodec extends CodecSpec {
  payloadType: number;
  fmtp?: string;
}

export interface SdpMedia {
  type: string;
  port: number;
  proto: string;
  formats: number[];
  codecs: SdpCodec[];
  direction?: MediaDirection;
  connection?: string;
  rtcpPort?: number;
  ptime?: number;
}

export interface SessionDescription {
  origin: { username: string; sessionId: string; version: number; address: string };
  connection?: string;
  direction?: MediaDirection;
  media: SdpMedia[];
}

const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

export function parseSdp(text: string): SessionDescription | undefined {
  const lines = text.split(/\r?\n/).filter((l) => /^[a-z]=/.test(l));
  if (lines[0] !== 'v=0') return undefined;
  const sdp: SessionDescription = {
    origin: { username: '-', sessionId: '0', version: 0, address: '' },
    media: [],
  };
  let media: SdpMedia | undefined;
  for (const line of lines) {
    const type = line[0];
    const value = line.slice(2).trim();
    if (type === 'o') {
      const [username, sessionId, version, , , address] = value.split(/\s+/);
      sdp.origin = { username, sessionId, version: Number(version) || 0, address: address ?? '' };
    } else if (type === 'c') {
      const address = value.split(/\s+/)[2]?.split('/')[0];
      if (media) media.connection = address;
      else sdp.connection = address;
    } else if (type === 'm') {
      const [mtype, port, proto, ...formats] = value.split(/\s+/);
      media = {
        type: mtype,
        port: Number.parseInt(port, 10) || 0,
        proto: proto ?? '',
        formats: formats.map(Number).filter((n) => Number.isInteger(n) && n >= 0 && n < 128),
        codecs: [],
      };
      sdp.media.push(media);
    } else if (type === 'a') {
      parseAttribute(value, sdp, media);
    }
  }
  for (const m of sdp.media) m.codecs = codecsOf(m);
  return sdp;
}

const rtpmaps = new WeakMap<SdpMedia, Map<number, CodecSpec>>();
const fmtps = new WeakMap<SdpMedia, Map<number, string>>();

function parseAttribute(value: string, sdp: SessionDescription, media: SdpMedia | undefined): void {
  const colon = value.indexOf(':');
  const name = colon >= 0 ? value.slice(0, colon) : value;
  const arg = colon >= 0 ? value.slice(colon + 1).trim() : '';
  if (DIRECTIONS.has(name)) {
    if (media) media.direction = name as MediaDirection;
    else sdp.direction = name as MediaDirection;
    return;
  }
  if (!media) return;
  if (name === 'rtpmap') {
    const m = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(arg);
    if (!m) return;
    const map = rtpmaps.get(media) ?? new Map<number, CodecSpec>();
    map.set(Number(m[1]), { name: m[2], clockRate: Number(m[3]), channels: m[4] ? Number(m[4]) : undefined });
    rtpmaps.set(media, map);
  } else if (name === 'fmtp') {
    const m = /^(\d+)\s+(.*)$/.exec(arg);
    if (!m) return;
    const map = fmtps.get(media) ?? new Map<number, string>();
    map.set(Number(m[1]), m[2]);
    fmtps.set(media, map);
  } else if (name === 'rtcp') {
    const port = Number.parseInt(arg, 10);
    if (port > 0 && port < 65536) media.rtcpPort = port;
  } else if (name === 'ptime') {
    const ptime = Number(arg);
    if (ptime > 0) media.ptime = ptime;
  }
}

function codecsOf(media: SdpMedia): SdpCodec[] {
  const maps = rtpmaps.get(media);
  const out: SdpCodec[] = [];
  for (const pt of media.formats) {
    const spec = maps?.get(pt) ?? staticCodecSpec(pt);
    if (!spec) continue;
    out.push({ ...spec, payloadType: pt, fmtp: fmtps.get(media)?.get(pt) });
  }
  return out;
}

/** The first audio stream, with the session-level connection and direction filled in. */
export function audioOf(sdp: SessionDescription): { media: SdpMedia; index: number } | undefined {
  const index = sdp.media.findIndex((m) => m.type === 'audio' && m.port > 0);
  if (index < 0) return undefined;
  const media = sdp.media[index];
  return {
    index,
    media: {
      ...media,
      connection: media.connection ?? sdp.connection,
      direction: media.direction ?? sdp.direction ?? 'sendrecv',
    },
  };
}

/** What the far end's description means for our media: where to send and which way. */
export function remoteDirection(d: MediaDirection | undefined): MediaDirection {
  // Their sendonly is our recvonly, and so on.
  switch (d) {
    case 'sendonly':
      return 'recvonly';
    case 'recvonly':
      return 'sendonly';
    case 'inactive':
      return 'inactive';
    default:
      return 'sendrecv';
  }
}

/** A hold is a=sendonly/inactive, or the old RFC 2543 way, c=0.0.0.0. */
export function isHold(media: SdpMedia): boolean {
  return media.direction === 'sendonly' || media.direction === 'inactive' || media.connection === '0.0.0.0';
}

export interface Negotiated {
  codec: SdpCodec;
  dtmf?: SdpCodec;
}

/**
 * Picks the audio codec for an offer: the offerer's most preferred one we support (RFC 3264
 * section 6.1), or ours when `preferOwn`; telephone-event at 8000 Hz if offered.
 */
export function negotiate(
  offer: SdpMedia,
  supported: readonly string[],
  preferOwn = false,
): Negotiated | undefined {
  const usable = offer.codecs.filter(
    (c) =>
      isSupportedCodec(c.name) &&
      supported.some((s) => s.toLowerCase() === c.name.toLowerCase()) &&
      (c.name.toLowerCase() !== 'l16' || (c.channels ?? 1) === 1),
  );
  if (preferOwn) {
    usable.sort(
      (a, b) =>
        supported.findIndex((s) => s.toLowerCase() === a.name.toLowerCase()) -
        supported.findIndex((s) => s.toLowerCase() === b.name.toLowerCase()),
    );
  }
  const codec = usable[0];
  if (!codec) return undefined;
  const dtmf =
    offer.codecs.find((c) => c.name.toLowerCase() === 'telephone-event' && c.clockRate === codec.clockRate) ??
    offer.codecs.find((c) => c.name.toLowerCase() === 'telephone-event' && c.clockRate === 8000);
  return { codec, dtmf };
}

export interface SdpBuildOptions {
  address: string;
  port: number;
  rtcpPort?: number;
  sessionId: string;
  version: number;
  codecs: SdpCodec[];
  direction: MediaDirection;
  ptime?: number;
  /** For an answer: the offer's other m-lines, refused with port 0 in the same order. */
  refuse?: { media: SdpMedia[]; audioIndex: number };
}

export function buildSdp(o: SdpBuildOptions): string {
  const family = o.address.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=roomkit ${o.sessionId} ${o.version} IN ${family} ${o.address}`,
    's=roomkit',
    `c=IN ${family} ${o.address}`,
    't=0 0',
  ];
  const audio = audioLines(o);
  if (!o.refuse) lines.push(...audio);
  else {
    o.refuse.media.forEach((m, i) => {
      if (i === o.refuse!.audioIndex) lines.push(...audio);
      else lines.push(`m=${m.type} 0 ${m.proto} ${m.formats[0] ?? 0}`);
    });
  }
  return `${lines.join('\r\n')}\r\n`;
}

function audioLines(o: SdpBuildOptions): string[] {
  const lines = [`m=audio ${o.port} RTP/AVP ${o.codecs.map((c) => c.payloadType).join(' ')}`];
  for (const c of o.codecs) {
    lines.push(
      `a=rtpmap:${c.payloadType} ${c.name}/${c.clockRate}${c.channels && c.channels > 1 ? `/${c.channels}` : ''}`,
    );
    if (c.fmtp) lines.push(`a=fmtp:${c.payloadType} ${c.fmtp}`);
  }
  lines.push(`a=ptime:${o.ptime ?? 20}`);
  if (o.rtcpPort && o.rtcpPort !== o.port + 1) lines.push(`a=rtcp:${o.rtcpPort}`);
  lines.push(`a=${o.direction}`);
  return lines;
}

/** The codecs we offer, in preference order, with payload types (dynamic ones from 96). */
export function offerCodecs(names: readonly string[], dtmfPayloadType = 101): SdpCodec[] {
  const out: SdpCodec[] = [];
  let dynamic = 96;
  for (const name of names) {
    const n = name.toLowerCase();
    if (n === 'pcmu') out.push({ name: 'PCMU', clockRate: 8000, payloadType: 0 });
    else if (n === 'pcma') out.push({ name: 'PCMA', clockRate: 8000, payloadType: 8 });
    else if (n === 'g722') out.push({ name: 'G722', clockRate: 8000, payloadType: 9 });
    else if (n === 'opus')
      out.push({
        name: 'opus',
        clockRate: 48000,
        channels: 2,
        payloadType: dynamic++,
        fmtp: 'useinbandfec=1',
      });
    else if (n === 'l16') out.push({ name: 'L16', clockRate: 16000, payloadType: dynamic++ });
  }
  if (dtmfPayloadType >= 0)
    out.push({ name: 'telephone-event', clockRate: 8000, payloadType: dtmfPayloadType, fmtp: '0-16' });
  return out;
}
