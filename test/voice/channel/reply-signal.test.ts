/**
 * A session's replies share one AbortSignal until one is interrupted: a signal costs about
 * 1 KB that lives as long as the reply plays. The sharing must never let an interrupted reply's
 * abort reach the next one, nor pile up listeners a provider left behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RoomKit } from '../../../src/index.js';
import { MockSTTProvider, MockTTSProvider } from '../../../src/testing/index.js';
import type { TTSOptions } from '../../../src/voice/index.js';
import { MockVoiceBackend, VoiceChannel, type VoiceSession } from '../../../src/voice/index.js';
import { silent, until } from './helpers.js';

/** Records the signal each reply's synthesis gets; optionally leaves an abort listener on it. */
class SignalTTS extends MockTTSProvider {
  readonly signals: AbortSignal[] = [];
  leaveListener = false;

  override async *synthesizeStream(text: string, opts: TTSOptions = {}) {
    this.signals.push(opts.signal!);
    if (this.leaveListener) opts.signal?.addEventListener('abort', () => {});
    yield* super.synthesizeStream(text, opts);
  }
}

let kit: RoomKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

async function rig(msPerChar = 5): Promise<{ voice: VoiceChannel; tts: SignalTTS; session: VoiceSession }> {
  kit = new RoomKit({ logger: silent });
  const tts = new SignalTTS({ msPerChar });
  const voice = new VoiceChannel('phone', {
    stt: new MockSTTProvider(),
    tts,
    backend: new MockVoiceBackend({ playbackRealtime: false }),
  });
  kit.registerChannel(voice);
  await kit.createRoom({ roomId: 'call' });
  const session = await kit.connectVoice('call', 'caller', 'phone');
  return { voice, tts, session };
}

describe('reply signals', () => {
  it('replies that play to the end share one signal, never aborted', async () => {
    const { voice, tts, session } = await rig();
    const rt = voice.getRuntime(session.id)!;
    await rt.speak('First.');
    await rt.speak('Second.');
    expect(tts.signals).toHaveLength(2);
    expect(tts.signals[1]).toBe(tts.signals[0]);
    expect(tts.signals[1]!.aborted).toBe(false);
  });

  it('an interrupted reply aborts its synthesis; the next reply gets a fresh signal', async () => {
    const { voice, tts, session } = await rig(40);
    const rt = voice.getRuntime(session.id)!;
    const long = rt.speak('A long answer that takes a few seconds to say.');
    await until(() => expect(tts.calls[0]?.chunks ?? 0).toBeGreaterThan(0));
    expect(voice.interrupt(session)).toBe(true);
    await long;
    expect(tts.signals[0]!.aborted).toBe(true);
    expect(tts.calls[0]!.aborted).toBe(true);
    await rt.speak('Next.');
    expect(tts.signals[1]).not.toBe(tts.signals[0]);
    expect(tts.signals[1]!.aborted).toBe(false);
    expect(tts.calls[1]!.aborted).toBe(false);
  });

  it('a signal a provider left a listener on is not handed to the next reply', async () => {
    const { voice, tts, session } = await rig();
    const rt = voice.getRuntime(session.id)!;
    tts.leaveListener = true;
    for (let i = 0; i < 12; i++) await rt.speak(`Reply ${i}.`);
    // Twelve replies, twelve signals: none collects the listeners of the replies before it
    // (Node warns of a leak past ten listeners on one signal).
    expect(new Set(tts.signals).size).toBe(12);
  });
});
