import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type FakeConnection,
  FakeSpeechServer,
  type FakeServerOptions,
  type ReceivedMessage,
} from './fake-server.js';
import { FakeVoiceLibrary } from './fake-voice-library.js';
import { gradiumHandshakeError, withReqId } from './gradium-protocol.js';
import { streamingWavHeader } from './wav-stream.js';

export interface FakeGradiumTTSOptions extends FakeServerOptions {
  /** Audio per spoken word, seconds (default 0.24 = three 80 ms chunks). */
  wordS?: number;
  /** Words the "model" holds back for context until more text, `<flush>` or end_of_stream (default 2). */
  holdBackWords?: number;
  /** Extra delay between consecutive audio chunks, ms (default 0): a slow generator. */
  chunkIntervalMs?: number;
  /** Audio seconds one session may produce before the server ends it (default 300). */
  sessionLimitS?: number;
}

const OUTPUT_RATES: Record<string, number> = {
  pcm: 48_000,
  wav: 48_000,
  pcm_8000: 8_000,
  pcm_16000: 16_000,
  pcm_22050: 22_050,
  pcm_24000: 24_000,
  pcm_44100: 44_100,
  pcm_48000: 48_000,
};
const CHUNK_S = 0.08;

interface TtsRequest {
  reqId?: string;
  /** 1-based order of this request on the server: every sample of its audio equals it, so tests can check routing. */
  ordinal: number;
  rate: number;
  /** `output_format: wav` (the default): the first audio chunk starts with a WAV header. */
  wavHeader?: Uint8Array;
  pendingWords: string[];
  t: number;
  closeOnEos: boolean;
  ended: boolean;
  text: string[];
}

/**
 * Gradium TTS (`/api/speech/tts`) plus the voices REST API (`/api/voices/`): setup/ready,
 * text joined with single spaces, `<flush>`, 80 ms `audio` chunks with start_s/stop_s,
 * `text` word timestamps, `end_of_stream`, errors with 1008/1011, multiplexing by
 * client_req_id (`close_ws_on_eos: false`), and the session cap.
 */
export class FakeGradiumTTSServer extends FakeSpeechServer {
  readonly voices = new FakeVoiceLibrary();
  private readonly requests = new WeakMap<FakeConnection, Map<string, TtsRequest>>();
  private ordinals = 0;

  constructor(readonly options: FakeGradiumTTSOptions = {}) {
    super(options);
  }

  get endpoint(): string {
    return `${this.wsUrl}/api/speech/tts`;
  }

  /** All text each request received, by request ordinal (what was "spoken"). */
  readonly spokenText = new Map<number, string>();

  protected override accept(conn: FakeConnection): void {
    this.requests.set(conn, new Map());
    const problem = gradiumHandshakeError(conn, '/api/speech/tts', (key) => this.isValidKey(key));
    if (problem) this.fail(conn, undefined, 1008, problem);
  }

  protected override onMessage(conn: FakeConnection, message: ReceivedMessage): void {
    const requests = this.requests.get(conn);
    if (!requests || conn.closeCode !== undefined) return;
    if (message.kind !== 'json') {
      this.fail(conn, undefined, 1008, 'messages must be JSON text frames');
      return;
    }
    const msg = message.data;
    const reqId = typeof msg.client_req_id === 'string' ? msg.client_req_id : undefined;
    if (msg.type === 'setup') {
      this.setup(conn, requests, msg, reqId);
      return;
    }
    const req = requests.get(reqId ?? '');
    if (!req || req.ended) {
      this.fail(conn, reqId, 1008, `received ${String(msg.type)} before setup`);
      return;
    }
    if (msg.type === 'text') this.text(conn, req, String(msg.text ?? ''));
    else if (msg.type === 'end_of_stream') this.endOfStream(conn, requests, req);
    else this.fail(conn, reqId, 1008, `unknown message type ${String(msg.type)}`);
  }

  protected override async handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!url.pathname.startsWith('/api/voices')) {
      await super.handleHttp(req, res, url);
      return;
    }
    if (!this.isValidKey(req.headers['x-api-key'] as string | undefined)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"detail":"Invalid API key"}');
      return;
    }
    await this.voices.handle(req, res, url);
  }

  private setup(
    conn: FakeConnection,
    requests: Map<string, TtsRequest>,
    msg: Record<string, unknown>,
    reqId?: string,
  ) {
    const existing = requests.get(reqId ?? '');
    if (existing && !existing.ended) {
      this.fail(conn, reqId, 1008, `client_req_id ${reqId} is already active`);
      return;
    }
    let config: Record<string, unknown> = {};
    try {
      config =
        typeof msg.json_config === 'string'
          ? JSON.parse(msg.json_config)
          : ((msg.json_config as object) ?? {});
    } catch {
      this.fail(conn, reqId, 1008, 'json_config is not valid JSON');
      return;
    }
    const format = (msg.output_format as string | undefined) ?? 'wav';
    const rate = OUTPUT_RATES[format];
    const pb = config.padding_bonus as number | undefined;
    const temp = config.temp as number | undefined;
    const problem =
      rate === undefined
        ? `unsupported output_format ${format} (the fake speaks WAV and PCM only)`
        : pb !== undefined && (pb < -4 || pb > 4)
          ? 'padding_bonus must be within [-4, 4]'
          : temp !== undefined && (temp < 0 || temp > 1.4)
            ? 'temp must be within [0, 1.4]'
            : undefined;
    if (problem) {
      this.fail(conn, reqId, 1008, problem);
      return;
    }
    const ordinal = ++this.ordinals;
    requests.set(reqId ?? '', {
      reqId,
      ordinal,
      rate,
      wavHeader: format === 'wav' ? streamingWavHeader(rate) : undefined,
      pendingWords: [],
      t: 0,
      closeOnEos: msg.close_ws_on_eos !== false,
      ended: false,
      text: [],
    });
    this.send(
      conn,
      withReqId(
        {
          type: 'ready',
          request_id: randomUUID(),
          model_name: (msg.model_name as string | undefined) ?? 'default',
          sample_rate: rate,
          frame_size: Math.round(rate * CHUNK_S),
          audio_stream_names: [],
          text_stream_names: [],
        },
        reqId,
      ),
    );
  }

  private text(conn: FakeConnection, req: TtsRequest, text: string): void {
    const flush = text.includes('<flush>');
    const clean = text.replace(/<flush>/g, ' ').replace(/<break[^>]*\/>/g, ' ');
    const words = clean.split(/\s+/).filter(Boolean);
    req.text.push(...words);
    this.spokenText.set(req.ordinal, req.text.join(' '));
    req.pendingWords.push(...words);
    const hold = flush ? 0 : (this.options.holdBackWords ?? 2);
    this.generate(conn, req, req.pendingWords.length - hold);
  }

  private generate(conn: FakeConnection, req: TtsRequest, count: number): void {
    const words = req.pendingWords.splice(0, Math.max(0, count));
    const wordS = this.options.wordS ?? 0.24;
    const samplesPerChunk = Math.round(req.rate * CHUNK_S);
    const limit = this.options.sessionLimitS ?? 300;
    for (const word of words) {
      const start = req.t;
      this.send(
        conn,
        withReqId(
          { type: 'text', text: word, start_s: r(start), stop_s: r(start + wordS), stream_id: 0 },
          req.reqId,
        ),
      );
      for (let t = 0; t < wordS - 1e-9; t += CHUNK_S) {
        const pcm = new Int16Array(samplesPerChunk).fill(req.ordinal);
        const header = req.wavHeader ?? new Uint8Array(0);
        req.wavHeader = undefined;
        const audio = Buffer.concat([header, Buffer.from(pcm.buffer)]).toString('base64');
        const s = start + t;
        this.send(
          conn,
          withReqId({ type: 'audio', audio, start_s: r(s), stop_s: r(s + CHUNK_S), stream_id: 0 }, req.reqId),
          this.options.chunkIntervalMs ?? 0,
        );
      }
      req.t = start + wordS;
      if (req.t >= limit) {
        this.fail(conn, req.reqId, 1008, `session duration limit reached (${limit} s)`);
        return;
      }
    }
  }

  private endOfStream(conn: FakeConnection, requests: Map<string, TtsRequest>, req: TtsRequest): void {
    this.generate(conn, req, req.pendingWords.length);
    req.ended = true;
    this.send(conn, withReqId({ type: 'end_of_stream' }, req.reqId));
    const othersActive = [...requests.values()].some((x) => !x.ended);
    if (req.closeOnEos && !othersActive) this.closeAfterSends(conn, 1000);
  }

  private fail(conn: FakeConnection, reqId: string | undefined, code: number, message: string): void {
    this.send(conn, withReqId({ type: 'error', message, code }, reqId));
    this.closeAfterSends(conn, code, message.slice(0, 100));
    for (const r of this.requests.get(conn)?.values() ?? []) r.ended = true;
  }
}

function r(n: number): number {
  return Math.round(n * 1e4) / 1e4;
}
