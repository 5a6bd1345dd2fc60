import { afterEach, describe, expect, it } from 'vitest';
import type { DtmfEvent } from '../../../src/backends/rtp/index.js';
import { SIPVoiceBackend, type SIPVoiceBackendOptions } from '../../../src/backends/sip/index.js';
import type { AudioFrame, ProtocolTrace, VoiceSession } from '../../../src/voice/types.js';
import { eventually } from '../../conformance/backend.js';
import { int16ToBytes } from '../../../src/voice/audio/pcm.js';
import { powerAt, tone } from '../rtp/signal.js';
import { memoryLogger } from './helpers.js';
import { sippCaller } from './sipp.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function backend(opts: SIPVoiceBackendOptions = {}) {
  const logger = memoryLogger();
  const b = new SIPVoiceBackend({ host: '127.0.0.1', port: 0, logger, rtcpInterval: 1, ...opts });
  cleanup.push(() => b.close());
  const ports = await b.listen();
  return { b, ports, logger };
}

describe('SIPVoiceBackend as UAS, called by SIPp', () => {
  it('answers a call, gets its audio and digits, sees who called, and ends on BYE', async () => {
    const { b, ports } = await backend({ routeCall: (call) => ({ roomId: `room-${call.callee}` }) });
    const ready: VoiceSession[] = [];
    const ended: VoiceSession[] = [];
    const frames: AudioFrame[] = [];
    const digits: DtmfEvent[] = [];
    const traces: ProtocolTrace[] = [];
    b.setTraceEmitter((t) => traces.push(t));
    b.onSessionReady((s) => ready.push(s));
    b.onClientDisconnected((s) => ended.push(s));
    b.onAudioReceived((_s, f) => frames.push(f));
    b.onDtmfReceived((_s, d) => digits.push(d));
    const result = await sippCaller('uac-call.xml', ports.udp!, cleanup);
    expect(result.code, result.errors || result.stdout.slice(-2000)).toBe(0);
    await eventually(() => expect(ended.length).toBe(1));
    const session = ready[0];
    expect(session.roomId).toBe('room-ai');
    // P-Asserted-Identity wins over From for who the caller is.
    expect(session.participantId).toBe('+15559870000');
    expect(session.metadata).toMatchObject({
      caller: '+15559870000',
      callee: 'ai',
      address: '+15559870000',
      codec: 'PCMA',
      sip: {
        direction: 'inbound',
        from: { user: '+15551230001', displayName: 'SIPp Caller' },
        assertedIdentity: { user: '+15559870000', host: 'carrier.example', displayName: 'Verified Caller' },
      },
    });
    expect(ended[0].id).toBe(session.id);
    // SIPp's PCMA pcap arrived as 8 kHz frames with real speech energy in them.
    expect(frames.length).toBeGreaterThan(30);
    expect(frames[0].sampleRate).toBe(8000);
    expect(Math.max(...frames.flatMap((f) => [...f.data.slice(0, 50)]).map(Math.abs))).toBeGreaterThan(500);
    expect(digits.map((d) => `${d.digit}/${d.source}`)).toEqual(['4/rfc4733', '2/rfc4733', '#/sip-info']);
    const summaries = traces.map((t) => `${t.direction} ${t.summary.split(' ')[0]}`);
    for (const step of [
      'inbound INVITE',
      'outbound 100',
      'outbound 180',
      'outbound 200',
      'inbound ACK',
      'inbound INFO',
      'inbound BYE',
    ]) {
      expect(summaries).toContain(step);
    }
    expect(traces.every((t) => t.protocol === 'sip' && t.raw && t.raw.length > 0)).toBe(true);
    expect(traces.find((t) => t.summary.startsWith('INVITE'))?.sessionId ?? session.id).toBe(session.id);
  });

  it('sends our audio to the caller as paced RTP where its SDP said (SIPp echoes it back)', async () => {
    // No silence fill: every frame counted here must be one SIPp echoed.
    const { b, ports } = await backend({ roomId: 'lobby', silenceFillMs: 0 });
    const frames: AudioFrame[] = [];
    b.onAudioReceived((_s, f) => frames.push(f));
    b.onSessionReady((s) => {
      void b.sendAudio(s, {
        data: int16ToBytes(tone(1000, 16000, 16000)),
        sampleRate: 16000,
        channels: 1,
        format: 'pcm_s16le',
      });
    });
    const result = await sippCaller('uac-echo.xml', ports.udp!, cleanup, { extra: ['-rtp_echo'] });
    expect(result.code, result.errors).toBe(0);
    // One second of tone went out as 50 PCMA packets and came back through SIPp's echo.
    await eventually(() => expect(frames.length).toBe(50));
    const pcm = new Int16Array(frames.flatMap((f) => [...f.data]));
    expect(powerAt(pcm.subarray(800), 1000, 8000)).toBeGreaterThan(
      powerAt(tone(1000, 8000, 8000), 1000, 8000) - 3,
    );
  });
});
