import { randomUUID } from 'node:crypto';
import { CodedSpeechDecoder } from './coded-speech-decoder.js';
import {
  type FakeConnection,
  FakeSpeechServer,
  type FakeServerOptions,
  type ReceivedMessage,
} from './fake-server.js';
import { gradiumHandshakeError, withReqId } from './gradium-protocol.js';
import { WavStreamReader } from './wav-stream.js';

/** Inactivity probability for one horizon, given how long the speaker has been silent. */
export type FakeVadModel = (silenceS: number, horizonS: number, speaking: boolean) => number;

/**
 * Default: ~0 while speaking, then rising linearly so that the probability for horizon h
 * reaches 1 after h seconds of silence (capped at 0.98). Short horizons rise first, which
 * is what lets presets trade speed for caution.
 */
export const defaultFakeVad: FakeVadModel = (silenceS, horizonS, speaking) =>
  speaking ? 0.02 : Math.min(0.98, 0.02 + silenceS / horizonS);

export interface FakeGradiumSTTOptions extends FakeServerOptions {
  /** vocabulary[code - 1] transcribes coded speech (RenderedSpeech.vocabulary). */
  vocabulary: readonly string[];
  /** Text lags audio by this much; default: the session's delay_in_frames x 80 ms. */
  textDelayS?: number;
  /** Audio seconds one session may carry before the server ends it (default 300). */
  sessionLimitS?: number;
  /** Horizons reported in each step (default [0.5, 1, 2]). */
  horizons?: number[];
  vad?: FakeVadModel;
  /** Extra delay before `flushed` (slow flush), in ms. */
  flushDelayMs?: number;
}

/** Input formats and the rate `ready` reports (a WAV says its own rate in its header). */
const PCM_RATES: Record<string, number> = {
  wav: 24_000,
  pcm: 24_000,
  pcm_8000: 8_000,
  pcm_16000: 16_000,
  pcm_22050: 22_050,
  pcm_24000: 24_000,
  pcm_44100: 44_100,
  pcm_48000: 48_000,
};
const LANGUAGES = new Set(['en', 'fr', 'de', 'es', 'pt']);
const DELAYS = new Set([7, 8, 10, 12, 14, 16, 20, 24, 32, 36, 48]);
const FRAME_S = 0.08;

interface SttRequest {
  reqId?: string;
  decoder: CodedSpeechDecoder;
  frameBytes: number;
  /** `input_format: wav`: the streamed file's reader; frames are sized once its header is read. */
  wav?: WavStreamReader;
  pending: Buffer;
  stepIdx: number;
  textDelayS: number;
  closeOnEos: boolean;
  emitted: Set<unknown>;
  ended: boolean;
}

interface ConnState {
  requests: Map<string, SttRequest>;
}

/**
 * Gradium STT (`/api/speech/asr`) as documented: setup/ready, base64 audio, one `step`
 * per 80 ms frame with inactivity probabilities per horizon, `text` + `end_text` lagging
 * the audio, `flush`/`flushed` (flush_id echoed verbatim), `end_of_stream`, `error` +
 * close 1008/1011, the per-session limit, and client_req_id multiplexing.
 */
export class FakeGradiumSTTServer extends FakeSpeechServer {
  private readonly state = new WeakMap<FakeConnection, ConnState>();
  private faults: { atAudioS: number; kind: 'drop' | 'error'; code?: number; message?: string }[] = [];

  constructor(readonly options: FakeGradiumSTTOptions) {
    super(options);
  }

  /** The endpoint a client should use (`endpoint` option). */
  get endpoint(): string {
    return `${this.wsUrl}/api/speech/asr`;
  }

  /** The next session that reaches `atAudioS` seconds of audio loses its socket (no close frame). */
  dropAtAudio(atAudioS: number): void {
    this.faults.push({ atAudioS, kind: 'drop' });
  }

  /** The next session that reaches `atAudioS` gets an `error` (default 1011) and is closed. */
  errorAtAudio(atAudioS: number, code = 1011, message = 'internal server error'): void {
    this.faults.push({ atAudioS, kind: 'error', code, message });
  }

  /** Every `text` the fake sent on a connection, in order. */
  textsSent(conn: FakeConnection): string[] {
    return conn.sent.flatMap((m) =>
      !(m.data instanceof Uint8Array) && m.data.type === 'text' ? [String(m.data.text)] : [],
    );
  }

  protected override accept(conn: FakeConnection): void {
    this.state.set(conn, { requests: new Map() });
    const problem = gradiumHandshakeError(conn, '/api/speech/asr', (key) => this.isValidKey(key));
    if (problem) this.fail(conn, undefined, 1008, problem);
  }

  protected override onMessage(conn: FakeConnection, message: ReceivedMessage): void {
    const state = this.state.get(conn);
    if (!state || conn.closeCode !== undefined) return;
    if (message.kind !== 'json') {
      this.fail(conn, undefined, 1008, 'messages must be JSON text frames');
      return;
    }
    const msg = message.data;
    const reqId = typeof msg.client_req_id === 'string' ? msg.client_req_id : undefined;
    const req = state.requests.get(reqId ?? '');
    if (msg.type === 'setup') {
      this.setup(conn, state, msg, reqId);
      return;
    }
    if (!req || req.ended) {
      this.fail(conn, reqId, 1008, `received ${String(msg.type)} before setup`);
      return;
    }
    switch (msg.type) {
      case 'audio':
        this.audio(conn, req, String(msg.audio ?? ''));
        break;
      case 'flush':
        this.emitText(conn, req, true);
        this.send(
          conn,
          stamp({ type: 'flushed', flush_id: msg.flush_id }, req),
          this.options.flushDelayMs ?? 0,
        );
        break;
      case 'end_of_stream':
        this.endOfStream(conn, state, req);
        break;
      default:
        this.fail(conn, reqId, 1008, `unknown message type ${String(msg.type)}`);
    }
  }

  private setup(conn: FakeConnection, state: ConnState, msg: Record<string, unknown>, reqId?: string): void {
    const existing = state.requests.get(reqId ?? '');
    if (existing && !existing.ended) {
      this.fail(conn, reqId, 1008, `client_req_id ${reqId ?? '(none)'} is already active`);
      return;
    }
    let config: Record<string, unknown> = {};
    try {
      const raw = msg.json_config;
      config = typeof raw === 'string' ? JSON.parse(raw) : ((raw as Record<string, unknown>) ?? {});
    } catch {
      this.fail(conn, reqId, 1008, 'json_config is not valid JSON');
      return;
    }
    const format = (msg.input_format as string | undefined) ?? 'wav';
    const rate = PCM_RATES[format];
    const delay = (config.delay_in_frames ?? config.delay_in_tokens ?? 16) as number;
    const problem =
      rate === undefined
        ? `unsupported input_format ${format} (the fake speaks PCM and WAV only)`
        : config.language !== undefined && !LANGUAGES.has(String(config.language))
          ? `unsupported language ${String(config.language)}`
          : !DELAYS.has(delay)
            ? `invalid delay_in_frames ${delay}`
            : undefined;
    if (problem) {
      this.fail(conn, reqId, 1008, problem);
      return;
    }
    const req: SttRequest = {
      reqId,
      decoder: new CodedSpeechDecoder(this.options.vocabulary, FRAME_S),
      frameBytes: Math.round(rate * FRAME_S) * 2,
      wav: format === 'wav' ? new WavStreamReader() : undefined,
      pending: Buffer.alloc(0),
      stepIdx: 0,
      textDelayS: this.options.textDelayS ?? delay * FRAME_S,
      closeOnEos: msg.close_ws_on_eos !== false,
      emitted: new Set(),
      ended: false,
    };
    state.requests.set(reqId ?? '', req);
    this.send(
      conn,
      stamp(
        {
          type: 'ready',
          request_id: randomUUID(),
          model_name: (msg.model_name as string | undefined) ?? 'default',
          sample_rate: rate,
          frame_size: req.frameBytes / 2,
          delay_in_frames: delay,
          text_stream_names: [],
        },
        req,
      ),
    );
  }

  private audio(conn: FakeConnection, req: SttRequest, b64: string): void {
    let bytes: Uint8Array = Buffer.from(b64, 'base64');
    if (req.wav) {
      const pcm = req.wav.push(bytes);
      if (req.wav.error) {
        this.fail(conn, req.reqId, 1008, req.wav.error);
        return;
      }
      if (req.wav.sampleRate) req.frameBytes = Math.round(req.wav.sampleRate * FRAME_S) * 2;
      bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    }
    req.pending = Buffer.concat([req.pending, bytes]);
    while (req.pending.length >= req.frameBytes && conn.closeCode === undefined && !req.ended) {
      const frame = req.pending.subarray(0, req.frameBytes);
      req.pending = req.pending.subarray(req.frameBytes);
      const samples = new Int16Array(
        frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength),
      );
      this.step(conn, req, samples);
    }
  }

  private step(conn: FakeConnection, req: SttRequest, samples: Int16Array): void {
    const d = req.decoder;
    d.feedFrame(samples);
    this.emitText(conn, req, false);
    const vad = this.options.vad ?? defaultFakeVad;
    this.send(
      conn,
      stamp(
        {
          type: 'step',
          vad: (this.options.horizons ?? [0.5, 1, 2]).map((h) => ({
            horizon_s: h,
            inactivity_prob: round(vad(d.silenceS, h, d.speaking)),
          })),
          step_idx: req.stepIdx++,
          step_duration_s: FRAME_S,
          total_duration_s: round(d.processedS),
        },
        req,
      ),
    );
    this.applyFaults(conn, req);
  }

  private applyFaults(conn: FakeConnection, req: SttRequest): void {
    const processed = req.decoder.processedS;
    const fault = this.faults.find((f) => processed >= f.atAudioS - 1e-9);
    if (fault) {
      this.faults.splice(this.faults.indexOf(fault), 1);
      if (fault.kind === 'drop') {
        // Let what is already queued go out first, then vanish like a dead network.
        this.schedule(conn, 0, () => conn.socket.terminate());
      } else {
        this.fail(conn, req.reqId, fault.code ?? 1011, fault.message ?? 'internal server error');
      }
      return;
    }
    const limit = this.options.sessionLimitS ?? 300;
    if (processed >= limit - 1e-9) {
      this.fail(conn, req.reqId, 1008, `session duration limit reached (${limit} s)`);
    }
  }

  /** Sends text for words the model has "decided": closed and older than the delay, or all on flush. */
  private emitText(conn: FakeConnection, req: SttRequest, all: boolean): void {
    const d = req.decoder;
    if (all) d.closeCurrent();
    for (const w of d.words) {
      if (req.emitted.has(w) || !w.closed) continue;
      if (!all && w.endS + req.textDelayS > d.processedS + 1e-9) continue;
      req.emitted.add(w);
      this.send(conn, stamp({ type: 'text', text: w.word, start_s: round(w.startS), stream_id: 0 }, req));
      this.send(conn, stamp({ type: 'end_text', stop_s: round(w.endS), stream_id: 0 }, req));
    }
  }

  private endOfStream(conn: FakeConnection, state: ConnState, req: SttRequest): void {
    this.emitText(conn, req, true);
    req.ended = true;
    this.send(conn, stamp({ type: 'end_of_stream' }, req));
    const othersActive = [...state.requests.values()].some((r) => !r.ended);
    if (req.closeOnEos && !othersActive) this.closeAfterSends(conn, 1000);
  }

  private fail(conn: FakeConnection, reqId: string | undefined, code: number, message: string): void {
    this.send(conn, withReqId({ type: 'error', message, code }, reqId));
    this.closeAfterSends(conn, code, message.slice(0, 100));
    const state = this.state.get(conn);
    if (state) for (const r of state.requests.values()) r.ended = true;
  }
}

function stamp(msg: Record<string, unknown>, req: SttRequest): Record<string, unknown> {
  return withReqId(msg, req.reqId);
}

function round(n: number): number {
  return Math.round(n * 1e4) / 1e4;
}
