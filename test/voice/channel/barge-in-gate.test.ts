import { afterEach, describe, expect, it } from 'vitest';
import { Access, HookTrigger } from '../../../src/index.js';
import type { BargeInEvent } from '../../../src/voice/voice-hooks.js';
import { quietFrame, say, speechFrame, until, type VoiceRig, voiceRig } from './helpers.js';

let rig: VoiceRig | undefined;
afterEach(async () => {
  await rig?.kit.close();
  rig = undefined;
});

const LONG =
  'This reply is long enough to take a couple of seconds to play out at ten milliseconds a letter.';
const sendCalls = (r: VoiceRig) => r.backend.callsOf('sendAudio', r.session).length;

/** Get the assistant talking, then return once a few frames have gone out. */
async function startTalking(r: VoiceRig) {
  await say(r.backend, r.session, 12);
  await until(() => expect(sendCalls(r)).toBeGreaterThan(3));
}

describe('barge-in', () => {
  it('user speech during TTS cancels playback within one frame and reports what was heard', async () => {
    rig = await voiceRig({ replies: [LONG] });
    const r = rig;
    const events: BargeInEvent[] = [];
    r.kit.hook(HookTrigger.ON_BARGE_IN, (p: BargeInEvent) => void events.push(p));
    let sentAtBargeIn = -1;
    r.kit.hook(HookTrigger.ON_BARGE_IN, () => {
      sentAtBargeIn = sendCalls(r);
    });
    await startTalking(r);
    for (let i = 0; i < 6; i++) await r.backend.simulateAudioReceived(r.session, speechFrame());
    await until(() => expect(events).toHaveLength(1));
    const totalMs = r.tts.calls[0]!.chunks * 20;
    expect(events[0]!.audioPositionMs).toBeGreaterThan(0);
    expect(events[0]!.audioPositionMs).toBeLessThan(totalMs);
    expect(events[0]!.interruptedText).toBe(LONG);
    expect(Date.parse(events[0]!.timestamp)).not.toBeNaN();
    expect(r.trace).toContain('on_tts_cancelled');
    expect(r.backend.callsOf('interrupt', r.session)).toHaveLength(1);
    // Nothing more is sent once the barge-in fired (at most the frame already in flight).
    await new Promise((res) => setTimeout(res, 150));
    expect(sendCalls(r) - sentAtBargeIn).toBeLessThanOrEqual(1);
    expect(r.trace).not.toContain('after_tts');
  });

  it("barge-in aborts the reply's synthesis with the reason, and leaves Error.stackTraceLimit as it was", async () => {
    rig = await voiceRig({ replies: [LONG] });
    const r = rig;
    const signals: AbortSignal[] = [];
    const synthesize = r.tts.synthesizeStream.bind(r.tts);
    r.tts.synthesizeStream = (text, opts = {}) => {
      if (opts.signal) signals.push(opts.signal);
      return synthesize(text, opts);
    };
    const limit = Error.stackTraceLimit;
    await startTalking(r);
    for (let i = 0; i < 6; i++) await r.backend.simulateAudioReceived(r.session, speechFrame());
    await until(() => expect(signals[0]?.aborted).toBe(true));
    expect(signals[0]!.reason).toBeInstanceOf(Error);
    expect((signals[0]!.reason as Error).message).toBe('barge_in');
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it('a streamed reply is captioned as it starts playing; barge-in leaves the started text as final', async () => {
    // Synthesis keeps pace with playback, so the reply's caption must not wait for it to end.
    const reply = 'This first sentence takes a while to say out loud. The second one is still to come.';
    rig = await voiceRig({ replies: [reply], streamingAi: true });
    const r = rig;
    const events: BargeInEvent[] = [];
    r.kit.hook(HookTrigger.ON_BARGE_IN, (p: BargeInEvent) => void events.push(p));
    const captions = () =>
      r.backend
        .callsOf('sendTranscription', r.session)
        .map((c) => c.args as { text: string; role: string; isFinal: boolean })
        .filter((c) => c.role === 'assistant');
    await startTalking(r);
    expect(captions().length).toBeGreaterThan(0);
    expect(captions()[0]).toMatchObject({ isFinal: false });
    expect(captions()[0]!.text).toMatch(/^This first sentence/);
    for (let i = 0; i < 6; i++) await r.backend.simulateAudioReceived(r.session, speechFrame());
    await until(() => expect(events).toHaveLength(1));
    await until(() => expect(captions().at(-1)?.isFinal).toBe(true));
    const final = captions().at(-1)!;
    expect(final.text).toMatch(/^This first sentence/);
    expect(final.text).toBe(events[0]!.interruptedText);
    expect(captions().filter((c) => c.isFinal)).toHaveLength(1);
  });

  it('a streamed reply played to the end gets one final caption with its whole text', async () => {
    const reply = 'Short and sweet. Then done.';
    rig = await voiceRig({ replies: [reply], streamingAi: true });
    const r = rig;
    await say(r.backend, r.session, 12);
    await until(() => expect(r.trace).toContain('after_tts'), 8000);
    const captions = r.backend
      .callsOf('sendTranscription', r.session)
      .map((c) => c.args as { text: string; role: string; isFinal: boolean })
      .filter((c) => c.role === 'assistant');
    expect(captions.filter((c) => c.isFinal).map((c) => c.text)).toEqual([reply]);
    expect(captions[0]!.isFinal).toBe(false);
  });

  it('speech below the VAD threshold does not interrupt', async () => {
    rig = await voiceRig({ replies: [LONG] });
    await startTalking(rig);
    for (let i = 0; i < 10; i++) await rig.backend.simulateAudioReceived(rig.session, speechFrame(200));
    await until(() => expect(rig!.trace).toContain('after_tts'), 8000);
    expect(rig.trace).not.toContain('on_barge_in');
  });

  it('disabled interruption never interrupts', async () => {
    rig = await voiceRig({ replies: [LONG], interruption: { mode: 'disabled' } });
    await startTalking(rig);
    for (let i = 0; i < 10; i++) await rig.backend.simulateAudioReceived(rig.session, speechFrame());
    await until(() => expect(rig!.trace).toContain('after_tts'), 8000);
    expect(rig.trace).not.toContain('on_barge_in');
  });

  it('after_ms waits for sustained speech before interrupting', async () => {
    rig = await voiceRig({ replies: [LONG], interruption: { mode: 'after_ms', ms: 250 } });
    const r = rig;
    await startTalking(r);
    // A short burst (VAD start needs 60 ms) that ends quickly: no interruption.
    for (let i = 0; i < 5; i++) await r.backend.simulateAudioReceived(r.session, speechFrame());
    for (let i = 0; i < 12; i++) await r.backend.simulateAudioReceived(r.session, quietFrame());
    expect(r.trace).not.toContain('on_barge_in');
    // Now keep talking for longer than 250 ms of wall time. The bound is generous (a loaded
    // machine may send few frames in 400 ms); the loop ends as soon as the barge-in comes.
    const started = performance.now();
    const deadline = started + 5000;
    while (performance.now() < deadline && !r.trace.includes('on_barge_in')) {
      await r.backend.simulateAudioReceived(r.session, speechFrame());
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(r.trace).toContain('on_barge_in');
    // Not before the speech had lasted 250 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
  });
});

describe('binding gate on every frame', () => {
  it('muted or read-only voice input is dropped; changes apply on the next frame', async () => {
    rig = await voiceRig({ transcripts: ['heard after unmute'] });
    await rig.kit.mute('call', 'phone');
    await say(rig.backend, rig.session, 12);
    await rig.kit.setAccess('call', 'phone', Access.READ_ONLY);
    await rig.kit.unmute('call', 'phone');
    await say(rig.backend, rig.session, 12);
    expect(rig.stt.calls).toHaveLength(0);
    expect(rig.trace).not.toContain('on_speech_start');
    await rig.kit.setAccess('call', 'phone', Access.READ_WRITE);
    await say(rig.backend, rig.session, 12);
    await until(() => expect(rig!.text.texts()).toContain('heard after unmute'));
    expect(rig.stt.calls).toHaveLength(1);
  });
});
