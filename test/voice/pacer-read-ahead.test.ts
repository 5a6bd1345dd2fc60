/**
 * Replies are synthesised as they play: the producer pulls the next chunk once the pacer
 * runs low (whenQueuedBelow), so a burst of replies starting together costs their first
 * frames, not their whole audio, up front.
 */
import { describe, expect, it } from 'vitest';
import { AIChannel, ChannelCategory, RoomKit } from '../../src/index.js';
import { MockAIProvider, MockSTTProvider, MockTTSProvider } from '../../src/testing/index.js';
import { ManualClock, OutboundPacer } from '../../src/voice/pacer.js';
import { EnergyVADProvider, MockVoiceBackend, VoiceChannel } from '../../src/voice/index.js';
import { silent, speechFrame, quietFrame, until } from './channel/helpers.js';

describe('OutboundPacer read-ahead', () => {
  it('whenQueuedBelow resolves once sending has drained the queue below the level', async () => {
    const clock = new ManualClock();
    const pacer = new OutboundPacer({ sampleRate: 16000, clock, leadMs: 0, send: () => {} });
    pacer.push(new Int16Array(320 * 10)); // 200 ms, one frame sent at once
    let resolved = false;
    void pacer.whenQueuedBelow(100).then(() => {
      resolved = true;
    });
    clock.advance(60);
    await Promise.resolve();
    expect(resolved).toBe(false);
    clock.advance(60); // 6 frames out: 80 ms left
    await Promise.resolve();
    expect(resolved).toBe(true);
    expect(pacer.queuedMs).toBeLessThan(100);
  });

  it('whenQueuedBelow resolves on interrupt, and at once when already below', async () => {
    const clock = new ManualClock();
    const pacer = new OutboundPacer({ sampleRate: 16000, clock, send: () => {} });
    await pacer.whenQueuedBelow(100); // nothing queued
    pacer.push(new Int16Array(16000));
    const waiting = pacer.whenQueuedBelow(100);
    pacer.interrupt();
    await waiting;
    expect(pacer.state).toBe('interrupted');
  });

  it('keeps an owned buffer as it is and copies one that is not', () => {
    const clock = new ManualClock();
    const sent: Int16Array[] = [];
    const pacer = new OutboundPacer({ sampleRate: 16000, clock, send: (f) => sent.push(f.data) });
    const owned = new Int16Array(320).fill(7);
    const lent = new Int16Array(320).fill(9);
    pacer.push(owned, true);
    pacer.push(lent);
    lent.fill(0); // the lender reuses its buffer
    expect(sent[0]).toBe(owned);
    expect(sent[1][0]).toBe(9);
  });
});

describe('VoiceChannel synthesis follows playback', () => {
  it('pulls the TTS stream a few frames ahead of what has played, not all at once', async () => {
    const clock = new ManualClock();
    const kit = new RoomKit({ logger: silent });
    const backend = new MockVoiceBackend({ playbackRealtime: false });
    const tts = new MockTTSProvider({ msPerChar: 40 }); // 'It is sunny.' -> 400 ms, 20 chunks
    kit.registerChannel(
      new VoiceChannel('phone', {
        stt: new MockSTTProvider({ transcripts: ['weather?'] }),
        tts,
        backend,
        clock,
        pipeline: { vad: new EnergyVADProvider({ threshold: 300, minSpeechMs: 60, silenceMs: 200 }) },
      }),
    );
    kit.registerChannel(
      new AIChannel('ai', { provider: new MockAIProvider({ responses: ['It is sunny.'] }) }),
    );
    await kit.createRoom({ roomId: 'call' });
    await kit.attachChannel('call', 'ai', { category: ChannelCategory.INTELLIGENCE });
    const session = await kit.connectVoice('call', 'caller', 'phone');
    for (let i = 0; i < 10; i++) await backend.simulateAudioReceived(session, speechFrame());
    for (let i = 0; i < 15; i++) await backend.simulateAudioReceived(session, quietFrame());
    await until(() => expect(tts.calls[0]?.chunks ?? 0).toBeGreaterThan(0));
    await new Promise((r) => setTimeout(r, 50)); // plenty of loop turns for an eager reader
    const pulledAtStart = tts.calls[0].chunks;
    expect(pulledAtStart).toBeLessThanOrEqual(8);
    for (let i = 0; i < 10; i++) {
      clock.advance(20);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(tts.calls[0].chunks).toBeGreaterThan(pulledAtStart);
    for (let i = 0; i < 40; i++) {
      clock.advance(20);
      await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => expect(tts.calls[0].chunks).toBe(20));
    await kit.close();
  });
});
