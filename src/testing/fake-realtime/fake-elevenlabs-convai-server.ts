import type { IncomingMessage, ServerResponse } from 'node:http';
import { base64ToPcm16, pcm16ToBase64 } from '../../realtime/pcm.js';
import { mulawDecode, mulawEncode } from '../../voice/audio/g711.js';
import {
  type FakeRealtimeConnection,
  FakeRealtimeServer,
  type FakeRealtimeServerOptions,
} from './fake-server-base.js';
import { type ReplyChunk, transcriptDeltas } from './script.js';
import { requestUrl } from '../fake-ai/request-url.js';

export type ElevenLabsAudioFormat =
  | 'pcm_8000'
  | 'pcm_16000'
  | 'pcm_22050'
  | 'pcm_24000'
  | 'pcm_44100'
  | 'pcm_48000'
  | 'ulaw_8000';

export interface FakeElevenLabsConvaiServerOptions extends FakeRealtimeServerOptions {
  /** The key accepted as `xi-api-key` (default 'test-key'). */
  apiKey?: string;
  /** The only agent id served (default 'agent_test'). */
  agentId?: string;
  /** A private agent: the socket needs a signed URL's signature or a valid `xi-api-key`. */
  requireAuth?: boolean;
  /** Announced formats (default pcm_16000 both ways). */
  userInputAudioFormat?: ElevenLabsAudioFormat;
  agentOutputAudioFormat?: ElevenLabsAudioFormat;
  /** Send `ping`s this often (default: off; `ping()` sends one on demand). */
  pingIntervalMs?: number;
}

export interface ElevenLabsFakeState {
  initiation?: Record<string, any>;
  eventId: number;
  /** The last audio event id sent of the current answer. */
  lastAudioId: number;
  replyText: string;
  spokenText: string;
}

type Conn = FakeRealtimeConnection<ElevenLabsFakeState>;
const PATH = '/v1/convai/conversation';

/**
 * A fake ElevenLabs Agents server: `/v1/convai/conversation?agent_id=`, signed URLs from
 * `GET /v1/convai/conversation/get-signed-url`, `conversation_initiation_client_data` ->
 * `conversation_initiation_metadata`, `user_audio_chunk` in, `audio` out with increasing
 * event ids, transcripts, `interruption` (+ late audio the client must drop),
 * `client_tool_call` / `client_tool_result`, `ping` / `pong`, errors and close codes.
 */
export class FakeElevenLabsConvaiServer extends FakeRealtimeServer<ElevenLabsFakeState> {
  /** Signatures handed out by the signed-URL endpoint. */
  readonly signatures = new Set<string>();
  private pingCounter = 0;

  constructor(private readonly elOptions: FakeElevenLabsConvaiServerOptions = {}) {
    super(elOptions);
  }

  private get apiKey(): string {
    return this.elOptions.apiKey ?? 'test-key';
  }

  private get agentId(): string {
    return this.elOptions.agentId ?? 'agent_test';
  }

  /** Send a ping; resolves to its event id (the client must pong with it). */
  ping(conn: Conn, pingMs = 50): number {
    this.pingCounter += 1;
    this.send(conn, { type: 'ping', ping_event: { event_id: this.pingCounter, ping_ms: pingMs } });
    return this.pingCounter;
  }

  /** Pongs received on a connection, by event id. */
  pongs(conn: Conn): number[] {
    return conn.messages((m) => m.type === 'pong').map((m) => m.event_id);
  }

  /** A fatal agent failure: an error event, then close 1011. */
  failSession(conn: Conn): void {
    this.send(conn, {
      type: 'error',
      error_event: { code: 1011, message: 'Internal server error', error_type: 'unknown' },
    });
    this.closeConnection(conn, 1011, 'Internal server error');
  }

  /** The agent hangs up (an end-call tool, say): close 1000. */
  endCall(conn: Conn): void {
    this.closeConnection(conn, 1000, 'Agent ended the conversation');
  }

  protected override handleHttp(req: IncomingMessage, res: ServerResponse): boolean {
    const url = requestUrl(req);
    if (url.pathname !== `${PATH}/get-signed-url`) return false;
    if (req.headers['xi-api-key'] !== this.apiKey) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ detail: { status: 'invalid_api_key', message: 'Invalid API key' } }));
    } else if (url.searchParams.get('agent_id') !== this.agentId) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ detail: { status: 'agent_not_found', message: 'Agent not found' } }));
    } else {
      const signature = `sig_${this.signatures.size + 1}`;
      this.signatures.add(signature);
      const signed_url = `${this.url}${PATH}?agent_id=${this.agentId}&conversation_signature=${signature}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ signed_url }));
    }
    return true;
  }

  protected createState(): ElevenLabsFakeState {
    return { eventId: 0, lastAudioId: 0, replyText: '', spokenText: '' };
  }

  protected checkUpgrade(_req: IncomingMessage, url: URL): { status: number; body: string } | undefined {
    if (url.pathname !== PATH || url.searchParams.get('agent_id') !== this.agentId) {
      return { status: 404, body: '{"detail":"Agent not found"}' };
    }
    return undefined;
  }

  protected onOpen(conn: Conn): void {
    const signature =
      conn.url.searchParams.get('conversation_signature') ?? conn.url.searchParams.get('token');
    const key = conn.headers['xi-api-key'];
    const signed = signature !== null && this.signatures.has(signature);
    const keyOk = key === this.apiKey;
    if ((this.elOptions.requireAuth && !signed && !keyOk) || (key !== undefined && !keyOk)) {
      this.closeConnection(conn, 1008, 'Invalid signature or API key');
      return;
    }
    const every = this.elOptions.pingIntervalMs;
    if (every) {
      const timer = setInterval(() => (conn.closed ? clearInterval(timer) : this.ping(conn)), every);
      timer.unref();
    }
  }

  protected onMessage(conn: Conn, msg: any): void {
    if (typeof msg.user_audio_chunk === 'string') {
      const input = format(this.elOptions.userInputAudioFormat ?? 'pcm_16000');
      const bytes = Buffer.from(msg.user_audio_chunk, 'base64');
      this.handleUserAudio(
        conn,
        input.ulaw ? mulawDecode(bytes) : base64ToPcm16(msg.user_audio_chunk),
        input.rate,
      );
      return;
    }
    switch (msg.type) {
      case 'conversation_initiation_client_data':
        this.initiate(conn, msg);
        break;
      case 'client_tool_result':
        if (conn.pendingTool && msg.tool_call_id === conn.pendingTool.callId)
          void this.continueAfterTool(conn);
        break;
      case 'user_message':
      case 'multimodal_message': // text and/or file references, answered like a typed message
        void this.respond(conn, { ...this.nextTurn(), userTranscript: undefined });
        break;
      case 'pong':
      case 'contextual_update':
      case 'user_activity':
      case 'feedback':
        break;
      default:
        this.send(conn, {
          type: 'error',
          error_event: {
            code: 1008,
            message: `Invalid message type: ${msg.type}`,
            error_type: 'invalid_message',
          },
        });
    }
  }

  private initiate(conn: Conn, msg: any): void {
    conn.state.initiation = msg;
    const output = this.elOptions.agentOutputAudioFormat ?? 'pcm_16000';
    const input = this.elOptions.userInputAudioFormat ?? 'pcm_16000';
    this.send(conn, {
      type: 'conversation_initiation_metadata',
      conversation_initiation_metadata_event: {
        conversation_id: `conv_${conn.id}`,
        agent_output_audio_format: output,
        user_input_audio_format: input,
      },
    });
    const first = msg.conversation_config_override?.agent?.first_message;
    if (first) void this.playReply(conn, { text: first });
  }

  protected outputRate(): number {
    return format(this.elOptions.agentOutputAudioFormat ?? 'pcm_16000').rate;
  }

  protected onSpeechStarted(conn: Conn, bargeIn: boolean): void {
    this.send(conn, { type: 'vad_score', vad_score_event: { vad_score: 0.92 } });
    if (bargeIn)
      this.send(conn, { type: 'interruption', interruption_event: { event_id: conn.state.lastAudioId } });
  }

  protected onSpeechStopped(): boolean {
    return true;
  }

  protected emitUserTranscript(conn: Conn, text: string): void {
    let soFar = '';
    for (const delta of transcriptDeltas(text)) {
      soFar += delta;
      this.send(conn, {
        type: 'tentative_user_transcript',
        tentative_user_transcription_event: { user_transcript: soFar.trim(), event_id: this.nextId(conn) },
      });
    }
    this.send(conn, {
      type: 'user_transcript',
      user_transcription_event: { user_transcript: text, event_id: this.nextId(conn) },
    });
  }

  protected beginResponse(conn: Conn): void {
    conn.state.spokenText = '';
  }

  protected emitReplyChunk(conn: Conn, chunk: ReplyChunk): void {
    const st = conn.state;
    if (chunk.index === 0) {
      st.replyText = chunk.replyText;
      this.send(conn, {
        type: 'agent_response',
        agent_response_event: { agent_response: chunk.replyText, event_id: this.nextId(conn) },
      });
    }
    st.spokenText += chunk.text;
    st.lastAudioId = this.nextId(conn);
    this.send(conn, {
      type: 'audio',
      audio_event: { audio_base_64: this.encode(chunk.audio), event_id: st.lastAudioId },
    });
  }

  protected endResponse(conn: Conn, status: 'completed' | 'cancelled'): void {
    const st = conn.state;
    if (status !== 'cancelled' || !st.replyText) return;
    this.send(conn, {
      type: 'agent_response_correction',
      agent_response_correction_event: {
        original_agent_response: st.replyText,
        corrected_agent_response: st.spokenText.trim(),
        event_id: this.nextId(conn),
      },
    });
  }

  /** In-flight audio keeps its (old) event id, at or below the interruption's. */
  protected override emitLateChunk(conn: Conn, chunk: ReplyChunk): void {
    const audio_event = { audio_base_64: this.encode(chunk.audio), event_id: conn.state.lastAudioId };
    this.send(conn, { type: 'audio', audio_event });
  }

  protected emitToolCall(
    conn: Conn,
    call: { callId: string; name: string; arguments: Record<string, unknown> },
  ): void {
    this.send(conn, {
      type: 'client_tool_call',
      client_tool_call: {
        tool_name: call.name,
        tool_call_id: call.callId,
        parameters: call.arguments,
        event_id: this.nextId(conn),
      },
    });
  }

  private encode(pcm: Int16Array): string {
    const out = format(this.elOptions.agentOutputAudioFormat ?? 'pcm_16000');
    return out.ulaw ? Buffer.from(mulawEncode(pcm)).toString('base64') : pcm16ToBase64(pcm);
  }

  private nextId(conn: Conn): number {
    conn.state.eventId += 1;
    return conn.state.eventId;
  }
}

function format(name: ElevenLabsAudioFormat): { ulaw: boolean; rate: number } {
  const [kind, rate] = name.split('_');
  return { ulaw: kind === 'ulaw', rate: Number(rate) };
}
