import { describe, expect, it } from 'vitest';
import {
  audioOf,
  buildSdp,
  digestAuthorization,
  formatNameAddr,
  isHold,
  negotiate,
  offerCodecs,
  parseChallenge,
  parseNameAddr,
  parseSdp,
  parseSipMessage,
  parseUri,
  parseVia,
  SipHeaders,
  serializeSipMessage,
} from '../../../src/backends/sip/index.js';
import { cutMessage } from '../../../src/backends/sip/tcp-transport.js';

const INVITE = [
  'INVITE sip:ai@127.0.0.1:5060 SIP/2.0',
  'v: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK776asdhds;rport',
  'Via: SIP/2.0/UDP proxy.example:5060;branch=z9hG4bKproxy, SIP/2.0/UDP edge.example;branch=z9hG4bKedge',
  'f: "Alice, the caller" <sip:+15551234@carrier.example>;tag=1928301774',
  't: <sip:ai@127.0.0.1>',
  'i: a84b4c76e66710@pc33.example',
  'CSeq: 314159 INVITE',
  'Subject: a long',
  '  folded subject',
  'Max-Forwards: 70',
  'c: application/sdp',
  'l: 4',
  '',
  'v=0\r\nextra-after-length',
].join('\r\n');

describe('SIP message parsing', () => {
  it('reads compact forms, folded lines, comma lists and the body by Content-Length', () => {
    const r = parseSipMessage(Buffer.from(INVITE));
    expect(r.ok).toBe(true);
    if (!r.ok || r.message.kind !== 'request') return;
    const m = r.message;
    expect([m.method, m.uri]).toEqual(['INVITE', 'sip:ai@127.0.0.1:5060']);
    expect(m.headers.getAll('Via')).toHaveLength(3);
    expect(parseVia(m.headers.get('Via')!)).toMatchObject({
      transport: 'UDP',
      host: '10.0.0.1',
      port: 5070,
      params: { branch: 'z9hG4bK776asdhds', rport: null },
    });
    expect(m.headers.get('Call-ID')).toBe('a84b4c76e66710@pc33.example');
    expect(m.headers.get('subject')).toBe('a long folded subject');
    expect(m.body.toString()).toBe('v=0\r');
    // The display name's comma did not split the From value.
    expect(parseNameAddr(m.headers.get('From')!)).toMatchObject({
      displayName: 'Alice, the caller',
      uri: { user: '+15551234' },
      params: { tag: '1928301774' },
    });
  });

  it('round-trips through the serializer with a correct Content-Length', () => {
    const r = parseSipMessage(Buffer.from(INVITE));
    if (!r.ok) throw r.error;
    const again = parseSipMessage(serializeSipMessage(r.message));
    expect(again.ok && again.message.headers.get('Content-Length')).toBe('4');
    expect(again.ok && again.message.headers.getAll('Via')).toEqual(r.message.headers.getAll('Via'));
  });

  it.each([
    ['no blank line', 'INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx'],
    ['missing Call-ID', INVITE.replace(/i: .*\r\n/, '')],
    ['bad CSeq', INVITE.replace('CSeq: 314159 INVITE', 'CSeq: x INVITE')],
    ['CSeq method mismatch', INVITE.replace('CSeq: 314159 INVITE', 'CSeq: 1 BYE')],
    ['body shorter than Content-Length', INVITE.replace('l: 4', 'l: 400')],
    ['bad header line', INVITE.replace('Max-Forwards: 70', 'Max-Forwards 70')],
    ['garbage', '\u0000\u0001\u0002\r\n\r\n'],
  ])('refuses %s with a typed error, never a throw', (_name, text) => {
    const r = parseSipMessage(Buffer.from(text));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('sip_parse_error');
  });

  it('frames a TCP stream at Content-Length and skips keep-alive CRLFs', () => {
    const one = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabc');
    const stream = Buffer.concat([Buffer.from('\r\n\r\n'), one, one.subarray(0, 10)]);
    const first = cutMessage(stream);
    expect(first).toEqual({ consumed: 4 });
    const second = cutMessage(stream.subarray(4));
    expect(second !== 'invalid' && second?.message?.toString()).toBe(one.toString());
    expect(cutMessage(stream.subarray(4 + one.byteLength))).toBeUndefined();
    expect(cutMessage(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n\r\n'))).toBe('invalid');
  });
});

describe('SIP URIs and headers', () => {
  it('parses and formats URIs with users, ports, params and IPv6 hosts', () => {
    expect(parseUri('sip:+1%20555@[::1]:5070;transport=tcp')).toMatchObject({
      user: '+1 555',
      host: '::1',
      port: 5070,
      params: { transport: 'tcp' },
    });
    expect(parseUri('tel:+15551234;phone-context=example')).toMatchObject({
      scheme: 'tel',
      user: '+15551234',
    });
    expect(parseUri('http://x')).toBeUndefined();
    expect(parseUri('sip:a@host:99999')).toBeUndefined();
    const a = parseNameAddr('sip:bob@example.com;tag=abc')!;
    expect(a.params.tag).toBe('abc');
    expect(formatNameAddr(a)).toBe('<sip:bob@example.com>;tag=abc');
  });

  it('headers are case-insensitive and keep their order', () => {
    const h = new SipHeaders([
      ['via', 'a'],
      ['X-Thing', '1'],
      ['VIA', 'b'],
    ]);
    expect(h.getAll('Via')).toEqual(['a', 'b']);
    h.set('x-thing', 2);
    expect(h.lines().map(([n]) => n)).toEqual(['Via', 'Via', 'x-thing']);
  });
});

describe('Digest authentication', () => {
  it('matches the RFC 2617 section 3.5 example', () => {
    const challenge = parseChallenge(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    )!;
    const value = digestAuthorization(
      challenge,
      { username: 'Mufasa', password: 'Circle Of Life' },
      'GET',
      '/dir/index.html',
      1,
      '0a4f113b',
    );
    expect(value).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(value).toContain('nc=00000001');
    expect(value).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });

  it('answers without qop the RFC 2069 way, and supports SHA-256', () => {
    const md5 = parseChallenge('Digest realm="r", nonce="n"')!;
    expect(md5.qop).toBeUndefined();
    expect(digestAuthorization(md5, { username: 'u', password: 'p' }, 'REGISTER', 'sip:r')).not.toContain(
      'qop',
    );
    const sha = parseChallenge('Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth"')!;
    expect(sha.algorithm).toBe('SHA-256');
    expect(digestAuthorization(sha, { username: 'u', password: 'p' }, 'REGISTER', 'sip:r', 1, 'c')).toMatch(
      /response="[0-9a-f]{64}"/,
    );
    expect(parseChallenge('Basic realm="x"')).toBeUndefined();
  });
});

describe('SDP offer/answer', () => {
  const offer = [
    'v=0',
    'o=- 1 1 IN IP4 10.0.0.5',
    's=-',
    'c=IN IP4 10.0.0.5',
    't=0 0',
    'm=audio 40000 RTP/AVP 18 0 9 101',
    'a=rtpmap:18 G729/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=rtcp:40009',
    'm=video 40002 RTP/AVP 96',
    'a=rtpmap:96 H264/90000',
    '',
  ].join('\r\n');

  it("picks the offerer's first codec we speak, keeps telephone-event, refuses video with port 0", () => {
    const sdp = parseSdp(offer)!;
    const audio = audioOf(sdp)!;
    expect(audio.media.connection).toBe('10.0.0.5');
    expect(audio.media.rtcpPort).toBe(40009);
    const chosen = negotiate(audio.media, ['G722', 'PCMU', 'PCMA'])!;
    expect(chosen.codec.name).toBe('PCMU');
    expect(chosen.dtmf?.payloadType).toBe(101);
    expect(negotiate(audio.media, ['G722', 'PCMU'], true)!.codec.name).toBe('G722');
    const answer = buildSdp({
      address: '127.0.0.1',
      port: 30000,
      rtcpPort: 30001,
      sessionId: '1',
      version: 1,
      codecs: [chosen.codec, chosen.dtmf!],
      direction: 'sendrecv',
      refuse: { media: sdp.media, audioIndex: audio.index },
    });
    const parsed = parseSdp(answer)!;
    expect(parsed.media.map((m) => [m.type, m.port])).toEqual([
      ['audio', 30000],
      ['video', 0],
    ]);
    expect(parsed.media[0].codecs.map((c) => c.name)).toEqual(['PCMU', 'telephone-event']);
    expect(answer).not.toContain('a=rtcp:'); // port + 1 needs no attribute
  });

  it('finds nothing in an offer of codecs we lack', () => {
    const sdp = parseSdp(offer.replace('RTP/AVP 18 0 9 101', 'RTP/AVP 18 101'))!;
    expect(negotiate(audioOf(sdp)!.media, ['PCMU'])).toBeUndefined();
  });

  it('recognises hold: sendonly, inactive, or the old c=0.0.0.0', () => {
    for (const [change, held] of [
      ['a=rtcp:40009', false],
      ['a=sendonly', true],
      ['a=inactive', true],
    ] as const) {
      const sdp = parseSdp(offer.replace('a=rtcp:40009', change))!;
      expect(isHold(audioOf(sdp)!.media)).toBe(held);
    }
    expect(isHold(audioOf(parseSdp(offer.replace(/c=IN IP4 10.0.0.5/, 'c=IN IP4 0.0.0.0'))!)!.media)).toBe(
      true,
    );
  });

  it('offers our codecs with static and dynamic payload types', () => {
    const codecs = offerCodecs(['G722', 'opus', 'PCMU']);
    expect(codecs.map((c) => `${c.payloadType}:${c.name}`)).toEqual([
      '9:G722',
      '96:opus',
      '0:PCMU',
      '101:telephone-event',
    ]);
  });
});
