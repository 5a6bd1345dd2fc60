import type { WebSocket } from 'ws';
import { AuthenticationError, ProviderError } from '../../core/errors.js';
import type { CircuitBreaker } from '../../core/resilience/circuit-breaker.js';
import { type RetryPolicy, withRetry } from '../../core/resilience/retry.js';
import type { AudioFrame, TranscriptionWord } from '../../voice/types.js';
import { SttStreamBase } from '../shared/stt-stream-base.js';
import { AudioTimeline } from '../shared/audio-timeline.js';
import { parseProviderMessage } from '../shared/message-validation.js';
import type { ProviderLogger } from '../shared/provider-logger.js';
import {
  closeQuietly,
  connectWebSocket,
  isNormalClose,
  messageText,
  sendJson,
} from '../shared/ws-connection.js';
import { DEEPGRAM_TYPES, type DeepgramResults, deepgramMessage } from './messages.js';

export const DEEPGRAM = 'deepgram';
const FRAME_S = AudioTimeline.FRAME_S;

export interface DeepgramLiveConfig {
  apiKey: string;
  /** Builds the /v1/listen URL for a sample rate. */
  url: (sampleRate: number) => string;
  sampleRate?: number;
  keepAliveIntervalMs: number;
  prerollS: number;
  reconnect: RetryPolicy;
  breaker: CircuitBreaker;
  language?: string;
  logger: ProviderLogger;
  connectTimeoutMs: number;
}

interface Session {
  ws: WebSocket;
  offsetFrame: number;
  nextFrame: number;
  closing: boolean;
  closed: boolean;
  lastSentAt: number;
}

/**
 * One Deepgram live transcription: binary audio up, Results down. Final segments add up to
 * a turn; `speech_final` (endpointing) or `UtteranceEnd` ends it; `SpeechStarted` is the
 * barge-in signal. A dropped socket is replaced and the audio since the last final result
 * is sent again; words before that point are ignored, so nothing repeats.
 */
export class DeepgramLiveStream extends SttStreamBase {
  private timeline?: AudioTimeline;
  private session?: Session;
  private connecting = false;
  private finalizedUntilS = 0;
  private turnWords: TranscriptionWord[] = [];
  private turnText: string[] = [];
  private speechStarted = false;
  private keepAlive?: NodeJS.Timeout;

  constructor(
    audio: AsyncIterable<AudioFrame>,
    private readonly cfg: DeepgramLiveConfig,
    signal?: AbortSignal,
  ) {
    super(audio, signal);
  }

  protected async begin(): Promise<void> {
    if (!this.cfg.apiKey)
      throw new AuthenticationError(DEEPGRAM, 'no API key (pass apiKey or set DEEPGRAM_API_KEY)');
    await AudioTimeline.prepare();
  }

  protected onFrame(frame: AudioFrame): void {
    if (!this.timeline) {
      this.timeline = new AudioTimeline(this.cfg.sampleRate ?? frame.sampleRate);
      void this.connect();
    }
    this.timeline.push(frame);
    this.pump();
  }

  protected async finish(): Promise<void> {
    if (!this.timeline) return; // no audio at all: nothing was opened
    this.timeline.finish();
    this.pump();
    await this.closeStream();
    this.endTurn('end-of-input');
  }

  /** CloseStream, then wait for the server to finish; a drop meanwhile means reconnect and try again. */
  private async closeStream(): Promise<void> {
    for (;;) {
      await this.waitUntil(
        () => !!this.session && !this.connecting && this.session.nextFrame >= (this.timeline?.end ?? 0),
      );
      const s = this.session as Session;
      s.closing = true;
      sendJson(s.ws, { type: 'CloseStream' });
      await this.waitUntil(() => s.closed);
      if (this.session === s) return;
    }
  }

  private pump(): void {
    const s = this.session;
    const t = this.timeline;
    if (!s || !t || s.closed || s.closing || this.stopped) return;
    while (s.nextFrame < t.end) {
      const frame = t.get(s.nextFrame) as Int16Array;
      s.ws.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
      s.nextFrame++;
      s.lastSentAt = performance.now();
    }
    t.trimBefore(Math.floor(this.finalizedUntilS / FRAME_S) - Math.round(this.cfg.prerollS / FRAME_S));
  }

  private async connect(): Promise<void> {
    const t = this.timeline as AudioTimeline;
    this.connecting = true;
    try {
      const ws = await withRetry(
        () =>
          this.cfg.breaker.call(() =>
            connectWebSocket({
              provider: DEEPGRAM,
              url: this.cfg.url(t.sampleRate),
              headers: { Authorization: `Token ${this.cfg.apiKey}` },
              signal: this.halt.signal,
              timeoutMs: this.cfg.connectTimeoutMs,
            }),
          ),
        { maxRetries: 5, ...this.cfg.reconnect },
        { signal: this.halt.signal },
      );
      if (this.stopped) return closeQuietly(ws);
      const offsetFrame = Math.max(
        t.start,
        Math.floor(this.finalizedUntilS / FRAME_S) - Math.round(this.cfg.prerollS / FRAME_S),
      );
      const session: Session = {
        ws,
        offsetFrame,
        nextFrame: offsetFrame,
        closing: false,
        closed: false,
        lastSentAt: 0,
      };
      ws.on('message', (data) => this.onMessage(session, messageText(data)));
      ws.on('close', (code, reason) => this.onClose(session, code, reason.toString('utf8')));
      ws.on('error', (err) => this.cfg.logger.debug({ err: err.message }, 'deepgram socket error'));
      this.session = session;
      this.startKeepAlive();
      this.pump();
    } catch (err) {
      this.fatal(err);
    } finally {
      this.connecting = false;
      this.notify();
    }
  }

  /** Deepgram closes after 10 s without audio; a muted or paused caller must not lose the socket. */
  private startKeepAlive(): void {
    clearInterval(this.keepAlive);
    this.keepAlive = setInterval(() => {
      const s = this.session;
      if (s && !s.closed && performance.now() - s.lastSentAt >= this.cfg.keepAliveIntervalMs) {
        sendJson(s.ws, { type: 'KeepAlive' });
        s.lastSentAt = performance.now();
      }
    }, this.cfg.keepAliveIntervalMs);
    this.keepAlive.unref();
  }

  private onMessage(session: Session, raw: string): void {
    if (this.stopped || session !== this.session) return;
    const msg = parseProviderMessage(deepgramMessage, raw, this.cfg.logger, DEEPGRAM_TYPES);
    if (!msg) return;
    if (msg.type === 'Results') this.onResults(session, msg);
    else if (msg.type === 'UtteranceEnd') this.endTurn('utterance-end');
    else if (msg.type === 'SpeechStarted' && !this.speechStarted) this.startSpeech();
  }

  private onResults(session: Session, msg: DeepgramResults): void {
    const offsetS = session.offsetFrame * FRAME_S;
    const alt = msg.channel.alternatives[0];
    if (!alt) return;
    // Words of replayed audio that an earlier socket already finalized are skipped.
    const words: TranscriptionWord[] = alt.words
      .filter((w) => offsetS + w.start >= this.finalizedUntilS - 1e-3)
      .map((w) => ({
        word: w.punctuated_word ?? w.word,
        startMs: Math.round((offsetS + w.start) * 1000),
        endMs: Math.round((offsetS + w.end) * 1000),
        confidence: w.confidence,
      }));
    const text = words.map((w) => w.word).join(' ');
    if (msg.is_final) {
      this.finalizedUntilS = Math.max(this.finalizedUntilS, offsetS + msg.start + msg.duration);
      if (text) {
        this.turnWords.push(...words);
        this.turnText.push(text);
      }
    }
    if (text) {
      if (!this.speechStarted) this.startSpeech();
      const partial = msg.is_final ? this.turnText : [...this.turnText, text];
      this.events.push({
        type: 'partial',
        result: {
          text: partial.join(' '),
          isFinal: false,
          language: this.cfg.language,
          words: [...this.turnWords],
        },
      });
    }
    if (msg.is_final && msg.speech_final) this.endTurn('endpointing');
  }

  private startSpeech(): void {
    this.speechStarted = true;
    this.events.push({ type: 'speech-start' });
  }

  private endTurn(reason: string): void {
    if (this.turnText.length > 0) {
      const result = {
        text: this.turnText.join(' '),
        isFinal: true,
        language: this.cfg.language,
        words: this.turnWords,
      };
      this.events.push({ type: 'final', result });
      this.events.push({ type: 'end-of-turn', result, reason });
    }
    this.turnText = [];
    this.turnWords = [];
    this.speechStarted = false;
  }

  private onClose(session: Session, code: number, reason: string): void {
    session.closed = true;
    if (this.stopped || session !== this.session || (session.closing && isNormalClose(code))) {
      this.notify();
      return;
    }
    // NET-0000/0001 and network drops are worth a new socket; undecodable audio (DATA) is not.
    const retryable = !/^DATA/.test(reason) && code !== 1008;
    this.cfg.logger.debug({ code, reason }, 'deepgram socket closed unexpectedly');
    this.cfg.breaker.recordFailure();
    if (!retryable) {
      this.fatal(new ProviderError(DEEPGRAM, `connection closed (${code} ${reason})`, { retryable: false }));
      return;
    }
    this.session = undefined;
    void this.connect();
    this.notify();
  }

  protected release(): void {
    clearInterval(this.keepAlive);
    if (this.session) closeQuietly(this.session.ws);
    this.timeline?.close();
  }
}
