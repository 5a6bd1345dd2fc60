import type { IncomingMessage } from 'node:http';
import { base64ToPcm16, pcm16ToBase64 } from '../../realtime/pcm.js';
import {
  type FakeRealtimeConnection,
  FakeRealtimeServer,
  type FakeRealtimeServerOptions,
} from './fake-server-base.js';
import { type ReplyChunk, transcriptDeltas } from './script.js';

export interface FakeGeminiLiveServerOptions extends FakeRealtimeServerOptions {
  /** The only key accepted (default 'test-key'); others get close 1007 after setup. */
  apiKey?: string;
  /** Connection lifetime (default 10 min): `goAway` comes `goAwayLeadMs` before it ends. */
  connectionLifetimeMs?: number;
  /** Default 60 s, as documented. */
  goAwayLeadMs?: number;
}

export interface GeminiFakeState {
  /** The setup message of this connection (undefined until it arrived). */
  setup?: Record<string, any>;
  /** The handle this connection resumed, if any. */
  resumedHandle?: string;
  /** Content was sent in the current model turn. */
  turnHasContent: boolean;
}

type Conn = FakeRealtimeConnection<GeminiFakeState>;
/**
 * The BidiGenerateContent endpoint under any API version. Google's front end folds repeated
 * slashes: @google/genai joins its base URL's trailing slash with `/ws/...`, so it dials `//ws/...`.
 */
const PATH =
  /^\/+ws\/google\.ai\.generativelanguage\.(v1|v1beta|v1alpha)\.GenerativeService\.BidiGenerateContent$/;
const INPUT_MIME = 'audio/pcm;rate=16000';

/**
 * A fake Gemini Live (BidiGenerateContent) server: key in the query, `setup` first ->
 * `setupComplete`, 16 kHz `realtimeInput` audio (or manual activityStart/End), `serverContent`
 * audio at 24 kHz with input/output transcriptions, `toolCall` / `toolResponse`, barge-in
 * (`interrupted`), session resumption handles, `goAway`, and errors as close codes.
 */
export class FakeGeminiLiveServer extends FakeRealtimeServer<GeminiFakeState> {
  private handleCounter = 0;
  /** Handles issued, so a resuming setup can be checked. */
  readonly handles = new Set<string>();

  constructor(private readonly geminiOptions: FakeGeminiLiveServerOptions = {}) {
    super(geminiOptions);
  }

  /** What the real server sends before it ends a connection. */
  sendGoAway(conn: Conn, timeLeftMs: number): void {
    this.send(conn, { goAway: { timeLeft: `${timeLeftMs / 1000}s` } });
  }

  /** A fatal server failure, the Gemini way: a close frame with a reason. */
  failSession(conn: Conn): void {
    this.closeConnection(conn, 1011, 'Internal error occurred.');
  }

  protected createState(): GeminiFakeState {
    return { turnHasContent: false };
  }

  protected checkUpgrade(_req: IncomingMessage, url: URL): { status: number; body: string } | undefined {
    if (!PATH.test(url.pathname))
      return { status: 404, body: '{"error":{"code":404,"message":"Not Found"}}' };
    return undefined;
  }

  protected onOpen(conn: Conn): void {
    const lifetime = this.geminiOptions.connectionLifetimeMs;
    if (lifetime === undefined) return;
    const lead = Math.min(this.geminiOptions.goAwayLeadMs ?? 60_000, lifetime);
    setTimeout(() => !conn.closed && this.sendGoAway(conn, lead), lifetime - lead).unref();
    setTimeout(
      () => !conn.closed && this.closeConnection(conn, 1000, 'Connection lifetime reached.'),
      lifetime,
    ).unref();
  }

  protected onMessage(conn: Conn, msg: any): void {
    if (!conn.state.setup) {
      this.handleSetup(conn, msg);
      return;
    }
    if (msg.realtimeInput) this.handleRealtimeInput(conn, msg.realtimeInput);
    else if (msg.clientContent) {
      if (msg.clientContent.turnComplete)
        void this.respond(conn, { ...this.nextTurn(), userTranscript: undefined });
    } else if (msg.toolResponse) {
      const ids = (msg.toolResponse.functionResponses ?? []).map((r: any) => r.id);
      if (conn.pendingTool && ids.includes(conn.pendingTool.callId)) void this.continueAfterTool(conn);
    } else this.closeConnection(conn, 1007, 'Request contains an invalid argument.');
  }

  private handleSetup(conn: Conn, msg: any): void {
    const handle = msg.setup?.sessionResumption?.handle;
    if (!msg.setup) this.closeConnection(conn, 1007, 'Request contains an invalid argument.');
    else if (conn.url.searchParams.get('key') !== (this.geminiOptions.apiKey ?? 'test-key')) {
      this.closeConnection(conn, 1007, 'API key not valid. Please pass a valid API key.');
    } else if (handle !== undefined && !this.handles.has(handle)) {
      this.closeConnection(conn, 1008, 'Requested entity was not found.');
    } else {
      conn.state.setup = msg.setup;
      conn.state.resumedHandle = handle;
      this.send(conn, { setupComplete: {} });
      this.issueHandle(conn);
    }
  }

  private handleRealtimeInput(conn: Conn, input: any): void {
    const chunks = input.audio ? [input.audio] : (input.mediaChunks ?? []);
    for (const chunk of chunks) {
      if (chunk.mimeType !== INPUT_MIME) {
        this.closeConnection(conn, 1007, 'Request contains an invalid argument.');
        return;
      }
      const pcm = base64ToPcm16(chunk.data);
      if (this.manual(conn)) conn.inputMs += (pcm.length / 16000) * 1000;
      else this.handleUserAudio(conn, pcm, 16000);
    }
    if (input.activityEnd && this.manual(conn)) void this.runTurn(conn);
    if (input.text) void this.respond(conn, { ...this.nextTurn(), userTranscript: undefined });
  }

  private manual(conn: Conn): boolean {
    return conn.state.setup?.realtimeInputConfig?.automaticActivityDetection?.disabled === true;
  }

  private issueHandle(conn: Conn): void {
    if (!conn.state.setup?.sessionResumption) return;
    this.handleCounter += 1;
    const newHandle = `handle-${this.handleCounter}`;
    this.handles.add(newHandle);
    this.send(conn, { sessionResumptionUpdate: { newHandle, resumable: true } });
  }

  protected outputRate(): number {
    return 24000;
  }

  protected override allowsBargeIn(conn: Conn): boolean {
    return conn.state.setup?.realtimeInputConfig?.activityHandling !== 'NO_INTERRUPTION';
  }

  protected onSpeechStarted(conn: Conn, bargeIn: boolean): void {
    if (bargeIn) this.send(conn, { serverContent: { interrupted: true } });
  }

  protected onSpeechStopped(): boolean {
    return true;
  }

  protected emitUserTranscript(conn: Conn, text: string): void {
    for (const delta of transcriptDeltas(text))
      this.send(conn, { serverContent: { inputTranscription: { text: delta } } });
  }

  protected beginResponse(conn: Conn): void {
    conn.state.turnHasContent = false;
  }

  protected emitReplyChunk(conn: Conn, chunk: ReplyChunk): void {
    conn.state.turnHasContent = true;
    this.send(conn, {
      serverContent: {
        modelTurn: {
          parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: pcm16ToBase64(chunk.audio) } }],
        },
      },
    });
    if (chunk.text) this.send(conn, { serverContent: { outputTranscription: { text: chunk.text } } });
  }

  protected endResponse(conn: Conn, status: 'completed' | 'cancelled'): void {
    if (!conn.state.turnHasContent && status === 'completed') return; // a tool call alone ends no turn
    if (status === 'completed') this.send(conn, { serverContent: { generationComplete: true } });
    this.send(conn, { serverContent: { turnComplete: true } });
    this.send(conn, { usageMetadata: { promptTokenCount: 10, responseTokenCount: 20, totalTokenCount: 30 } });
    this.issueHandle(conn);
  }

  protected emitToolCall(
    conn: Conn,
    call: { callId: string; name: string; arguments: Record<string, unknown> },
  ): void {
    this.send(conn, {
      toolCall: { functionCalls: [{ id: call.callId, name: call.name, args: call.arguments }] },
    });
  }
}
