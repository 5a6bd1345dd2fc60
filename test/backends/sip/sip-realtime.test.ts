import { afterEach, describe, expect, it } from 'vitest';
import { SIPVoiceBackend } from '../../../src/backends/sip/index.js';
import { RoomKit } from '../../../src/index.js';
import {
  MockRealtimeProvider,
  RealtimeVoiceChannel,
  SIPRealtimeTransport,
} from '../../../src/realtime/index.js';
import type { AudioFrame, VoiceSession } from '../../../src/voice/types.js';
import { eventually } from '../../conformance/backend.js';
import { powerAt, tone } from '../rtp/signal.js';
import { memoryLogger } from './helpers.js';
import { sippCaller } from './sipp.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('SIPRealtimeTransport: a phone call answered by a realtime model', () => {
  it('adopts the call, resamples both ways, pre-buffers and paces the model audio to the phone', async () => {
    const logger = memoryLogger();
    const kit = new RoomKit({ logger });
    cleanup.push(() => kit.close());
    const sip = new SIPVoiceBackend({
      host: '127.0.0.1',
      port: 0,
      transports: ['udp'],
      logger,
      rtcpInterval: 0,
      roomId: 'rt',
      codecs: ['PCMU'],
    });
    const transport = new SIPRealtimeTransport({ backend: sip });
    const provider = new MockRealtimeProvider();
    kit.registerChannel(
      new RealtimeVoiceChannel('phone-rt', {
        provider,
        transport,
        inputSampleRate: 16000,
        outputSampleRate: 24000,
      }),
    );
    await kit.createRoom({ roomId: 'rt' });
    const echoed: AudioFrame[] = [];
    transport.onAudioReceived((_s, f) => echoed.push(f));
    const ports = await transport.listen();
    const call = sippCaller('uac-echo.xml', ports.udp!, cleanup, { extra: ['-rtp_echo'] });
    // The channel opened a provider session for the call on its own.
    await eventually(() => expect(provider.callsTo('connect')).toHaveLength(1), 5000);
    const session = kit.getChannel<RealtimeVoiceChannel>('phone-rt')!.sessions[0];
    await eventually(() => expect(session.state).toBe('active'));
    expect(transport.sampleRateFor(session.transportSession)).toBe(8000);
    // The model speaks 500 ms of a 600 Hz tone at 24 kHz: the phone gets it at 8 kHz, paced.
    provider.simulateAudio(session, tone(600, 24000, 12000));
    provider.simulateResponseEnd(session);
    // SIPp echoes what we sent; it goes up to the model too, resampled to 16 kHz.
    const ps = session.providerSession!;
    await eventually(
      () => expect(provider.sentAudio(ps).reduce((n, c) => n + c.length, 0)).toBeGreaterThan(16000 * 0.4),
      5000,
    );
    const result = await call;
    expect(result.code, result.errors).toBe(0);
    // What came back is the model's tone, at 8 kHz.
    const voiced = echoed.filter((f) => f.data.some((x) => Math.abs(x) > 1000));
    expect(voiced.length).toBeGreaterThanOrEqual(23);
    const back = new Int16Array(voiced.flatMap((f) => [...f.data]));
    expect(powerAt(back, 600, 8000)).toBeGreaterThan(powerAt(tone(600, 8000, 4000), 600, 8000) - 6);
  });

  it('holds the first 80 ms of each answer back, then paces; barge-in drops what is held', async () => {
    const sip = new SIPVoiceBackend({
      host: '127.0.0.1',
      port: 0,
      transports: ['udp'],
      logger: memoryLogger(),
      rtcpInterval: 0,
      roomId: 'rt',
      codecs: ['PCMU'],
    });
    const transport = new SIPRealtimeTransport({ backend: sip });
    cleanup.push(() => transport.close());
    const phone = new SIPVoiceBackend({
      host: '127.0.0.1',
      port: 0,
      transports: ['udp'],
      logger: memoryLogger(),
      rtcpInterval: 0,
    });
    cleanup.push(() => phone.close());
    const ready: VoiceSession[] = [];
    transport.onSessionReady((s) => ready.push(s));
    const { udp } = await transport.listen();
    await phone.dial(`sip:rt@127.0.0.1:${udp}`, { roomId: 'x' });
    await eventually(() => expect(ready).toHaveLength(1));
    const call = ready[0];
    const chunk = (ms: number) => ({
      data: new Uint8Array(8 * ms * 2).fill(7),
      sampleRate: 8000,
      channels: 1,
      format: 'pcm_s16le' as const,
    });
    await transport.sendAudio(call, chunk(40));
    expect(transport.isPlaying(call)).toBe(true); // held, not yet on the wire
    expect(sip.isPlaying(call)).toBe(false);
    await transport.sendAudio(call, chunk(40)); // 80 ms: the pre-buffer is full
    expect(sip.isPlaying(call)).toBe(true);
    transport.interrupt(call);
    expect(transport.isPlaying(call)).toBe(false);
    let played = 0;
    sip.onAudioPlayed(() => played++);
    await transport.sendAudio(call, chunk(20));
    transport.endOfResponse(call); // a short answer goes out at its end, not never
    await eventually(() => expect(played).toBe(1), 2000);
  });
});
