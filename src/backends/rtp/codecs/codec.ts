/**
 * An RTP audio codec: PCM s16 mono at `sampleRate` in and out, payloads on the wire. One
 * instance per call and direction pair (ADPCM and Opus keep state between frames).
 */
export interface RtpCodec {
  /** Encoding name as in SDP rtpmap (PCMU, PCMA, L16, G722, opus). */
  readonly name: string;
  /** Rate of the PCM this codec takes and gives. */
  readonly sampleRate: number;
  /** RTP timestamp rate (differs from sampleRate for G.722, RFC 3551 section 4.5.2). */
  readonly clockRate: number;
  encode(pcm: Int16Array): Uint8Array;
  decode(payload: Uint8Array): Int16Array;
  /** A replacement for one lost frame of `samples` samples; default: the caller repeats and fades. */
  conceal?(samples: number): Int16Array | undefined;
}

/** What an SDP rtpmap says, and what a codec factory is built from. */
export interface CodecSpec {
  name: string;
  clockRate: number;
  channels?: number;
  /** fmtp parameters, already split (e.g. { useinbandfec: '1' }). */
  params?: Record<string, string>;
}
