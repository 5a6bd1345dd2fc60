import { AuthenticationError, type ProviderError } from '../../core/errors.js';
import type { CircuitBreaker } from '../../core/resilience/circuit-breaker.js';
import { type RetryPolicy, withRetry } from '../../core/resilience/retry.js';
import type { AudioFrame, STTStreamEvent } from '../../voice/types.js';
import { SttStreamBase } from '../shared/stt-stream-base.js';
import { AudioTimeline, frameRms } from '../shared/audio-timeline.js';
import { GRADIUM } from './gradium-errors.js';
import type { GradiumSttMessage } from './stt-messages.js';
import { type GradiumSttSetup, GradiumSttSession, type SessionEvents } from './stt-session.js';
import type { GradiumTurnPolicy, VadHorizon } from './turn-policy.js';
import { TurnTranscript } from './turn-transcript.js';

export interface GradiumSessionLimits {
  /** The server's cap per session, seconds (default 300). */
  maxDurationS: number;
  /** Start switching to a fresh session this long before the cap (default 20 s). */
  rolloverMarginS: number;
  /** Audio replayed into a fresh session for context, seconds (default 1). */
  prerollS: number;
}

export interface GradiumSttStreamConfig {
  setup: Omit<GradiumSttSetup, 'signal'>;
  sampleRate: number;
  /** null: no turn detection, one final when the input ends. */
  turn: GradiumTurnPolicy | null;
  language?: string;
  limits: GradiumSessionLimits;
  reconnect: RetryPolicy;
  breaker: CircuitBreaker;
  flushTimeoutMs: number;
  speechStartThreshold: number;
}

/** The `end-of-turn` event, with the audio time of the step that decided it (for metrics and tests). */
export type GradiumEndOfTurnEvent = Extract<STTStreamEvent, { type: 'end-of-turn' }> & {
  decidedAtAudioS?: number;
};

const FRAME_S = AudioTimeline.FRAME_S;
/** Text for a word can lag its start by the model delay plus the word itself. */
const MAX_WORD_S = 1;
/** Below this level a frame counts as a pause (about -40 dBFS): a good place to switch sessions. */
const PAUSE_RMS = 330;
/** Audio kept for replay even when nothing confirms it, seconds. */
const MAX_RETAIN_S = 60;

interface PendingFlush {
  id: number;
  reason: string;
  decidedAtS?: number;
  atFrame: number;
  timer: NodeJS.Timeout;
  /** Held texts that arrived before `flushed` (while an old session was still draining). */
  heldBeforeFlushed?: number;
}

/**
 * One `transcribeStream` call: audio in, Gradium sessions underneath, turn events out.
 * Sessions are replaced before the 300 s cap (at a pause when possible) and after drops;
 * the new session gets the unconfirmed audio again and the transcript drops what it
 * already has, so switches lose and duplicate nothing.
 */
export class GradiumSttStream extends SttStreamBase {
  private readonly timeline: AudioTimeline;
  private readonly transcript = new TurnTranscript();
  private readonly draining = new Set<GradiumSttSession>();
  private readonly sessionEvents: SessionEvents;
  private live?: GradiumSttSession;
  private successor?: GradiumSttSession;
  private connecting = 0;
  private held: { session: GradiumSttSession; text: string; startS: number }[] = [];
  private pendingFlush?: PendingFlush;
  private flushSeq = 0;
  private speechStarted = false;
  private speechSteps = 0;
  private fruitlessRecoveries = 0;

  constructor(
    audio: AsyncIterable<AudioFrame>,
    private readonly cfg: GradiumSttStreamConfig,
    signal?: AbortSignal,
  ) {
    super(audio, signal);
    this.timeline = new AudioTimeline(cfg.sampleRate);
    this.sessionEvents = {
      message: (s, m) => this.onMessage(s, m),
      closed: (s, err) => this.onClosed(s, err),
    };
  }

  /** Ends the current turn now (push-to-talk, dictation "done" button): flush, then final. */
  endTurn(reason = 'manual'): void {
    if (!this.transcript.isEmpty || this.speechStarted) this.requestFlush(reason);
  }

  protected async begin(): Promise<void> {
    if (!this.cfg.setup.apiKey)
      throw new AuthenticationError(GRADIUM, 'no API key (pass apiKey or set GRADIUM_API_KEY)');
    void this.connect('initial');
    await AudioTimeline.prepare();
  }

  protected onFrame(frame: AudioFrame): void {
    this.timeline.push(frame);
    this.pump();
  }

  protected async finish(): Promise<void> {
    this.timeline.finish();
    this.pump();
    await this.finishInput();
  }

  /** Input is over: finish the open turn, then end the session cleanly (reconnecting if it drops meanwhile). */
  private async finishInput(): Promise<void> {
    for (;;) {
      await this.waitUntil(
        () =>
          this.live !== undefined &&
          this.live.nextFrame >= this.timeline.end &&
          !this.pendingFlush &&
          this.draining.size === 0,
      );
      const session = this.live as GradiumSttSession;
      session.endOfStream();
      await this.waitUntil(() => !session.isOpen);
      if (this.live === session) break; // closed normally: nothing to recover
    }
    this.finalizeTurn('end-of-input');
  }

  /** Sends every frame the live session has not had yet, switching sessions when due. */
  private pump(): void {
    const live = this.live;
    if (!live?.isOpen || live.draining || this.stopped) return;
    const { maxDurationS } = this.cfg.limits;
    while (live.nextFrame < this.timeline.end) {
      if (this.switchIfDue(live)) {
        this.pump();
        return;
      }
      // Past the cap the server would end the session mid-word: hold audio for the successor.
      if ((live.nextFrame - live.offsetFrame + 2) * FRAME_S > maxDurationS) break;
      live.sendAudio(this.timeline.get(live.nextFrame) as Int16Array);
    }
    this.trim(live);
  }

  private switchIfDue(live: GradiumSttSession): boolean {
    const { maxDurationS, rolloverMarginS, prerollS } = this.cfg.limits;
    const age = live.ageS();
    if (age < maxDurationS - rolloverMarginS) return false;
    if (!this.successor) {
      if (this.connecting === 0) void this.connect('rollover');
      return false;
    }
    if (this.pendingFlush) return false;
    const forced = age >= maxDurationS - rolloverMarginS / 2;
    const here = this.timeline.get(live.nextFrame);
    const before = this.timeline.get(live.nextFrame - 1);
    const pause =
      here !== undefined &&
      before !== undefined &&
      frameRms(here) < PAUSE_RMS &&
      frameRms(before) < PAUSE_RMS;
    if (!pause && !forced) return false;
    const next = this.successor;
    this.successor = undefined;
    const switchFrame = live.nextFrame;
    live.endOfStream();
    this.draining.add(live);
    this.place(next, switchFrame, switchFrame, prerollS);
    this.live = next;
    this.cfg.setup.logger.debug(
      { from: live.id, to: next.id, atS: switchFrame * FRAME_S, pause },
      'gradium session rollover',
    );
    return true;
  }

  /** Positions a new session: replay from before `acceptFrom` for context, take text from `acceptFrom`. */
  private place(
    session: GradiumSttSession,
    acceptFrom: number,
    replayedUntil: number,
    prerollS: number,
  ): void {
    session.offsetFrame = Math.max(this.timeline.start, acceptFrom - Math.round(prerollS / FRAME_S));
    session.nextFrame = session.offsetFrame;
    session.acceptFromFrame = acceptFrom;
    session.replayedUntilFrame = replayedUntil;
    session.flushedUpToFrame = acceptFrom;
  }

  private async connect(
    kind: 'initial' | 'rollover' | 'recover',
    recoverFrom?: GradiumSttSession,
  ): Promise<void> {
    this.connecting++;
    try {
      const session = await this.openWithRetry();
      if (this.stopped) {
        session.close();
        return;
      }
      if (kind === 'rollover') {
        this.successor = session;
      } else {
        const from = recoverFrom ? this.committedFrame(recoverFrom) : 0;
        this.place(session, from, recoverFrom?.nextFrame ?? 0, recoverFrom ? this.cfg.limits.prerollS : 0);
        this.live = session;
        this.pump();
        if (this.pendingFlush) this.resendFlush(session);
      }
    } catch (err) {
      this.fatal(err);
    } finally {
      this.connecting--;
      this.notify();
      this.pump();
    }
  }

  private openWithRetry(): Promise<GradiumSttSession> {
    return withRetry(
      () =>
        this.cfg.breaker.call(() =>
          GradiumSttSession.open({ ...this.cfg.setup, signal: this.halt.signal }, this.sessionEvents),
        ),
      { maxRetries: 5, ...this.cfg.reconnect },
      {
        signal: this.halt.signal,
        onRetry: (err, attempt) =>
          this.cfg.setup.logger.debug({ attempt, err: String(err) }, 'gradium stt connect failed, retrying'),
      },
    );
  }

  /** Stream frame before which every word has surely been reported by this session. */
  private committedFrame(s: GradiumSttSession): number {
    const bySteps =
      s.offsetFrame + Math.floor((s.processedS - s.delayInFrames * FRAME_S - MAX_WORD_S) / FRAME_S);
    const committed = Math.max(bySteps, s.flushedUpToFrame, s.acceptFromFrame);
    return Math.min(Math.max(committed, this.timeline.start), s.nextFrame);
  }

  private trim(live: GradiumSttSession): void {
    const keep = this.committedFrame(live) - Math.round(this.cfg.limits.prerollS / FRAME_S);
    const cap = this.timeline.end - Math.round(MAX_RETAIN_S / FRAME_S);
    this.timeline.trimBefore(Math.min(live.nextFrame, Math.max(keep, cap)));
  }

  private onMessage(session: GradiumSttSession, msg: GradiumSttMessage): void {
    if (this.stopped) return;
    switch (msg.type) {
      case 'text':
        if (session === this.live && this.draining.size > 0)
          this.held.push({ session, text: msg.text, startS: msg.start_s });
        else this.acceptText(session, msg.text, msg.start_s);
        break;
      case 'end_text':
        this.transcript.endText(session, msg.stop_s);
        break;
      case 'step':
        if (session === this.live) this.onStep(session, msg.vad, msg.total_duration_s);
        break;
      case 'flushed':
        this.onFlushed(session, msg.flush_id);
        break;
      default:
        break;
    }
  }

  private acceptText(session: GradiumSttSession, text: string, startS: number): void {
    if (!this.transcript.offer(session, text, startS)) return;
    this.fruitlessRecoveries = 0;
    if (!this.speechStarted) this.startSpeech();
    this.events.push({ type: 'partial', result: this.transcript.result(false, this.cfg.language) });
  }

  private startSpeech(): void {
    this.speechStarted = true;
    this.events.push({ type: 'speech-start' });
  }

  private onStep(
    session: GradiumSttSession,
    vad: { horizon_s: number; inactivity_prob: number }[],
    totalS: number,
  ): void {
    const absS = session.offsetFrame * FRAME_S + totalS;
    if (absS <= session.replayedUntilFrame * FRAME_S + 1e-6) return; // about replayed audio: already judged
    this.fruitlessRecoveries = 0;
    const horizons: VadHorizon[] = vad.map((v) => ({
      horizonS: v.horizon_s,
      inactivityProb: v.inactivity_prob,
    }));
    this.events.push({ type: 'vad', horizons, totalDurationS: absS });
    const shortest = horizons[0]?.inactivityProb;
    this.speechSteps =
      shortest !== undefined && shortest < this.cfg.speechStartThreshold ? this.speechSteps + 1 : 0;
    if (!this.speechStarted && this.speechSteps >= 2) this.startSpeech();
    const policy = this.cfg.turn;
    if (!policy || this.pendingFlush) return;
    if (policy.onStep(horizons, !this.transcript.isEmpty)) this.requestFlush('semantic-vad', absS);
    // A noise burst started "speech" but no words came and the speaker is quiet again: re-arm.
    else if (this.transcript.isEmpty && this.speechStarted && policy.quiet) this.speechStarted = false;
  }

  private requestFlush(reason: string, decidedAtS?: number): void {
    if (this.pendingFlush) return;
    const live = this.live;
    this.pendingFlush = {
      id: ++this.flushSeq,
      reason,
      decidedAtS,
      atFrame: live?.nextFrame ?? this.timeline.end,
      timer: setTimeout(() => this.finalizeTurn(reason), this.cfg.flushTimeoutMs),
    };
    if (live?.isOpen && !live.draining) live.flush(this.pendingFlush.id);
  }

  /** The session holding a flush died: the replacement got the audio again, so ask it. */
  private resendFlush(session: GradiumSttSession): void {
    const p = this.pendingFlush as PendingFlush;
    clearTimeout(p.timer);
    p.id = ++this.flushSeq;
    p.atFrame = session.nextFrame;
    p.timer = setTimeout(() => this.finalizeTurn(p.reason), this.cfg.flushTimeoutMs);
    session.flush(p.id);
  }

  private onFlushed(session: GradiumSttSession, flushId: number | string): void {
    const p = this.pendingFlush;
    if (!p || Number(flushId) !== p.id || session !== this.live) return;
    session.flushedUpToFrame = Math.max(session.flushedUpToFrame, p.atFrame);
    if (this.draining.size > 0) p.heldBeforeFlushed = this.held.length;
    else this.finalizeTurn(p.reason);
  }

  private finalizeTurn(reason: string): void {
    const p = this.pendingFlush;
    if (p) clearTimeout(p.timer);
    this.pendingFlush = undefined;
    if (!this.transcript.isEmpty) {
      const result = this.transcript.result(true, this.cfg.language);
      this.events.push({ type: 'final', result });
      const endOfTurn: GradiumEndOfTurnEvent = {
        type: 'end-of-turn',
        result,
        reason,
        decidedAtAudioS: p?.decidedAtS,
      };
      this.events.push(endOfTurn);
    }
    this.transcript.reset();
    this.cfg.turn?.reset();
    this.speechStarted = false;
    this.speechSteps = 0;
    this.notify();
    this.pump(); // a rollover may have been waiting for this turn to finish
  }

  private onClosed(session: GradiumSttSession, error?: ProviderError): void {
    if (this.stopped) return;
    if (session === this.successor) this.successor = undefined;
    if (this.draining.delete(session)) {
      if (error) this.cfg.setup.logger.warn({ err: error.message }, 'gradium session dropped while draining');
      if (this.draining.size === 0) this.releaseHeld();
    } else if (session === this.live && error) {
      this.recover(session, error);
    }
    this.notify();
  }

  private recover(dead: GradiumSttSession, error: ProviderError): void {
    this.live = undefined;
    if (error.code === 'session_limit') this.learnSessionCap(dead);
    else this.cfg.breaker.recordFailure();
    if (!error.retryable || ++this.fruitlessRecoveries > (this.cfg.reconnect.maxRetries ?? 5)) {
      this.fatal(error);
      return;
    }
    this.cfg.setup.logger.debug(
      { session: dead.id, err: error.message },
      'gradium stt session lost, reconnecting',
    );
    if (this.successor) {
      const next = this.successor;
      this.successor = undefined;
      this.place(next, this.committedFrame(dead), dead.nextFrame, this.cfg.limits.prerollS);
      this.live = next;
      this.pump();
      if (this.pendingFlush) this.resendFlush(next);
      return;
    }
    void this.connect('recover', dead);
  }

  /**
   * The server ended a session at a cap shorter than configured: use what it showed, so the
   * following sessions roll over on their own (at a pause) instead of being cut mid-word.
   */
  private learnSessionCap(dead: GradiumSttSession): void {
    const seenS = (dead.nextFrame - dead.offsetFrame) * FRAME_S;
    const limits = this.cfg.limits;
    if (seenS >= limits.maxDurationS) return;
    const maxDurationS = Math.max(4 * FRAME_S, seenS);
    this.cfg.limits = {
      maxDurationS,
      rolloverMarginS: Math.min(limits.rolloverMarginS, maxDurationS / 3),
      prerollS: Math.min(limits.prerollS, maxDurationS / 4),
    };
    this.cfg.setup.logger.warn(
      { maxDurationS },
      'gradium ended a session early; rolling over before that from now on',
    );
  }

  /** The old session has said everything: its successor's text may flow now, in order. */
  private releaseHeld(): void {
    const held = this.held;
    this.held = [];
    const p = this.pendingFlush;
    const before = p?.heldBeforeFlushed;
    held.forEach((h, i) => {
      if (before !== undefined && i === before) this.finalizeTurn(p?.reason ?? 'semantic-vad');
      this.acceptText(h.session, h.text, h.startS);
    });
    if (before !== undefined && before >= held.length) this.finalizeTurn(p?.reason ?? 'semantic-vad');
    this.pump();
  }

  protected release(): void {
    if (this.pendingFlush) clearTimeout(this.pendingFlush.timer);
    for (const s of [this.live, this.successor, ...this.draining]) s?.close();
    this.timeline.close();
  }
}
