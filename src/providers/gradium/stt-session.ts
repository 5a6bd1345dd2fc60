import type { WebSocket } from 'ws';
import type { ProviderError } from '../../core/errors.js';
import { parseProviderMessage } from '../shared/message-validation.js';
import type { ProviderLogger } from '../shared/provider-logger.js';
import {
  closeQuietly,
  connectWebSocket,
  isNormalClose,
  messageText,
  sendJson,
} from '../shared/ws-connection.js';
import { GRADIUM, gradiumCloseError, gradiumServerError } from './gradium-errors.js';
import { GRADIUM_STT_TYPES, type GradiumSttMessage, gradiumSttMessage } from './stt-messages.js';

export interface GradiumSttSetup {
  url: string;
  apiKey: string;
  modelName: string;
  inputFormat: string;
  jsonConfig: Record<string, unknown>;
  logger: ProviderLogger;
  signal?: AbortSignal;
  connectTimeoutMs: number;
}

export interface SessionEvents {
  message(session: GradiumSttSession, msg: GradiumSttMessage): void;
  /** The socket is gone; `error` is set unless the server ended it normally after our end_of_stream. */
  closed(session: GradiumSttSession, error?: ProviderError): void;
}

let nextSessionId = 1;

/**
 * One Gradium STT WebSocket session (setup -> ready -> audio...). It knows where its audio
 * sits on the stream's timeline (`offsetFrame`, `nextFrame`) so the stream can map its
 * timestamps back and replay audio into a successor; it holds no turn logic.
 */
export class GradiumSttSession {
  readonly id = nextSessionId++;
  readonly openedAt = performance.now();
  /** Stream frame number of this session's first audio frame. */
  offsetFrame = 0;
  /** Next stream frame to send here. */
  nextFrame = 0;
  /** Text starting before this stream frame was delivered by an earlier session. */
  acceptFromFrame = 0;
  /** Frames before this were replayed: text there may repeat what we already have. */
  replayedUntilFrame = 0;
  /** Audio seconds the server has processed (from `step.total_duration_s`). */
  processedS = 0;
  /** Stream frame before which all text has been received (advanced by `flushed`). */
  flushedUpToFrame = 0;
  delayInFrames = 16;
  draining = false;
  private closedNotified = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly events: SessionEvents,
    private readonly logger: ProviderLogger,
  ) {}

  /** Connects, sends `setup` and resolves on `ready`; server errors before that reject typed. */
  static async open(setup: GradiumSttSetup, events: SessionEvents): Promise<GradiumSttSession> {
    const ws = await connectWebSocket({
      provider: GRADIUM,
      url: setup.url,
      headers: { 'x-api-key': setup.apiKey, 'x-api-source': 'roomkit' },
      signal: setup.signal,
      timeoutMs: setup.connectTimeoutMs,
    });
    const session = new GradiumSttSession(ws, events, setup.logger);
    return new Promise<GradiumSttSession>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        if (!ready) fail(gradiumCloseError(1006, `no ready within ${setup.connectTimeoutMs} ms`));
      }, setup.connectTimeoutMs);
      const fail = (err: ProviderError) => {
        clearTimeout(timer);
        closeQuietly(ws);
        reject(err);
      };
      ws.on('message', (data) => {
        const msg = parseProviderMessage(
          gradiumSttMessage,
          messageText(data),
          setup.logger,
          GRADIUM_STT_TYPES,
        );
        if (!msg) return;
        if (ready) {
          session.dispatch(msg);
        } else if (msg.type === 'ready') {
          ready = true;
          clearTimeout(timer);
          if (msg.delay_in_frames !== undefined) session.delayInFrames = msg.delay_in_frames;
          resolve(session);
        } else if (msg.type === 'error') {
          fail(gradiumServerError(msg.code ?? undefined, msg.message));
        }
      });
      ws.on('close', (code, reasonBuf) => {
        const reason = reasonBuf.toString('utf8');
        if (!ready) fail(gradiumCloseError(code, reason));
        else session.onClose(code, reason);
      });
      ws.on('error', (err) => setup.logger.debug({ err: err.message }, 'gradium stt socket error'));
      sendJson(ws, {
        type: 'setup',
        model_name: setup.modelName,
        input_format: setup.inputFormat,
        json_config: setup.jsonConfig,
      });
    });
  }

  get isOpen(): boolean {
    return !this.closedNotified && this.ws.readyState === this.ws.OPEN;
  }

  /** Session age on both clocks the server may count: audio sent and wall time. */
  ageS(): number {
    const audioS = (this.nextFrame - this.offsetFrame) * 0.08;
    return Math.max(audioS, (performance.now() - this.openedAt) / 1000);
  }

  sendAudio(frame: Int16Array): void {
    const bytes = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    sendJson(this.ws, { type: 'audio', audio: bytes.toString('base64') });
    this.nextFrame++;
  }

  flush(flushId: number): void {
    sendJson(this.ws, { type: 'flush', flush_id: flushId });
  }

  /** Asks the server to finish: remaining text, then `end_of_stream`, then close. */
  endOfStream(): void {
    this.draining = true;
    sendJson(this.ws, { type: 'end_of_stream' });
  }

  close(): void {
    this.closedNotified = true;
    this.ws.removeAllListeners('message');
    closeQuietly(this.ws);
  }

  private errorSeen?: ProviderError;

  private dispatch(msg: GradiumSttMessage): void {
    if (this.closedNotified) return;
    if (msg.type === 'error') {
      // The close follows; report once, with the server's reason.
      this.errorSeen = gradiumServerError(msg.code ?? undefined, msg.message);
      return;
    }
    if (msg.type === 'step') this.processedS = msg.total_duration_s;
    this.events.message(this, msg);
  }

  private onClose(code: number, reason: string): void {
    if (this.closedNotified) return;
    this.closedNotified = true;
    const expected = this.draining && isNormalClose(code) && !this.errorSeen;
    this.logger.debug({ session: this.id, code, reason }, 'gradium stt session closed');
    this.events.closed(this, expected ? undefined : (this.errorSeen ?? gradiumCloseError(code, reason)));
  }
}
