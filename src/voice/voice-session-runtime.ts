import { getEventListeners } from 'node:events';
import { errorMessage } from '../core/errors.js';
import type { AsyncQueue } from '../providers/shared/async-queue.js';
import { PhraseChunker } from '../providers/shared/phrase-chunker.js';
import { bytesToInt16 } from './audio/pcm.js';
import type { InterruptionStrategy } from './interruption.js';
import { OutboundPacer, type PacerClock, type PacerDrainResult } from './pacer.js';
import { InputGate } from './session-hooks.js';
import type { AudioPipelineSession } from './pipeline/audio-pipeline-session.js';
import type { TurnClock } from './turn-metrics.js';
import { sharedTurnScheduler } from './turn-scheduler.js';
import type { AudioChunk, AudioFrame, VoiceSession } from './types.js';
import type { VoiceChannelHost } from './voice-channel-host.js';

interface Speech {
  controller: AbortController;
  text: string;
}

/**
 * One voice session inside a VoiceChannel: its pipeline session, pacer and barge-in
 * strategy, the turn being measured, and the queue of replies to speak (one at a time).
 */
export class VoiceSessionRuntime {
  readonly pacer: OutboundPacer;
  userSpeaking = false;
  turn?: TurnClock;
  /** Streams (by streamId) already spoken live, so their final event is not spoken twice. */
  readonly spokenStreams = new Set<string>();
  sttFeed?: AsyncQueue<AudioFrame>;
  ready = false;
  started = false;
  /** Replies started so far: tells a late transcript which reply it was spoken over. */
  replyCount = 0;
  /** Whether the channel's binding lets this session's audio in (checked per frame). */
  readonly inputGate: InputGate;
  private current?: Speech;
  private chain: Promise<void> = Promise.resolve();
  /** Bumped by barge-in: queued replies of an older generation are dropped. */
  private generation = 0;
  private closed = false;
  private readonly echoReference: boolean;
  /** Audio the pacer may hold unsent before the next TTS chunk is taken. */
  private readonly readAheadMs: number;
  /** The replies' abort controller, reused until one is interrupted (see `replyController`). */
  private replyAbort?: AbortController;

  constructor(
    readonly session: VoiceSession,
    readonly pipeline: AudioPipelineSession,
    readonly strategy: InterruptionStrategy,
    private readonly host: VoiceChannelHost,
    pacerOpts: {
      frameMs?: number;
      leadMs?: number;
      batchMs?: number;
      clock?: PacerClock;
      /** Each frame sent is the echo canceller's reference (the transport reports no playback). */
      echoReference?: boolean;
    },
  ) {
    this.inputGate = new InputGate(session.roomId);
    this.echoReference = pacerOpts.echoReference ?? false;
    this.pacer = new OutboundPacer({
      sampleRate: pipeline.outputSampleRate,
      frameMs: pacerOpts.frameMs,
      leadMs: pacerOpts.leadMs,
      batchMs: pacerOpts.batchMs,
      clock: pacerOpts.clock,
      send: (frame) => this.sendFrame(frame),
      onError: (error) => host.reportError(session, 'send', error),
    });
    this.readAheadMs = Math.max(3 * this.pacer.frameMs, this.pacer.leadMs);
  }

  get isSpeaking(): boolean {
    return this.current !== undefined || this.pacer.isPlaying;
  }

  /** Queue a reply; text arrives whole or as a stream of LLM tokens. */
  speak(text: string | AsyncIterable<string>): Promise<void> {
    const generation = this.generation;
    const run = this.chain.then(() =>
      generation === this.generation && !this.closed ? this.say(text, generation) : undefined,
    );
    this.chain = run.catch((error) => this.host.reportError(this.session, 'tts', error));
    return this.chain;
  }

  /** The user talked over the reply: stop audio now, drop queued replies, report what was heard. */
  interrupt(reason: string): { playedMs: number; text: string } | undefined {
    const speech = this.current;
    if (!speech && !this.pacer.isPlaying) return undefined;
    this.generation++;
    // What the far end confirmed playing (carrier marks), when the transport knows it.
    const unheard = this.host.backend.unheardMs(this.session);
    const position = this.pacer.interrupt();
    const playedMs = unheard === undefined ? position.playedMs : Math.max(0, position.sentMs - unheard);
    speech?.controller.abort(interruption(reason));
    this.host.backend.interrupt(this.session);
    this.pipeline.clearOutbound();
    this.current = undefined;
    return { playedMs, text: speech?.text ?? '' };
  }

  close(): void {
    this.closed = true;
    this.interrupt('session ended');
    this.sttFeed?.end();
  }

  private async say(source: string | AsyncIterable<string>, generation: number): Promise<void> {
    // Replies that start together (a thousand callers answered at once) start a few per
    // loop iteration, so the calls already speaking keep getting their frames on time; a
    // reply goes before turns not yet begun, so it follows its own turn, not the whole burst.
    await sharedTurnScheduler.slot(true);
    if (generation !== this.generation || this.closed) return; // barged in meanwhile
    const controller = this.replyController();
    const speech: Speech = { controller, text: typeof source === 'string' ? source : '' };
    const { tts } = this.host;
    let chunks: AsyncIterable<AudioChunk>;
    if (typeof source === 'string') {
      const approved = await this.host.beforeTts(this.session, source);
      if (approved === undefined) return;
      speech.text = approved;
      void this.host.backend.sendTranscription(this.session, approved, 'assistant');
      chunks = tts.synthesizeStream(approved, { voice: this.host.voice, signal: controller.signal });
    } else {
      chunks = tts.synthesizeStreamInput(this.approvedPhrases(source, speech), {
        voice: this.host.voice,
        signal: controller.signal,
      });
    }
    this.current = speech;
    this.pacer.reset();
    this.replyCount++;
    this.strategy.reset();
    try {
      for await (const chunk of chunks) {
        if (controller.signal.aborted) break;
        this.playChunk(chunk);
        // Synthesise as it plays: take the next chunk once the pacer runs low, so the replies
        // of a thousand callers starting at once spread over their playback, not one tick.
        if (this.pacer.queuedMs >= this.readAheadMs) await this.pacer.whenQueuedBelow(this.readAheadMs);
      }
    } catch (error) {
      if (this.current === speech) this.current = undefined;
      if (!controller.signal.aborted) throw error;
    } finally {
      // A streamed reply's caption (sent phrase by phrase, as partials) becomes final once its
      // synthesis ends: whole, or cut short by barge-in (then it is what the agent had started
      // saying). Synthesis keeps pace with playback, so waiting for it would mean no caption
      // at all for a reply the caller talks over.
      if (typeof source !== 'string' && speech.text) {
        void this.host.backend.sendTranscription(this.session, speech.text, 'assistant');
      }
    }
    if (controller.signal.aborted) return;
    const tail = this.pipeline.flushOutbound();
    if (tail) this.pacer.push(tail.data);
    this.pacer.end();
    // The reply stays current until it has been heard: barge-in needs its text until then.
    // Waited for with a callback, not an `await`: a suspended async function keeps its whole
    // frame (the TTS stream, the source, their generators) for as long as the reply plays.
    return this.pacer.drained.then((result) => this.played(speech, result));
  }

  private played(speech: Speech, result: PacerDrainResult): void {
    if (this.current === speech) this.current = undefined;
    if (result.interrupted) return;
    this.host.backend.endOfResponse(this.session);
    this.host.afterTts(this.session, speech.text, result.playedMs, false);
  }

  /**
   * The signal a reply's synthesis gets. A signal costs 4-5 us to make on Node 20 and about
   * 1 KB (an EventTarget, two maps, a hidden class of its own), and it lives as long as the
   * reply plays: in a burst of a thousand replies that is a megabyte every scavenge copies.
   * Replies run one after another, so the last one's controller serves the next, unless it
   * was aborted (barge-in) or a provider left a listener on it (then the old signal goes
   * with its listeners, as it did when every reply had its own).
   */
  private replyController(): AbortController {
    const reused = this.replyAbort;
    if (reused && !reused.signal.aborted && getEventListeners(reused.signal, 'abort').length === 0)
      return reused;
    this.replyAbort = new AbortController();
    return this.replyAbort;
  }

  /** LLM tokens -> phrases, each passed through BEFORE_TTS (a blocked phrase is skipped). */
  private async *approvedPhrases(tokens: AsyncIterable<string>, speech: Speech): AsyncIterable<string> {
    const chunker = new PhraseChunker();
    const approve = async (text: string) => {
      const ok = await this.host.beforeTts(this.session, text);
      if (ok !== undefined && !speech.controller.signal.aborted) {
        speech.text += (speech.text ? ' ' : '') + ok;
        // The caption shows each phrase as it goes to TTS, i.e. as the agent starts saying it.
        void this.host.backend.sendTranscription(this.session, speech.text, 'assistant', false);
      }
      return ok;
    };
    for await (const token of tokens) {
      if (speech.controller.signal.aborted) return;
      for (const phrase of chunker.push(token)) {
        const ok = await approve(phrase.text);
        if (ok !== undefined) yield `${ok} `;
      }
    }
    const rest = chunker.finish();
    if (rest) {
      const ok = await approve(rest.text);
      if (ok !== undefined) yield ok;
    }
  }

  private playChunk(chunk: AudioChunk): void {
    if (chunk.format !== 'pcm_s16le') {
      throw new Error(`${this.host.tts.name} produced ${chunk.format}; the voice channel needs pcm_s16le`);
    }
    if (this.turn?.mark('firstTtsAudioMs')) this.host.metric(this, 'firstTtsAudioMs');
    const frame: AudioFrame = {
      data: bytesToInt16(chunk.data),
      sampleRate: chunk.sampleRate,
      channels: chunk.channels,
    };
    const out = this.pipeline.processOutbound(frame);
    // Audio the pipeline passed through is the TTS chunk's own (fresh) buffer: no copy needed.
    this.pacer.push(out.data, out.data === frame.data);
  }

  private sendFrame(frame: AudioFrame): void {
    if (this.turn?.mark('firstFrameSentMs')) {
      this.host.metric(this, 'firstFrameSentMs');
      this.host.turnComplete(this);
    }
    // Sent at real time, so sent now is heard from now on (plus the path the echo guard measures).
    if (this.echoReference) {
      try {
        this.pipeline.feedAecReference(frame);
      } catch (error) {
        // The caller must still hear the reply; only echo cancellation suffers.
        this.host.reportError(this.session, 'aec_reference', error);
      }
    }
    this.host.backend.sendPacedFrame(this.session, frame, this.onSendError);
  }

  private readonly onSendError = (error: unknown): void => {
    this.host.reportError(this.session, 'send', new Error(errorMessage(error)));
  };
}

/**
 * Why a reply's synthesis stopped, as its AbortSignal's reason: an Error without a stack trace.
 * Nobody reads one (the reply's own loop swallows the abort, hooks get the reason as a string),
 * and capturing it cost 5 us of a barge-in's 15 (hot), paid by every caller of a burst who
 * talks over a reply in the same loop iteration.
 */
function interruption(reason: string): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new Error(reason);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
