import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildCompound,
  type DtmfEvent,
  G722Codec,
  PcmuCodec,
  RtpMediaSession,
  parseTelephoneEvent,
  RTPVoiceBackend,
  type RTPVoiceBackendOptions,
} from '../../../src/backends/rtp/index.js';
import { int16ToBytes } from '../../../src/voice/audio/pcm.js';
import { mulawDecode, mulawEncode } from '../../../src/voice/audio/g711.js';
import type { AudioFrame, VoiceSession } from '../../../src/voice/types.js';
import { eventually } from '../../conformance/backend.js';
import { readPcapUdp, SIPP_PCAPS } from './pcap.js';
import { expectOneTalkspurt, RawRtpPeer } from './rtp-peer.js';
import { concat, powerAt, tone } from './signal.js';

const open: { backends: RTPVoiceBackend[]; peers: RawRtpPeer[] } = { backends: [], peers: [] };

const cleanupMedia: RtpMediaSession[] = [];

afterEach(async () => {
  for (const m of cleanupMedia.splice(0)) await m.close();
  for (const b of open.backends.splice(0)) await b.close();
  for (const p of open.peers.splice(0)) p.close();
});

async function call(opts: RTPVoiceBackendOptions & { remote?: boolean } = {}) {
  const peer = await RawRtpPeer.open();
  open.peers.push(peer);
  // No silence fill by default here: these tests count frames exactly.
  const backend = new RTPVoiceBackend({
    localAddr: ['127.0.0.1', 0],
    rtcpInterval: 0,
    silenceFillMs: 0,
    ...opts,
  });
  open.backends.push(backend);
  const frames: AudioFrame[] = [];
  const digits: DtmfEvent[] = [];
  backend.onAudioReceived((_s, f) => frames.push(f));
  backend.onDtmfReceived((_s, e) => digits.push(e));
  const metadata = opts.remote === false ? {} : { remoteAddr: ['127.0.0.1', peer.port] };
  const session = await backend.connect('room-1', 'caller', 'voice', { metadata });
  const port = backend.localAddress(session)!.port;
  return { peer, backend, session, port, frames, digits };
}

function pcmOf(frames: AudioFrame[]): Int16Array {
  return concat(...frames.map((f) => f.data));
}

describe('RTPVoiceBackend over real UDP', () => {
  it('binds, reports the bound address and is ready at once', async () => {
    const { backend, session, port } = await call();
    expect(port).toBeGreaterThan(0);
    expect(session.state).toBe('active');
    expect(session.metadata.localAddr).toEqual({ host: '127.0.0.1', port });
    expect(backend.sampleRateFor(session)).toBe(8000);
  });

  it('decodes inbound PCMU into 8 kHz frames, in order', async () => {
    const { peer, port, frames } = await call();
    const x = tone(440, 8000, 1600);
    for (let i = 0; i < 10; i++) {
      const payload = mulawEncode(x.subarray(i * 160, (i + 1) * 160));
      peer.send(port, { sequenceNumber: 100 + i, timestamp: i * 160, payload });
    }
    await eventually(() => expect(pcmOf(frames).length).toBe(1600));
    expect(frames.every((f) => f.sampleRate === 8000 && f.channels === 1)).toBe(true);
    expect([...pcmOf(frames)]).toEqual([...mulawDecode(mulawEncode(x))]);
  });

  it('sends outbound audio resampled, one 20 ms packet at a time at real time', async () => {
    const { peer, backend, session } = await call();
    const pcm16k = tone(500, 16000, 16000); // 1 s at 16 kHz
    await backend.sendAudio(session, {
      data: int16ToBytes(pcm16k),
      sampleRate: 16000,
      channels: 1,
      format: 'pcm_s16le',
    });
    backend.endOfResponse(session);
    await eventually(() => expect(peer.audio(0).length).toBe(50), 5000);
    const packets = peer.audio(0);
    expect(packets.every((p) => p.payload.byteLength === 160)).toBe(true);
    expectOneTalkspurt(packets);
    // Paced, not burst: 50 packets span about a second on the wire.
    const times = peer.received.map((r) => r.at);
    expect(times.at(-1)! - times[0]).toBeGreaterThan(800);
    const decoded = mulawDecode(Buffer.concat(packets.map((p) => p.payload)));
    expect(powerAt(decoded.subarray(800), 500, 8000)).toBeGreaterThan(
      powerAt(tone(500, 8000, 8000), 500, 8000) - 2,
    );
  });

  it('fires onAudioPlayed for each frame as it goes out (the AEC reference)', async () => {
    const { peer, backend, session } = await call();
    const played: AudioFrame[] = [];
    backend.onAudioPlayed((_s, f) => played.push(f));
    await backend.sendAudio(session, int16ToBytes(tone(300, 8000, 1600)));
    await eventually(() => expect(peer.audio(0).length).toBe(10));
    await eventually(() => expect(played.length).toBe(10));
    expect(played.every((f) => f.data.length === 160 && f.sampleRate === 8000)).toBe(true);
  });

  it('pads the short tail of a response to a full packet when the response ends', async () => {
    const { peer, backend, session } = await call();
    await backend.sendAudio(session, int16ToBytes(tone(300, 8000, 250)));
    backend.endOfResponse(session);
    await eventually(() => expect(peer.audio(0).length).toBe(2));
    expect(peer.audio(0).map((p) => p.payload.byteLength)).toEqual([160, 160]);
  });

  it('barge-in: interrupt drops the queue at once', async () => {
    const { peer, backend, session } = await call();
    await backend.sendAudio(session, int16ToBytes(tone(300, 8000, 16000))); // 2 s
    await eventually(() => expect(peer.audio(0).length).toBeGreaterThanOrEqual(3));
    expect(backend.isPlaying(session)).toBe(true);
    backend.interrupt(session);
    expect(backend.isPlaying(session)).toBe(false);
    const count = peer.audio(0).length;
    await new Promise((r) => setTimeout(r, 200));
    expect(peer.audio(0).length).toBeLessThanOrEqual(count + 1);
    expect(count).toBeLessThan(60);
  });

  it('latches onto the first packet source when no remote was given (symmetric RTP)', async () => {
    const { peer, backend, session, port, frames } = await call({ remote: false });
    await backend.sendAudio(session, int16ToBytes(tone(300, 8000, 160)));
    peer.send(port, { sequenceNumber: 1, timestamp: 0, payload: new Uint8Array(160).fill(0xff) });
    await eventually(() => expect(frames.length).toBe(1));
    await backend.sendAudio(session, int16ToBytes(tone(300, 8000, 320)));
    await eventually(() => expect(peer.audio(0).length).toBeGreaterThanOrEqual(2));
    expect(backend.getStats(session)!.remote).toEqual({ host: '127.0.0.1', port: peer.port });
  });

  it('drops packets from a second source once latched', async () => {
    const { peer, backend, session, port, frames } = await call();
    peer.send(port, { sequenceNumber: 1, payload: new Uint8Array(160) });
    await eventually(() => expect(frames.length).toBe(1));
    const intruder = await RawRtpPeer.open();
    open.peers.push(intruder);
    intruder.send(port, { sequenceNumber: 2, timestamp: 160, payload: new Uint8Array(160) });
    await eventually(() => expect(backend.getStats(session)!.dropped.foreignSource).toBe(1));
    expect(frames.length).toBe(1);
  });

  it('counts and drops bad packets, never throws, and keeps the call going', async () => {
    const { peer, backend, session, port, frames } = await call();
    peer.send(port, { sequenceNumber: 1, timestamp: 0, payload: new Uint8Array(160) });
    peer.sendRaw(Buffer.from([0x80, 0x00, 0x01]), port); // short
    peer.sendRaw(Buffer.alloc(172, 0x40), port); // version 1
    peer.send(port, { sequenceNumber: 2, payloadType: 99, payload: new Uint8Array(10) }); // unknown PT
    for (let i = 0; i < 3; i++)
      peer.send(port, { sequenceNumber: 50 + i, ssrc: 0x9999, payload: new Uint8Array(160) });
    peer.send(port, { sequenceNumber: 2, timestamp: 160, payload: new Uint8Array(160) });
    await eventually(() => {
      const d = backend.getStats(session)!.dropped;
      expect(d).toMatchObject({ short: 1, version: 1, unknownPayloadType: 1, ssrcChange: 3 });
      expect(frames.length).toBe(2);
    });
    expect(backend.getSession(session.id)?.state).toBe('active');
  });

  it('accepts a new SSRC that persists (a PBX re-bridging the call)', async () => {
    const { peer, port, frames } = await call();
    peer.send(port, { sequenceNumber: 1, payload: new Uint8Array(160) });
    for (let i = 0; i < 15; i++)
      peer.send(port, {
        sequenceNumber: 500 + i,
        timestamp: i * 160,
        ssrc: 0x7777,
        payload: new Uint8Array(160),
      });
    await eventually(() => expect(frames.length).toBe(1 + 6));
  });

  it('drops a flood beyond the packet rate budget and stays bounded', async () => {
    const { peer, backend, session, port } = await call({ jitterBuffer: { maxPackets: 20 } });
    // 1000 packets in 200 ms (5000/s, a hundred times a call's rate), in bursts the kernel's
    // socket buffer can hold.
    for (let i = 0; i < 1000; i++) {
      peer.send(port, { sequenceNumber: i * 2, timestamp: i * 320, payload: new Uint8Array(160) });
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20));
    }
    await eventually(() => {
      const s = backend.getStats(session)!;
      expect(s.packetsReceived + (s.dropped.flood ?? 0)).toBe(1000);
    });
    const s = backend.getStats(session)!;
    expect(s.dropped.flood).toBeGreaterThan(500);
    expect(s.jitterBuffer.held).toBeLessThanOrEqual(20);
  });

  it("plays SIPp's g711a.pcap (PCMA, 30 ms packets) into frames", async () => {
    const { peer, port, frames } = await call({ payloadType: 8 });
    const packets = readPcapUdp(join(SIPP_PCAPS, 'g711a.pcap')).slice(0, 60);
    for (const p of packets) peer.sendRaw(p.payload, port);
    await eventually(() => expect(frames.length).toBe(60));
    expect(frames[0].data.length).toBe(240);
    const pcm = pcmOf(frames);
    expect(Math.max(...pcm.map(Math.abs))).toBeGreaterThan(1000);
  });

  it("receives RFC 4733 digits from SIPp's DTMF pcaps exactly once each", async () => {
    const { peer, port, digits } = await call();
    for (const name of ['1', '5', 'star', 'pound']) {
      for (const p of readPcapUdp(join(SIPP_PCAPS, `dtmf_2833_${name}.pcap`))) peer.sendRaw(p.payload, port);
      await new Promise((r) => setTimeout(r, 20));
    }
    await eventually(() => expect(digits.map((d) => d.digit)).toEqual(['1', '5', '*', '#']));
    expect(digits[0]).toMatchObject({ source: 'rfc4733', volume: 10 });
    expect(digits[0].durationMs).toBe(280);
  });

  it('reports a digit whose end packets were all lost', async () => {
    const { peer, port, digits } = await call();
    const packets = readPcapUdp(join(SIPP_PCAPS, 'dtmf_2833_7.pcap')).slice(0, 5);
    for (const p of packets) peer.sendRaw(p.payload, port);
    await eventually(() => expect(digits.map((d) => d.digit)).toEqual(['7']), 3000);
  });

  it('regression: reports that digit even when its quiet check runs early (the media clock rounds to 1 ms slots)', async () => {
    // A clock whose timers fire half a millisecond before they are due, as the shared media
    // clock may: the first check finds the digit 299.5 ms quiet, and must look again.
    let now = 1000.9;
    const timers: { fn: () => void; due: number }[] = [];
    const clock = {
      now: () => now,
      setTimer: (fn: () => void, delayMs: number) => {
        const timer = { fn, due: now + delayMs };
        timers.push(timer);
        return timer;
      },
      clearTimer: (timer: unknown) => {
        const at = timers.indexOf(timer as (typeof timers)[number]);
        if (at >= 0) timers.splice(at, 1);
      },
    };
    const digits: string[] = [];
    const media = await RtpMediaSession.open({
      local: { host: '127.0.0.1', port: 0 },
      codec: new PcmuCodec(),
      payloadType: 0,
      dtmfPayloadType: 101, // the backend's default, as the capture uses
      rtcpIntervalMs: 0,
      silenceFillMs: 0,
      clock,
      onAudio: () => {},
      onDtmf: (event) => digits.push(event.digit),
    });
    cleanupMedia.push(media);
    const peer = await RawRtpPeer.open();
    open.peers.push(peer);
    const packets = readPcapUdp(join(SIPP_PCAPS, 'dtmf_2833_7.pcap')).slice(0, 5);
    for (const p of packets) peer.sendRaw(p.payload, media.local.port);
    await eventually(() => expect(media.stats().packetsReceived).toBe(5), 3000);
    expect(timers).toHaveLength(1);
    for (let round = 0; round < 10 && timers.length > 0; round++) {
      const timer = timers.shift()!;
      now = Math.max(now, timer.due - 0.5);
      timer.fn();
    }
    expect(digits).toEqual(['7']);
  });

  it('sends RFC 4733 digits: one event per digit, growing duration, three end packets', async () => {
    const { peer, backend, session } = await call();
    await backend.sendDtmf(session, '1#', { durationMs: 100, gapMs: 40 });
    await eventually(() =>
      expect(peer.audio(101).filter((p) => parseTelephoneEvent(p.payload)!.end).length).toBe(6),
    );
    const events = peer.audio(101);
    const byTs = new Map<number, number[]>();
    for (const p of events) byTs.set(p.timestamp, [...(byTs.get(p.timestamp) ?? []), p.payload[0]]);
    expect([...byTs.values()].map((v) => new Set(v))).toEqual([new Set([1]), new Set([11])]);
    const first = events.filter((p) => p.payload[0] === 1).map((p) => parseTelephoneEvent(p.payload)!);
    expect(first.map((e) => e.duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    expect(events[0].marker).toBe(true);
    expect(backend.getStats(session)!.dtmfSent).toBe(2);
    await expect(backend.sendDtmf(session, 'x')).rejects.toThrow(/not a DTMF digit/);
  });

  it("sends RTCP sender reports and exposes loss and jitter, ours and the far end's", async () => {
    const { peer, backend, session, port } = await call();
    // 20 packets with 5 missing (1, 5, 9, 13, 17) and uneven arrival.
    for (let i = 0; i < 20; i++) {
      if (i % 4 === 1) continue;
      peer.send(port, {
        sequenceNumber: 1000 + i,
        timestamp: i * 160,
        payload: new Uint8Array(160).fill(0xff),
      });
      await new Promise((r) => setTimeout(r, i % 2 ? 2 : 30));
    }
    await backend.sendAudio(session, int16ToBytes(tone(300, 8000, 800)));
    await eventually(() => expect(peer.audio(0).length).toBe(5));
    const stats = backend.getStats(session)!;
    expect(stats.packetsLost).toBe(5);
    expect(stats.jitterMs).toBeGreaterThan(1);
    // Our SR reaches the peer's RTCP port (RTP port + 1), with our SSRC and counts.
    (backend as unknown as { media: Map<string, { rtp: { reportNow(): void } }> }).media
      .get(session.id)!
      .rtp.reportNow();
    await eventually(() => expect(peer.rtcp.length).toBe(1));
    const sr = peer.rtcp[0].find((p) => p.type === 'sr');
    expect(sr).toMatchObject({ type: 'sr', ssrc: stats.ssrc, sender: { packetCount: 5, octetCount: 800 } });
    expect(sr?.type === 'sr' && sr.reports[0]).toMatchObject({ ssrc: 0x1234, cumulativeLost: 5 });
    expect(peer.rtcp[0].some((p) => p.type === 'sdes' && p.cname?.startsWith('roomkit-'))).toBe(true);
    // The far end says it lost a quarter of ours.
    const rr = buildCompound({
      ssrc: 0x1234,
      cname: 'peer',
      reports: [
        {
          ssrc: stats.ssrc,
          fractionLost: 0.25,
          cumulativeLost: 3,
          extendedHighestSeq: 5,
          jitter: 80,
          lastSr: 0,
          delaySinceLastSr: 0,
        },
      ],
    });
    peer.sendRtcp(rr, port + 1);
    await eventually(() => expect(backend.getStats(session)!.rtcp.remote?.fractionLost).toBe(0.25));
    expect(backend.getStats(session)!.rtcp.remote?.jitterMs).toBe(10);
  });

  it('G.722 end to end between two backends: 16 kHz frames both ways', async () => {
    const a = new RTPVoiceBackend({ localAddr: '127.0.0.1:0', payloadType: 9, rtcpInterval: 0 });
    const b = new RTPVoiceBackend({ localAddr: '127.0.0.1:0', payloadType: 9, rtcpInterval: 0 });
    open.backends.push(a, b);
    const sa = await a.connect('r', 'a', 'voice');
    const sb = await b.connect('r', 'b', 'voice', { metadata: { remoteAddr: a.localAddress(sa) } });
    expect(a.sampleRateFor(sa)).toBe(16000);
    const got: AudioFrame[] = [];
    a.onAudioReceived((_s: VoiceSession, f) => got.push(f));
    await b.sendAudio(sb, int16ToBytes(tone(6000, 16000, 8000)));
    await eventually(() => expect(got.length).toBe(25), 3000);
    expect(got[0].sampleRate).toBe(16000);
    const y = pcmOf(got).subarray(400);
    expect(powerAt(y, 6000, 16000)).toBeGreaterThan(-15);
  });

  it('fills a stalled stream with a bounded run of silence, so a turn can end', async () => {
    const { peer, port, frames, backend, session } = await call({ silenceFillMs: 300 });
    for (let i = 0; i < 5; i++) {
      peer.send(port, { sequenceNumber: i, timestamp: i * 160, payload: mulawEncode(tone(440, 8000, 160)) });
    }
    await eventually(() => expect(frames.length).toBe(5 + 15), 3000);
    await new Promise((r) => setTimeout(r, 300));
    expect(frames.length).toBe(20); // bounded: 300 ms, then nothing
    expect(frames.slice(5).every((f) => f.data.every((s) => s === 0))).toBe(true);
    expect(backend.getStats(session)!.framesFilled).toBe(15);
  });

  it('regression: renegotiating PCMU -> G.722 re-frames outbound audio (it went out at half speed with gaps)', async () => {
    const a = await RtpMediaSession.open({
      local: { host: '127.0.0.1', port: 0 },
      codec: new PcmuCodec(),
      payloadType: 0,
      rtcpIntervalMs: 0,
      silenceFillMs: 0,
      onAudio: () => {},
    });
    const got: AudioFrame[] = [];
    const b = await RtpMediaSession.open({
      local: { host: '127.0.0.1', port: 0 },
      codec: new G722Codec(),
      payloadType: 9,
      rtcpIntervalMs: 0,
      silenceFillMs: 0,
      onAudio: (f) => got.push(f),
    });
    cleanupMedia.push(a, b);
    // As a SIP call does: media opens with a placeholder codec, the answer picks G.722.
    a.setCodec(new G722Codec(), 9);
    a.setRemote({ host: '127.0.0.1', port: b.local.port });
    expect(a.sampleRate).toBe(16000);
    a.sendPcm(tone(1000, 16000, 16000)); // 1 s
    a.endOfResponse();
    await eventually(() => expect(got.length).toBe(50), 3000);
    expect(got.every((f) => f.data.length === 320 && f.sampleRate === 16000)).toBe(true);
    const y = pcmOf(got);
    // Continuous tone all the way: no padded half-frames of silence.
    expect(powerAt(y.subarray(400), 1000, 16000)).toBeGreaterThan(
      powerAt(tone(1000, 16000, 16000), 1000, 16000) - 2,
    );
    expect(Math.min(...got.slice(2).map((f) => Math.max(...f.data.map(Math.abs))))).toBeGreaterThan(4000);
  });

  it('ends the session when the peer goes silent past inactivityTimeout', async () => {
    const { peer, backend, session, port } = await call({ inactivityTimeout: 0.3, rtcpInterval: 0.2 });
    const ended: VoiceSession[] = [];
    backend.onClientDisconnected((s) => ended.push(s));
    peer.send(port, { sequenceNumber: 1, payload: new Uint8Array(160) });
    await eventually(() => expect(ended.map((s) => s.id)).toEqual([session.id]), 3000);
    expect(backend.getSession(session.id)).toBeUndefined();
  });
});
