import { afterEach, describe, expect, it } from 'vitest';
import type { AudioFrame } from '../../../src/voice/types.js';
import { eventually } from '../../conformance/backend.js';
import { sine } from '../../voice/audio/signals.js';
import { type RtcServer, startRtcServer } from './helpers.js';
import { TurnServer } from './turn-server.js';
import { WeriftClient } from './werift-client.js';

/** A WebRTC call relayed by a real TURN server (coturn on loopback), as behind a strict NAT. */
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('WebRTCVoiceBackend through TURN (coturn)', () => {
  it('with iceTransportPolicy relay it offers only a relayed candidate, and the call works through it', async () => {
    const turn = await TurnServer.start();
    closers.push(() => turn.close());
    const s: RtcServer = await startRtcServer({
      iceServers: [{ urls: turn.url, username: turn.username, credential: turn.credential }],
      iceTransportPolicy: 'relay',
      iceHostAddresses: [],
    });
    closers.push(() => s.close());
    const frames: AudioFrame[] = [];
    s.backend.onAudioReceived((_session, f) => frames.push(f));
    let answer = '';
    const c = await WeriftClient.connect({
      url: s.url,
      token: 'user:alice',
      roomId: 'r',
      transformAnswer: (sdp) => {
        answer = sdp;
        return sdp;
      },
    });
    closers.push(() => c.close());
    expect(answer).toMatch(/ 127\.0\.0\.1 4\d{4} typ relay/);
    expect(answer).not.toMatch(/typ host/);
    await c.waitMessage((m) => m.type === 'ready', 15_000);
    void c.streamPcm(sine(440, 48000, 600, 8000));
    await eventually(() => expect(frames.length).toBeGreaterThan(15), 5000);
  }, 30_000);
});
