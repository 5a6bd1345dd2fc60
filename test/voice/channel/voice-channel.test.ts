import { afterEach, describe, expect, it } from 'vitest';
import { HookResult, HookTrigger } from '../../../src/index.js';
import type { TranscriptionPayload, TTSPayload } from '../../../src/voice/voice-hooks.js';
import { say, speechFrame, until, type VoiceRig, voiceRig } from './helpers.js';

let rig: VoiceRig | undefined;
afterEach(async () => {
  await rig?.kit.close();
  rig = undefined;
});

const sentBytes = (r: VoiceRig) => r.backend.sentBytes(r.session).byteLength;

describe('VoiceChannel: a full turn with mocks', () => {
  it('speech -> STT -> room event -> AI -> TTS -> backend, hooks in order, text channels see both', async () => {
    rig = await voiceRig();
    const metrics: string[] = [];
    rig.kit.on('metric', (m) => metrics.push(m.name));
    await say(rig.backend, rig.session, 12);
    await until(() => expect(rig!.trace).toContain('after_tts'));
    await until(() => expect(rig!.trace).toContain('on_turn_complete'));
    expect(rig.trace.filter((t) => t !== 'on_turn_complete')).toEqual([
      'on_session_started',
      'on_speech_start',
      'on_speech_end',
      'on_transcription',
      'before_tts',
      'after_tts',
    ]);
    expect(rig.stt.calls[0]).toMatchObject({ method: 'transcribe', sampleRate: 16000 });
    expect(rig.tts.calls[0]).toMatchObject({ text: 'It is sunny.' });
    // Every 20 ms chunk the TTS produced reached the transport, byte for byte.
    expect(rig.tts.calls[0]!.chunks).toBeGreaterThan(2);
    expect(sentBytes(rig)).toBe(rig.tts.calls[0]!.chunks * 20 * 16 * 2);
    expect(rig.text.texts()).toEqual(['what is the weather', 'It is sunny.']);
    const events = await rig.kit.store.listEvents('call');
    expect(events.map((e) => [e.source.channelId, e.source.participantId])).toEqual([
      ['phone', 'caller'],
      ['ai', undefined],
    ]);
    expect(metrics).toEqual([
      'voice.user_stop_to_transcript_final',
      'voice.user_stop_to_first_token',
      'voice.user_stop_to_first_tts_audio',
      'voice.user_stop_to_first_frame_sent',
    ]);
  });

  it('ON_TRANSCRIPTION can rewrite the transcript', async () => {
    rig = await voiceRig({ transcripts: ['my card is 4111 1111 1111 1111'] });
    rig.kit.hook(HookTrigger.ON_TRANSCRIPTION, (p: TranscriptionPayload) =>
      HookResult.modify({ ...p, text: p.text.replace(/\d{4} \d{4} \d{4} (\d{4})/, '**** $1') }),
    );
    await say(rig.backend, rig.session, 12);
    await until(() => expect(rig!.text.texts()[0]).toBe('my card is **** 1111'));
  });

  it('ON_TRANSCRIPTION can block: nothing reaches the room or the AI', async () => {
    rig = await voiceRig();
    let blocked = 0;
    rig.kit.hook(HookTrigger.ON_TRANSCRIPTION, () => {
      blocked++;
      return HookResult.block('off-topic');
    });
    await say(rig.backend, rig.session, 12);
    await until(() => expect(blocked).toBe(1));
    await rig.kit.waitForIdle();
    expect(await rig.kit.store.countEvents('call')).toBe(0);
    expect(rig.ai.calls).toHaveLength(0);
  });

  it('BEFORE_TTS is fail-closed: a throwing hook stops the speech, a blocking one too', async () => {
    rig = await voiceRig({ replies: ['first reply', 'second reply'], transcripts: ['one', 'two'] });
    let calls = 0;
    rig.kit.hook(HookTrigger.BEFORE_TTS, (p: TTSPayload) => {
      calls++;
      if (p.text === 'first reply') throw new Error('moderation service down');
      return HookResult.block('not allowed');
    });
    await say(rig.backend, rig.session, 12);
    await until(() => expect(calls).toBe(1));
    await say(rig.backend, rig.session, 12);
    await until(() => expect(calls).toBe(2));
    await rig.kit.waitForIdle();
    expect(rig.tts.calls).toHaveLength(0);
    expect(sentBytes(rig)).toBe(0);
    // The replies are still in the room for text channels.
    expect(rig.text.texts()).toEqual(['one', 'first reply', 'two', 'second reply']);
  });

  it('streams AI tokens to TTS: speech starts before the reply is complete', async () => {
    rig = await voiceRig({
      streamingAi: true,
      replies: ['Sure. The weather today is sunny, with a light breeze from the west.'],
    });
    await say(rig.backend, rig.session, 12);
    await until(() => expect(rig!.trace).toContain('after_tts'));
    const call = rig.tts.calls[0]!;
    expect(call.method).toBe('synthesizeStreamInput');
    expect(call.text.replace(/\s+/g, ' ').trim()).toBe(
      'Sure. The weather today is sunny, with a light breeze from the west.',
    );
    // The final event of the streamed reply is not spoken a second time.
    await rig.kit.waitForIdle();
    expect(rig.tts.calls).toHaveLength(1);
  });

  it('a streaming STT with turn detection drives the turn (partials, end of turn)', async () => {
    rig = await voiceRig({ streamingStt: true, transcripts: ['book a table for two'] });
    const partials: string[] = [];
    rig.kit.hook(
      HookTrigger.ON_PARTIAL_TRANSCRIPTION,
      (p: TranscriptionPayload) => void partials.push(p.text),
    );
    for (let i = 0; i < 15; i++) await rig.backend.simulateAudioReceived(rig.session, speechFrame());
    await until(() => expect(rig!.text.texts()[0]).toBe('book a table for two'));
    expect(rig.voice.turnTaking).toBe('stt');
    expect(partials.length).toBeGreaterThan(0);
  });
});
