import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CodedSpeechDecoder, type HeardWord } from './coded-speech-decoder.js';
import {
  type FakeConnection,
  FakeSpeechServer,
  type FakeServerOptions,
  type ReceivedMessage,
} from './fake-server.js';

export interface FakeDeepgramOptions extends FakeServerOptions {
  /** vocabulary[code - 1] transcribes coded speech. */
  vocabulary: readonly string[];
  /** Close with 1011 NET-0001 after this long without audio or KeepAlive (default 10 000 ms). */
  inactivityTimeoutMs?: number;
}

const FRAME_S = 0.02;
const INTERNAL_FINALIZE_S = 0.5;

interface ListenState {
  decoder: CodedSpeechDecoder;
  frameBytes: number;
  pending: Buffer;
  interim: boolean;
  endpointingS: number | undefined;
  utteranceEndS: number | undefined;
  vadEvents: boolean;
  segment: HeardWord[];
  awaitingUtteranceEnd: boolean;
  lastFinalWordEnd: number;
  inSpeech: boolean;
  requestId: string;
  timer?: NodeJS.Timeout;
}

/**
 * Deepgram live transcription (`/v1/listen`): query options, token auth (header or
 * subprotocol) refused at the handshake with `dg-error`, binary linear16 audio, interim
 * and final `Results` (speech_final on endpointing, from_finalize on Finalize),
 * `SpeechStarted`, `UtteranceEnd`, KeepAlive, CloseStream -> Metadata -> 1000, and the
 * 10 s inactivity close (1011 NET-0001).
 */
export class FakeDeepgramServer extends FakeSpeechServer {
  private readonly state = new WeakMap<FakeConnection, ListenState>();
  private drops: number[] = [];

  constructor(readonly options: FakeDeepgramOptions) {
    super(options);
  }

  /** The base URL a client should use (`baseUrl` option). */
  get baseUrl(): string {
    return this.wsUrl;
  }

  /** The next connection that reaches `atAudioS` seconds of audio loses its socket. */
  dropAtAudio(atAudioS: number): void {
    this.drops.push(atAudioS);
  }

  protected override checkUpgrade(url: URL, req: IncomingMessage) {
    if (url.pathname !== '/v1/listen') return { status: 404, body: 'Not Found' };
    const auth = String(req.headers.authorization ?? '');
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim());
    const key = auth.startsWith('Token ')
      ? auth.slice(6)
      : protocols[0] === 'token'
        ? protocols[1]
        : undefined;
    if (!this.isValidKey(key)) {
      const reason = 'Invalid credentials.';
      return {
        status: 401,
        body: JSON.stringify({ err_code: 'INVALID_AUTH', err_msg: reason }),
        headers: { 'dg-error': reason },
      };
    }
    const q = url.searchParams;
    const bad = (reason: string) => ({ status: 400, body: reason, headers: { 'dg-error': reason } });
    if (q.get('encoding') !== 'linear16') return bad('the fake supports encoding=linear16 only');
    if (!Number.isInteger(Number(q.get('sample_rate')))) return bad('sample_rate is required for raw audio');
    const ue = q.get('utterance_end_ms');
    if (ue !== null && Number(ue) < 1000) return bad('utterance_end_ms must be >= 1000');
    return undefined;
  }

  protected override accept(conn: FakeConnection): void {
    const q = conn.query;
    const rate = Number(q.get('sample_rate'));
    const endpointing = q.get('endpointing');
    const state: ListenState = {
      decoder: new CodedSpeechDecoder(this.options.vocabulary, FRAME_S),
      frameBytes: Math.round(rate * FRAME_S) * 2,
      pending: Buffer.alloc(0),
      interim: q.get('interim_results') === 'true',
      endpointingS: endpointing === 'false' ? undefined : Number(endpointing ?? 10) / 1000,
      utteranceEndS: q.get('utterance_end_ms') ? Number(q.get('utterance_end_ms')) / 1000 : undefined,
      vadEvents: q.get('vad_events') === 'true',
      segment: [],
      awaitingUtteranceEnd: false,
      lastFinalWordEnd: 0,
      inSpeech: false,
      requestId: randomUUID(),
    };
    this.state.set(conn, state);
    this.touch(conn, state);
  }

  protected override onClosed(conn: FakeConnection): void {
    clearTimeout(this.state.get(conn)?.timer);
  }

  protected override onMessage(conn: FakeConnection, message: ReceivedMessage): void {
    const s = this.state.get(conn);
    if (!s || conn.closeCode !== undefined) return;
    this.touch(conn, s);
    if (message.kind === 'binary') {
      if (message.data.byteLength === 0) this.closeAfterSends(conn, 1008, 'DATA-0000');
      else this.audio(conn, s, Buffer.from(message.data));
      return;
    }
    const type = message.kind === 'json' ? message.data.type : undefined;
    if (type === 'KeepAlive') return;
    if (type === 'Finalize') {
      s.decoder.closeCurrent();
      this.final(conn, s, { speechFinal: false, fromFinalize: true });
    } else if (type === 'CloseStream') {
      s.decoder.closeCurrent();
      this.final(conn, s, { speechFinal: true, fromFinalize: false });
      this.send(conn, {
        type: 'Metadata',
        transaction_key: 'deprecated',
        request_id: s.requestId,
        sha256: '0'.repeat(64),
        created: new Date().toISOString(),
        duration: s.decoder.processedS,
        channels: 1,
      });
      this.closeAfterSends(conn, 1000);
    }
  }

  private touch(conn: FakeConnection, s: ListenState): void {
    clearTimeout(s.timer);
    s.timer = setTimeout(
      () => this.closeAfterSends(conn, 1011, 'NET-0001'),
      this.options.inactivityTimeoutMs ?? 10_000,
    );
  }

  private audio(conn: FakeConnection, s: ListenState, bytes: Buffer): void {
    s.pending = Buffer.concat([s.pending, bytes]);
    while (s.pending.length >= s.frameBytes && conn.closeCode === undefined) {
      const frame = s.pending.subarray(0, s.frameBytes);
      s.pending = s.pending.subarray(s.frameBytes);
      this.frame(
        conn,
        s,
        new Int16Array(frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength)),
      );
      const drop = this.drops.findIndex((d) => s.decoder.processedS >= d - 1e-9);
      if (drop >= 0) {
        this.drops.splice(drop, 1);
        this.schedule(conn, 0, () => conn.socket.terminate());
        return;
      }
    }
  }

  private frame(conn: FakeConnection, s: ListenState, samples: Int16Array): void {
    const d = s.decoder;
    const { started, closed } = d.feedFrame(samples);
    if (started && !s.inSpeech) {
      s.inSpeech = true;
      if (s.vadEvents)
        this.send(conn, { type: 'SpeechStarted', channel: [0, 1], timestamp: r(started.startS) });
    }
    if (closed) {
      s.segment.push(closed);
      if (s.interim)
        this.results(conn, s, s.segment, { isFinal: false, speechFinal: false, fromFinalize: false });
    }
    // Without endpointing Deepgram still finalizes segments on its own; only speech_final is missing.
    const finalizeAfterS = s.endpointingS ?? INTERNAL_FINALIZE_S;
    if (s.segment.length > 0 && !d.speaking && d.silenceS >= finalizeAfterS - 1e-9) {
      this.final(conn, s, { speechFinal: s.endpointingS !== undefined, fromFinalize: false });
    }
    if (s.awaitingUtteranceEnd && s.utteranceEndS !== undefined && d.silenceS >= s.utteranceEndS - 1e-9) {
      s.awaitingUtteranceEnd = false;
      s.inSpeech = false;
      this.send(conn, { type: 'UtteranceEnd', channel: [0, 1], last_word_end: r(s.lastFinalWordEnd) });
    }
  }

  private final(
    conn: FakeConnection,
    s: ListenState,
    o: { speechFinal: boolean; fromFinalize: boolean },
  ): void {
    const words = [
      ...s.segment,
      ...s.decoder.words.filter((w) => w.closed && !s.segment.includes(w) && w.endS > s.lastFinalWordEnd),
    ];
    if (words.length === 0) return;
    s.segment = [];
    s.lastFinalWordEnd = words[words.length - 1].endS;
    s.awaitingUtteranceEnd = s.interim && s.utteranceEndS !== undefined;
    if (o.speechFinal && s.utteranceEndS === undefined) s.inSpeech = false;
    this.results(conn, s, words, { isFinal: true, ...o });
  }

  private results(
    conn: FakeConnection,
    s: ListenState,
    words: HeardWord[],
    o: { isFinal: boolean; speechFinal: boolean; fromFinalize: boolean },
  ): void {
    const start = words[0]?.startS ?? 0;
    const end = words[words.length - 1]?.endS ?? start;
    this.send(conn, {
      type: 'Results',
      channel_index: [0, 1],
      duration: r(end - start),
      start: r(start),
      is_final: o.isFinal,
      speech_final: o.speechFinal,
      from_finalize: o.fromFinalize,
      channel: {
        alternatives: [
          {
            transcript: words.map((w) => w.word).join(' '),
            confidence: 0.99,
            words: words.map((w) => ({
              word: w.word.toLowerCase(),
              start: r(w.startS),
              end: r(w.endS),
              confidence: 0.99,
              punctuated_word: w.word,
            })),
          },
        ],
      },
      metadata: {
        request_id: s.requestId,
        model_info: {
          name: `general-${conn.query.get('model') ?? 'nova-3'}`,
          version: 'fake',
          arch: conn.query.get('model') ?? 'nova-3',
        },
        model_uuid: '00000000-0000-0000-0000-000000000000',
      },
    });
  }
}

function r(n: number): number {
  return Math.round(n * 1e4) / 1e4;
}
