import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type SipCallEvent,
  SIPVoiceBackend,
  type SIPVoiceBackendOptions,
} from '../../../src/backends/sip/index.js';
import type { VoiceSession } from '../../../src/voice/types.js';
import { eventually } from '../../conformance/backend.js';
import { memoryLogger } from './helpers.js';
import { sippCaller } from './sipp.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function backend(opts: SIPVoiceBackendOptions = {}) {
  const logger = memoryLogger();
  const b = new SIPVoiceBackend({
    host: '127.0.0.1',
    port: 0,
    logger,
    rtcpInterval: 0,
    roomId: 'lobby',
    ...opts,
  });
  cleanup.push(() => b.close());
  const ports = await b.listen();
  return { b, ports, logger };
}

function sipp(scenario: string, port: number, transport = 'u1') {
  return sippCaller(scenario, port, cleanup, { transport, timeoutS: 20 });
}

/** A raw UDP SIP peer for messages no well-behaved tool would send. */
async function rawPeer(): Promise<{
  socket: Socket;
  replies: string[];
  send(text: string, port: number): void;
}> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise<void>((r) => socket.close(() => r())));
  const replies: string[] = [];
  socket.on('message', (m) => replies.push(m.toString()));
  return { socket, replies, send: (text, port) => socket.send(Buffer.from(text), port, '127.0.0.1') };
}

function request(method: string, port: number, peerPort: number, extra = '', body = ''): string {
  return [
    `${method} sip:ai@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peerPort};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
    `From: <sip:tester@127.0.0.1:${peerPort}>;tag=t1`,
    `To: <sip:ai@127.0.0.1:${port}>`,
    `Call-ID: raw-${Math.random().toString(36).slice(2)}@127.0.0.1`,
    `CSeq: 1 ${method}`,
    'Max-Forwards: 70',
    ...(extra ? [extra] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

describe('SIPVoiceBackend answering calls', () => {
  it('answers malformed SIP with 400 and a log line, and keeps answering', async () => {
    const { ports, logger } = await backend();
    const peer = await rawPeer();
    const peerPort = peer.socket.address().port;
    // Bad CSeq: addressable, so it gets a 400.
    peer.send(
      request('OPTIONS', ports.udp!, peerPort).replace('CSeq: 1 OPTIONS', 'CSeq: one OPTIONS'),
      ports.udp!,
    );
    // Unaddressable garbage: dropped with a log line, nothing to answer to.
    peer.send('\u0000\u00ff garbage \r\n\r\n', ports.udp!);
    peer.send('INVITE sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n', ports.udp!);
    await eventually(() => expect(peer.replies.filter((r) => r.startsWith('SIP/2.0 400')).length).toBe(1));
    await eventually(() =>
      expect(logger.lines.filter((l) => l.msg === 'malformed SIP message').length).toBe(3),
    );
    expect(peer.replies[0]).toMatch(/^SIP\/2\.0 400 Bad Request \(malformed CSeq\)/);
    // Still alive: a good OPTIONS gets its 200 with what we allow.
    peer.send(request('OPTIONS', ports.udp!, peerPort), ports.udp!);
    await eventually(() => expect(peer.replies.some((r) => r.startsWith('SIP/2.0 200 OK'))).toBe(true));
    expect(peer.replies.find((r) => r.startsWith('SIP/2.0 200'))).toMatch(
      /Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER/,
    );
  });

  it('answers requests for unknown dialogs with 481 and unsupported methods with 405', async () => {
    const { ports } = await backend();
    const peer = await rawPeer();
    const peerPort = peer.socket.address().port;
    peer.send(request('BYE', ports.udp!, peerPort).replace(/To: (.*)/, 'To: $1;tag=nosuch'), ports.udp!);
    peer.send(request('SUBSCRIBE', ports.udp!, peerPort, 'Event: presence'), ports.udp!);
    await eventually(() => expect(peer.replies.length).toBe(2));
    expect(peer.replies.map((r) => r.split('\r\n')[0]).sort()).toEqual([
      'SIP/2.0 405 Method Not Allowed',
      'SIP/2.0 481 Call/Transaction Does Not Exist',
    ]);
  });

  it('absorbs a retransmitted INVITE (one call, the same answer again)', async () => {
    const { b, ports } = await backend();
    const peer = await rawPeer();
    const peerPort = peer.socket.address().port;
    const ready: VoiceSession[] = [];
    b.onSessionReady((s) => ready.push(s));
    const sdp =
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n';
    const invite = request(
      'INVITE',
      ports.udp!,
      peerPort,
      'Contact: <sip:tester@127.0.0.1>\r\nContent-Type: application/sdp',
      sdp,
    );
    peer.send(invite, ports.udp!);
    await eventually(() => expect(peer.replies.some((r) => r.startsWith('SIP/2.0 200'))).toBe(true));
    peer.send(invite, ports.udp!);
    await eventually(() =>
      expect(peer.replies.filter((r) => r.startsWith('SIP/2.0 200')).length).toBeGreaterThanOrEqual(2),
    );
    const tags = new Set(
      peer.replies.filter((r) => r.startsWith('SIP/2.0 200')).map((r) => /To: .*tag=(\w+)/.exec(r)?.[1]),
    );
    expect(tags.size).toBe(1);
    expect(b.listSessions('lobby').length + ready.length).toBeLessThanOrEqual(1);
  });

  it('stops ringing when the caller CANCELs (200 to CANCEL, 487 to INVITE)', async () => {
    const { b, ports } = await backend({ ringMs: 5000 });
    const ready: VoiceSession[] = [];
    b.onSessionReady((s) => ready.push(s));
    const result = await sipp('uac-cancel.xml', ports.udp!);
    expect(result.code, result.errors).toBe(0);
    expect(ready).toEqual([]);
    expect(b.listSessions('lobby')).toEqual([]);
  });

  it('refuses an offer without a common codec with 488', async () => {
    const { ports } = await backend();
    const result = await sipp('uac-488.xml', ports.udp!);
    expect(result.code, result.errors).toBe(0);
  });

  it('refuses calls routeCall rejects, with the status it chose', async () => {
    const { ports } = await backend({ routeCall: () => ({ reject: 486, reason: 'Busy Here' }) });
    const peer = await rawPeer();
    const sdp =
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n';
    peer.send(
      request('INVITE', ports.udp!, peer.socket.address().port, 'Content-Type: application/sdp', sdp),
      ports.udp!,
    );
    await eventually(() =>
      expect(peer.replies.some((r) => r.startsWith('SIP/2.0 486 Busy Here'))).toBe(true),
    );
  });

  it('goes on hold and resumes when the caller re-INVITEs (recvonly, then sendrecv)', async () => {
    const { b, ports } = await backend();
    const events: SipCallEvent[] = [];
    b.onCallEvent((_s, e) => events.push(e));
    const result = await sipp('uac-hold.xml', ports.udp!);
    expect(result.code, result.errors).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['held', 'resumed', 'ended']);
    expect(result.messages).toContain('X-Held: a=recvonly');
    expect(result.messages).toContain('X-Resumed: a=sendrecv');
  });

  it('hangs up when the caller does not refresh its session timer (RFC 4028)', async () => {
    const { b, ports } = await backend({ minSessionExpires: 1 });
    const events: SipCallEvent[] = [];
    b.onCallEvent((_s, e) => events.push(e));
    const started = Date.now();
    const result = await sipp('uac-timer.xml', ports.udp!);
    expect(result.code, result.errors).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(events.at(-1)).toMatchObject({ type: 'ended', reason: 'session_expired', by: 'local' });
  });

  it('takes calls over TCP too', async () => {
    const { b, ports } = await backend({ transports: ['udp', 'tcp'] });
    const ready: VoiceSession[] = [];
    b.onSessionReady((s) => ready.push(s));
    expect(ports.tcp).toBeGreaterThan(0);
    const result = await sipp('uac-hold.xml', ports.tcp!, 't1');
    expect(result.code, result.errors).toBe(0);
    expect(ready).toHaveLength(1);
  });
});
