import { nowIso } from '../core/ids.js';
import { HookTrigger } from '../models/index.js';
import { AsyncQueue } from '../providers/shared/async-queue.js';
import { cloneAudioFrame } from './audio/frames.js';
import { InterimTranscripts } from './interim-transcripts.js';
import { lendAudio } from './pipeline/lazy-audio.js';
import { TurnClock } from './turn-metrics.js';
import { sharedTurnScheduler } from './turn-scheduler.js';
import type { AudioFrame, STTStreamEvent, TranscriptionResult } from './types.js';
import type { VoiceChannel } from './voice-channel.js';
import type { BargeInEvent, PartialTranscriptionEvent, VADSilenceEvent } from './voice-hooks.js';
import type { VoiceSessionRuntime } from './voice-session-runtime.js';

/**
 * The user's side of the conversation: speech start/end, turn ends (VAD + batch STT, or a
 * streaming STT that decides), transcripts into the room, and barge-in over the reply.
 */
export class VoiceTurns {
  private readonly transcripts = new WeakMap<VoiceSessionRuntime, string>();
  private readonly streams = new Map<string, AsyncQueue<string>>();
  private readonly lastSpeechEnd = new WeakMap<VoiceSessionRuntime, number>();

  private readonly interim: InterimTranscripts;

  constructor(private readonly ch: VoiceChannel) {
    this.interim = new InterimTranscripts(
      ch.stt,
      (rt, text, isFinal) => this.interimTranscript(rt, text, isFinal),
      (rt, error) => ch.reportError(rt.session, 'stt', error),
    );
  }

  /** The session ended. */
  detach(rt: VoiceSessionRuntime): void {
    this.interim.close(rt);
  }

  attach(rt: VoiceSessionRuntime): void {
    const { pipeline, session } = rt;
    pipeline.on('speechStart', () => {
      if (this.gated(rt)) return;
      this.userStartedSpeaking(rt, 'vad');
      if (rt.isSpeaking && this.ch.turnTaking === 'vad') this.interim.start(rt);
    });
    pipeline.on('speechEnd', (e) => {
      // The VAD heard the pause that ended the utterance; with STT turn taking it may not end the turn.
      if (e.silenceMs !== undefined && !this.gated(rt)) {
        const event: VADSilenceEvent = { session, silenceDurationMs: e.silenceMs, timestamp: nowIso() };
        this.ch.fire(HookTrigger.ON_VAD_SILENCE, event, session);
      }
      this.speechEnded(rt, e, e.sampleRate, e.durationMs);
    });
    pipeline.on('dtmf', (e) => this.ch.fire(HookTrigger.ON_DTMF, { session, digit: e.digit }, session));
    // The pipeline's diarizer reports through the backend, like a diarizing transport would.
    pipeline.on('speakerChange', (e) => this.ch.backend.notifySpeakerChange(session, e.result));
    pipeline.on('audioLevel', (e) => {
      const trigger =
        e.direction === 'inbound' ? HookTrigger.ON_INPUT_AUDIO_LEVEL : HookTrigger.ON_OUTPUT_AUDIO_LEVEL;
      // Ten a second per direction per call: no payload (nor timestamp) for nobody.
      if (!this.ch.roomKit?.hooks.has(trigger)) return;
      const payload = { session, levelDb: e.levelDb, isSpeech: e.isSpeech, timestamp: nowIso() };
      this.ch.fire(trigger, payload, session, e.direction);
    });
    pipeline.on('error', (e) => this.ch.reportError(session, e.stage, e.error));
    if (this.ch.turnTaking === 'stt') void this.runStreamingStt(rt);
  }

  /** After the pipeline processed a frame: feed streaming STT, let barge-in watch the speech. */
  afterFrame(rt: VoiceSessionRuntime, frame: AudioFrame): void {
    // Gated input (primary-speaker mode) went through the pipeline for analysis only.
    if (this.gated(rt)) return;
    // The pipeline's frame is borrowed (its buffer is reused), the STT keeps its own copy.
    rt.sttFeed?.push(cloneAudioFrame(frame));
    if (this.ch.turnTaking === 'vad') this.interim.push(rt, frame);
    if (rt.userSpeaking && rt.isSpeaking && rt.strategy.onSpeechContinues(this.ch.clock.now()))
      this.bargeIn(rt);
  }

  userStartedSpeaking(rt: VoiceSessionRuntime | undefined, _source: 'vad' | 'stt' | 'backend'): void {
    if (!rt) return;
    if (!rt.userSpeaking) {
      rt.userSpeaking = true;
      this.ch.fire(HookTrigger.ON_SPEECH_START, { session: rt.session }, rt.session);
    }
    if (rt.isSpeaking && rt.strategy.onSpeechStart(this.ch.clock.now())) this.bargeIn(rt);
  }

  streamDelta(rt: VoiceSessionRuntime, delta: { streamId: string; text: string; done: boolean }): void {
    const key = `${rt.session.id}/${delta.streamId}`;
    let queue = this.streams.get(key);
    if (!queue) {
      if (delta.done) return;
      queue = new AsyncQueue<string>();
      this.streams.set(key, queue);
      rt.spokenStreams.add(delta.streamId);
      if (rt.turn?.mark('firstTokenMs')) this.ch.metric(rt, 'firstTokenMs');
      void rt.speak(queue);
    }
    if (delta.text) queue.push(delta.text);
    if (delta.done) {
      queue.end();
      this.streams.delete(key);
    }
  }

  private gated(rt: VoiceSessionRuntime): boolean {
    return this.ch.backend.isInputGated(rt.session);
  }

  lastTranscript(rt: VoiceSessionRuntime): string {
    return this.transcripts.get(rt) ?? '';
  }

  /** `utterance.audio` is read only when the turn runs (reading it copies the utterance). */
  private speechEnded(
    rt: VoiceSessionRuntime,
    utterance: { readonly audio: Int16Array },
    sampleRate: number,
    durationMs: number,
  ): void {
    const wasSpeaking = rt.userSpeaking;
    rt.userSpeaking = false;
    rt.strategy.onSpeechEnd();
    this.interim.stop(rt);
    const gated = this.gated(rt);
    if (!gated) this.lastSpeechEnd.set(rt, performance.now());
    if (wasSpeaking || !gated) {
      this.ch.fire(HookTrigger.ON_SPEECH_END, { session: rt.session, durationMs }, rt.session);
    }
    // Gated speech is not the primary speaker's: it never becomes a turn.
    if (!gated && this.ch.turnTaking === 'vad') {
      this.transcribe(rt, utterance, sampleRate, rt.isSpeaking ? rt.replyCount : undefined);
    }
  }

  /** Words of an utterance still going on, for a strategy that counts them. */
  private interimTranscript(rt: VoiceSessionRuntime, text: string, isFinal: boolean): void {
    if (!rt.isSpeaking) return;
    const s = rt.strategy;
    if (isFinal ? s.onFinalTranscript?.(text) : s.onPartialTranscript(text)) this.bargeIn(rt);
  }

  /**
   * `overReply`: the reply that was playing when the utterance ended, if any.
   *
   * Two steps, so the turn lets go of the utterance once the STT is done with it. An async
   * function keeps its arguments until it returns, and a turn lasts as long as its reply:
   * held that long, the utterance and its audio outlived two scavenges and died in the old
   * generation (see the segmenter's HandedOverAudio for what that cost).
   */
  private transcribe(
    rt: VoiceSessionRuntime,
    utterance: { readonly audio: Int16Array },
    sampleRate: number,
    overReply?: number,
  ): void {
    const turn = new TurnClock();
    this.recognize(utterance, sampleRate).then(
      (result) => this.transcribed(rt, result, turn, overReply),
      (error: unknown) => this.ch.reportError(rt.session, 'stt', error),
    );
  }

  private async recognize(
    utterance: { readonly audio: Int16Array },
    sampleRate: number,
  ): Promise<TranscriptionResult> {
    // Callers who stop together are answered a few per loop iteration, not all in one.
    await sharedTurnScheduler.slot();
    // Lent, not copied: the STT reads it during the call (see `STTProvider.transcribe`).
    const lent = lendAudio(utterance);
    try {
      return await this.ch.stt.transcribe({ data: lent.audio, sampleRate, channels: 1 });
    } finally {
      lent.release();
    }
  }

  private async transcribed(
    rt: VoiceSessionRuntime,
    result: TranscriptionResult,
    turn: TurnClock,
    overReply: number | undefined,
  ): Promise<void> {
    try {
      // An STT without partials: after_words counts the utterance once it is transcribed, if
      // the reply it was spoken over still plays (not one that started since).
      const sameReply = overReply !== undefined && overReply === rt.replyCount && rt.isSpeaking;
      if (sameReply && rt.strategy.onFinalTranscript?.(result.text)) this.bargeIn(rt);
      await this.finalize(rt, result, turn);
    } catch (error) {
      this.ch.reportError(rt.session, 'stt', error);
    }
  }

  private async runStreamingStt(rt: VoiceSessionRuntime): Promise<void> {
    const feed = new AsyncQueue<AudioFrame>();
    rt.sttFeed = feed;
    let pending = '';
    try {
      for await (const event of this.ch.stt.transcribeStream(feed) as AsyncIterable<STTStreamEvent>) {
        switch (event.type) {
          case 'speech-start':
            this.userStartedSpeaking(rt, 'stt');
            break;
          case 'partial':
            this.partial(rt, event.result);
            break;
          case 'final':
            pending = `${pending} ${event.result.text}`.trim();
            if (rt.isSpeaking && rt.strategy.onFinalTranscript?.(event.result.text)) this.bargeIn(rt);
            break;
          case 'end-of-turn': {
            const text = event.result?.text ?? pending;
            pending = '';
            // The utterance is over: the next one's words are counted afresh.
            rt.strategy.onSpeechEnd();
            // The session ended: a turn the STT flushes at the end of its input is not a turn.
            if (this.ch.getRuntime(rt.session.id) !== rt) break;
            if (!this.ch.pipeline.config.vad) rt.userSpeaking = false;
            const stoppedAt = this.lastSpeechEnd.get(rt) ?? performance.now();
            await sharedTurnScheduler.slot();
            await this.finalize(rt, { ...event.result, text, isFinal: true }, new TurnClock(stoppedAt));
            break;
          }
        }
      }
    } catch (error) {
      this.ch.reportError(rt.session, 'stt', error);
    }
  }

  private partial(rt: VoiceSessionRuntime, result: TranscriptionResult): void {
    const event: PartialTranscriptionEvent = {
      session: rt.session,
      text: result.text,
      confidence: result.confidence ?? 0,
      isStable: false,
      timestamp: nowIso(),
      result,
    };
    this.ch.fire(HookTrigger.ON_PARTIAL_TRANSCRIPTION, event, rt.session);
    if (rt.isSpeaking && rt.strategy.onPartialTranscript(result.text)) this.bargeIn(rt);
  }

  /** A final transcript: ON_TRANSCRIPTION (may block or rewrite), then into the room. */
  private async finalize(
    rt: VoiceSessionRuntime,
    result: TranscriptionResult,
    turn: TurnClock,
  ): Promise<void> {
    const kit = this.ch.roomKit;
    let text = result.text.trim();
    if (!text || !kit) return;
    rt.turn = turn;
    if (turn.mark('transcriptFinalMs')) this.ch.metric(rt, 'transcriptFinalMs');
    const { session } = rt;
    if (kit.hooks.has(HookTrigger.ON_TRANSCRIPTION)) {
      const outcome = await kit.hooks.runSync(
        HookTrigger.ON_TRANSCRIPTION,
        { session, text, result },
        this.ch.ctx(HookTrigger.ON_TRANSCRIPTION, session, 'inbound'),
      );
      if (!outcome.allowed) return;
      text = outcome.payload.text;
    }
    this.transcripts.set(rt, text);
    await this.ch.backend.sendTranscription(session, text, 'user');
    const inbound = await kit.processInbound({
      channelId: this.ch.id,
      roomId: session.roomId,
      senderId: session.participantId,
      content: { type: 'text', body: text },
      metadata: {
        voiceSessionId: session.id,
        ...(result.confidence !== undefined ? { confidence: result.confidence } : {}),
      },
    });
    // The turn's trace links to the event; it is written once the turn's audio went out too.
    turn.eventId = inbound.event?.id ?? '';
    this.ch.traceTurn(rt, turn);
  }

  private bargeIn(rt: VoiceSessionRuntime): void {
    const heard = rt.interrupt('barge_in');
    if (!heard) return;
    for (const [key, queue] of this.streams) {
      if (key.startsWith(`${rt.session.id}/`)) {
        queue.end();
        this.streams.delete(key);
      }
    }
    const event: BargeInEvent = {
      session: rt.session,
      interruptedText: heard.text,
      audioPositionMs: heard.playedMs,
      timestamp: nowIso(),
    };
    this.ch.fire(HookTrigger.ON_BARGE_IN, event, rt.session);
    this.ch.ttsCancelled(rt.session, 'barge_in', heard);
  }
}
