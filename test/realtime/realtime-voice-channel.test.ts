import { afterEach, describe, expect, it, vi } from 'vitest';
import { Access, HookResult, HookTrigger, ProviderError } from '../../src/index.js';
import { RealtimeConnectError } from '../../src/realtime/realtime-channel-types.js';
import type { RealtimeSession } from '../../src/realtime/session.js';
import { MockRealtimeProvider } from '../../src/testing/mock-realtime-provider.js';
import { MockRealtimeTransport } from '../../src/testing/mock-realtime-transport.js';
import { ManualClock } from '../../src/voice/pacer.js';
import type { BargeInEvent } from '../../src/voice/voice-hooks.js';
import { concat, deferred, type RealtimeRig, realtimeRig, toneFrames } from './helpers.js';

let rig: RealtimeRig | undefined;
afterEach(async () => {
  await rig?.kit.close();
  rig = undefined;
});

const audioCalls = (r: RealtimeRig, ps: RealtimeSession) => r.provider.callsTo('sendAudio', ps).length;

/** A mock provider whose connect waits until released. */
class SlowProvider extends MockRealtimeProvider {
  gate = deferred();
  protected override async open(session: RealtimeSession) {
    await this.gate.promise;
    return super.open(session);
  }
}

describe('RealtimeVoiceChannel sessions', () => {
  it('connects with the channel config and per-session overrides, then ends cleanly once', async () => {
    rig = await realtimeRig({
      systemPrompt: 'Be brief.',
      voice: 'alloy',
      temperature: 0.5,
      providerConfig: { a: 1 },
    });
    const started: string[] = [];
    const ended: string[] = [];
    rig.kit.hook(HookTrigger.ON_SESSION_STARTED, (p) => void started.push(p.session.id));
    rig.kit.hook(HookTrigger.ON_SESSION_ENDED, (p) => void ended.push(p.reason));
    const s = await rig.channel.startSession('room-1', 'user-1', {
      voice: 'echo',
      providerConfig: { b: 2 },
      metadata: { systemPrompt: 'From metadata.' },
    });
    expect(s.state).toBe('active');
    expect(s.channelId).toBe('voice');
    expect(rig.provider.callsTo('connect')[0].args[0]).toEqual({
      systemPrompt: 'From metadata.',
      voice: 'echo',
      tools: [],
      temperature: 0.5,
      inputSampleRate: 16000,
      outputSampleRate: 24000,
      providerConfig: { a: 1, b: 2 },
    });
    await rig.kit.waitForIdle();
    expect(started).toEqual([s.id]);
    await rig.channel.endSession(s.id);
    await rig.channel.endSession(s.id);
    expect(s.state).toBe('ended');
    expect(s.providerSession?.state).toBe('ended');
    expect(rig.transport.callsOf('disconnect')).toHaveLength(1);
    expect(rig.provider.callsTo('disconnect')).toHaveLength(1);
    await rig.kit.waitForIdle();
    expect(ended).toEqual(['ended']);
    expect(rig.channel.sessions).toEqual([]);
  });

  it('a failing provider connect rejects with a typed error and leaves nothing open', async () => {
    rig = await realtimeRig();
    const cause = new ProviderError('mock', 'quota exceeded', { status: 429 });
    rig.provider.failNextConnect = cause;
    const err = await rig.channel.startSession('room-1', 'user-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RealtimeConnectError);
    expect(err).toMatchObject({ code: 'realtime_connect_failed', stage: 'provider', cause, retryable: true });
    expect((err as Error).message).toContain('quota exceeded');
    expect(rig.transport.callsOf('disconnect')).toHaveLength(1);
    expect(rig.transport.listSessions('room-1')).toEqual([]);
    expect(rig.channel.sessions).toEqual([]);
    expect(rig.provider.sessions).toEqual([]);
  });

  it('buffers caller audio while connecting and flushes it in order once the provider is up', async () => {
    const provider = new SlowProvider();
    rig = await realtimeRig({ provider });
    const starting = rig.channel.startSession('room-1', 'user-1');
    await vi.waitFor(() => expect(rig!.channel.sessions).toHaveLength(1));
    const s = rig.channel.sessions[0];
    expect(s.state).toBe('connecting');
    const frames = toneFrames(60, 16000);
    for (const f of frames) await rig.transport.simulateAudioReceived(s.transportSession, f);
    expect(provider.callsTo('sendAudio')).toEqual([]);
    provider.gate.resolve();
    await starting;
    expect(s.state).toBe('active');
    expect(concat(provider.sentAudio(s.providerSession!))).toEqual(concat(frames));
  });

  it('ending a session while it connects rejects the start and closes the late provider session', async () => {
    const provider = new SlowProvider();
    rig = await realtimeRig({ provider });
    const starting = rig.channel.startSession('room-1', 'user-1').catch((e: unknown) => e);
    await vi.waitFor(() => expect(rig!.channel.sessions).toHaveLength(1));
    await rig.channel.endSession(rig.channel.sessions[0].id);
    provider.gate.resolve();
    expect(await starting).toMatchObject({ stage: 'cancelled' });
    expect(provider.callsTo('disconnect')).toHaveLength(1);
    expect(provider.sessions).toEqual([]);
  });

  it('adopts a connection the transport announces on its own, and only once for its own sessions', async () => {
    rig = await realtimeRig({
      transport: new MockRealtimeTransport({ playbackRealtime: false, readyOnConnect: true }),
    });
    await rig.channel.startSession('room-1', 'user-1');
    await new Promise((r) => setImmediate(r));
    expect(rig.provider.callsTo('connect')).toHaveLength(1);
    const incoming = await rig.transport.connect('room-1', 'caller', 'voice');
    await vi.waitFor(() => expect(rig!.channel.getSession(incoming.id)?.state).toBe('active'));
    expect(rig.channel.getSession(incoming.id)?.participantId).toBe('caller');
    expect(rig.provider.callsTo('connect')).toHaveLength(2);
  });

  it('a client that hangs up ends the session without disconnecting the transport again', async () => {
    rig = await realtimeRig();
    const s = await rig.channel.startSession('room-1', 'user-1');
    await rig.transport.simulateClientDisconnected(s.transportSession);
    await vi.waitFor(() => expect(s.state).toBe('ended'));
    expect(s.endReason).toBe('client_disconnected');
    expect(rig.transport.callsOf('disconnect')).toEqual([]);
    expect(rig.provider.callsTo('disconnect')).toHaveLength(1);
  });
});

describe('RealtimeVoiceChannel audio', () => {
  it('checks the binding on every inbound frame: muted, read-only and no access drop it', async () => {
    rig = await realtimeRig();
    const s = await rig.channel.startSession('room-1', 'user-1');
    const ps = s.providerSession!;
    const frame = toneFrames(20, 16000)[0];
    const send = () => rig!.transport.simulateAudioReceived(s.transportSession, frame);
    await send();
    expect(audioCalls(rig, ps)).toBe(1);
    await rig.kit.mute('room-1', 'voice');
    await send();
    expect(audioCalls(rig, ps)).toBe(1);
    await rig.kit.unmute('room-1', 'voice');
    await send();
    expect(audioCalls(rig, ps)).toBe(2);
    await rig.kit.setAccess('room-1', 'voice', Access.READ_ONLY);
    await send();
    await rig.kit.setAccess('room-1', 'voice', Access.NONE);
    await send();
    expect(audioCalls(rig, ps)).toBe(2);
    await rig.kit.setAccess('room-1', 'voice', Access.READ_WRITE);
    await send();
    expect(audioCalls(rig, ps)).toBe(3);
  });

  it('resamples both ways only when rates differ, per session', async () => {
    const clock = new ManualClock();
    rig = await realtimeRig({
      transport: new MockRealtimeTransport({ sampleRate: 8000, playbackRealtime: false }),
      pacer: { clock },
    });
    const s = await rig.channel.startSession('room-1', 'user-1');
    const ps = s.providerSession!;
    for (const f of toneFrames(100, 8000)) await rig.transport.simulateAudioReceived(s.transportSession, f);
    const up = concat(rig.provider.sentAudio(ps)).length;
    expect(up).toBeGreaterThan(1600 * 0.95);
    expect(up).toBeLessThanOrEqual(1600);
    rig.provider.simulateAudio(
      ps,
      toneFrames(100, 24000).reduce((a, b) => concat([a, b])),
      { itemId: 'i1' },
    );
    rig.provider.simulateResponseEnd(ps);
    clock.advance(200);
    const down = rig.transport.sentPcm(s.transportSession).length;
    expect(down).toBeGreaterThan(800 * 0.95);
    expect(down).toBeLessThanOrEqual(800);
    // Same rates: the caller's samples reach the provider untouched.
    const same = await realtimeRig({ transport: new MockRealtimeTransport({ sampleRate: 16000 }) });
    try {
      const s2 = await same.channel.startSession('room-1', 'user-2');
      const frames = toneFrames(40, 16000);
      for (const f of frames) await same.transport.simulateAudioReceived(s2.transportSession, f);
      expect(concat(same.provider.sentAudio(s2.providerSession!))).toEqual(concat(frames));
    } finally {
      await same.kit.close();
    }
  });

  it('fires input and output level hooks about ten times a second of audio', async () => {
    const clock = new ManualClock();
    rig = await realtimeRig({ pacer: { clock } });
    const levels = { in: [] as number[], out: [] as number[] };
    rig.kit.hook(HookTrigger.ON_INPUT_AUDIO_LEVEL, (p) => void levels.in.push(p.levelDb));
    rig.kit.hook(HookTrigger.ON_OUTPUT_AUDIO_LEVEL, (p) => void levels.out.push(p.levelDb));
    const s = await rig.channel.startSession('room-1', 'user-1');
    for (const f of toneFrames(1000, 16000)) await rig.transport.simulateAudioReceived(s.transportSession, f);
    for (const f of toneFrames(500, 24000)) rig.provider.simulateAudio(s.providerSession!, f);
    await rig.kit.waitForIdle();
    expect(levels.in).toHaveLength(10);
    expect(levels.out).toHaveLength(5);
    expect(Math.min(...levels.in)).toBeGreaterThan(-20);
  });

  it('barge-in stops playback at once, reports the heard position and drops the rest of the item', async () => {
    const clock = new ManualClock();
    rig = await realtimeRig({
      transport: new MockRealtimeTransport({ sampleRate: 24000, playbackRealtime: false }),
      pacer: { clock },
    });
    const bargeIns: BargeInEvent[] = [];
    rig.kit.hook(HookTrigger.ON_BARGE_IN, (p) => void bargeIns.push(p));
    const s = await rig.channel.startSession('room-1', 'user-1');
    const ps = s.providerSession!;
    rig.provider.simulateResponseStart(ps);
    rig.provider.simulateTranscription(ps, 'Once upon', { role: 'assistant', isFinal: false });
    rig.provider.simulateAudio(ps, concat(toneFrames(400, 24000)), { itemId: 'item-1' });
    clock.advance(30);
    const sentBefore = rig.transport.callsOf('sendAudio').length;
    expect(sentBefore).toBeGreaterThan(0);
    rig.provider.simulateInterruption(ps, { itemId: 'item-1' });
    expect(rig.transport.callsOf('interrupt')).toHaveLength(1);
    expect(rig.provider.callsTo('interrupt')[0].args[0]).toEqual({ itemId: 'item-1', playedMs: 30 });
    rig.provider.simulateAudio(ps, concat(toneFrames(100, 24000)), { itemId: 'item-1' }); // late
    clock.advance(1000);
    expect(rig.transport.callsOf('sendAudio').length).toBe(sentBefore);
    await rig.kit.waitForIdle();
    expect(bargeIns).toEqual([
      expect.objectContaining({ session: s, audioPositionMs: 30, interruptedText: 'Once upon' }),
    ]);
    // The next answer plays from the start.
    rig.provider.simulateAudio(ps, concat(toneFrames(40, 24000)), { itemId: 'item-2' });
    rig.provider.simulateResponseEnd(ps);
    clock.advance(100);
    expect(rig.transport.callsOf('sendAudio').length).toBeGreaterThan(sentBefore);
    // Without reportPlayedPosition the provider is not told.
    rig.provider.simulateInterruption(ps, { itemId: 'item-2', reportPlayedPosition: false });
    expect(rig.provider.callsTo('interrupt')).toHaveLength(1);
  });

  it('a new answer arriving while the previous one still plays is queued behind it, not lost', async () => {
    const clock = new ManualClock();
    rig = await realtimeRig({
      transport: new MockRealtimeTransport({ sampleRate: 24000, playbackRealtime: false }),
      pacer: { clock },
    });
    const s = await rig.channel.startSession('room-1', 'user-1');
    const ps = s.providerSession!;
    rig.provider.simulateAudio(ps, concat(toneFrames(100, 24000)), { itemId: 'a' });
    rig.provider.simulateResponseEnd(ps);
    rig.provider.simulateAudio(ps, concat(toneFrames(100, 24000)), { itemId: 'b' });
    rig.provider.simulateResponseEnd(ps);
    clock.advance(150);
    expect(rig.transport.sentPcm(s.transportSession).length).toBe(2400);
    await Promise.resolve(); // the first answer's drain settles, the second starts
    clock.advance(500);
    expect(rig.transport.sentPcm(s.transportSession).length).toBe(4800);
    await Promise.resolve();
    expect(rig.transport.callsOf('endOfResponse')).toHaveLength(1);
  });
});

describe('RealtimeVoiceChannel room text', () => {
  it('final transcripts become room events from the caller and the assistant; partials only fire hooks', async () => {
    rig = await realtimeRig();
    const partials: string[] = [];
    rig.kit.hook(HookTrigger.ON_PARTIAL_TRANSCRIPTION, (p) => void partials.push(`${p.role}:${p.text}`));
    const s = await rig.channel.startSession('room-1', 'user-1');
    const ps = s.providerSession!;
    rig.provider.simulateTranscription(ps, 'what is', { isFinal: false });
    rig.provider.simulateTranscription(ps, 'what is the weather');
    rig.provider.simulateTranscription(ps, 'It is sunny.', { role: 'assistant' });
    await rig.kit.waitForIdle();
    expect(partials).toEqual(['user:what is']);
    expect(rig.inbox.texts()).toEqual(['what is the weather', 'It is sunny.']);
    expect(rig.inbox.got[0].source).toMatchObject({
      channelId: 'voice',
      channelType: 'realtime_voice',
      participantId: 'user-1',
    });
    expect(rig.inbox.got[0].metadata).toMatchObject({ role: 'user', realtimeSessionId: s.id });
    expect(rig.inbox.got[1].source.participantId).toBe('assistant');
    expect(rig.inbox.got[1].metadata.role).toBe('assistant');
    expect(rig.transport.sentTranscriptions.get(s.id)).toEqual([
      { text: 'what is the weather', role: 'user' },
      { text: 'It is sunny.', role: 'assistant' },
    ]);
    // The channel's own transcripts never go back to the model as text.
    expect(rig.provider.callsTo('sendText')).toEqual([]);
  });

  it('ON_TRANSCRIPTION can rewrite or block a final before it is stored', async () => {
    rig = await realtimeRig();
    rig.kit.hook(HookTrigger.ON_TRANSCRIPTION, (p) =>
      p.text.includes('secret')
        ? HookResult.block('pii')
        : HookResult.modify({ ...p, text: p.text.toUpperCase() }),
    );
    const s = await rig.channel.startSession('room-1', 'user-1');
    rig.provider.simulateTranscription(s.providerSession!, 'my secret is 42');
    rig.provider.simulateTranscription(s.providerSession!, 'hello');
    await rig.kit.waitForIdle();
    expect(rig.inbox.texts()).toEqual(['HELLO']);
    expect((await rig.kit.store.listEvents('room-1')).map((e) => (e.content as any).body)).not.toContain(
      'my secret is 42',
    );
  });

  it('emitTranscriptionEvents: false keeps transcripts out of the room', async () => {
    rig = await realtimeRig({ emitTranscriptionEvents: false });
    const s = await rig.channel.startSession('room-1', 'user-1');
    rig.provider.simulateTranscription(s.providerSession!, 'hello');
    await rig.kit.waitForIdle();
    expect(rig.inbox.got).toEqual([]);
    expect(rig.transport.sentTranscriptions.get(s.id)).toEqual([{ text: 'hello', role: 'user' }]);
  });

  it('text from another channel in the room reaches the model; text queued while connecting follows', async () => {
    const provider = new SlowProvider();
    provider.gate.resolve();
    rig = await realtimeRig({ provider });
    const s = await rig.channel.startSession('room-1', 'user-1');
    await rig.kit.processInbound({
      channelId: 'inbox',
      roomId: 'room-1',
      senderId: 'typist',
      content: { type: 'text', body: 'I typed this' },
    });
    expect(provider.callsTo('sendText', s.providerSession!)[0].args).toEqual(['I typed this']);
    provider.gate = deferred();
    const starting = rig.channel.startSession('room-1', 'user-2');
    await vi.waitFor(() => expect(rig!.channel.sessions).toHaveLength(2));
    await rig.kit.processInbound({
      channelId: 'inbox',
      roomId: 'room-1',
      senderId: 'typist',
      content: { type: 'text', body: 'second' },
    });
    provider.gate.resolve();
    const s2 = await starting;
    await vi.waitFor(() =>
      expect(provider.callsTo('sendText', s2.providerSession!).map((c) => c.args[0])).toEqual(['second']),
    );
  });
});
