import type { RoomKitError } from '../core/errors.js';
import { BaseRealtimeProvider, type BaseRealtimeProviderOptions } from '../realtime/base-provider.js';
import { silentRealtimeLogger } from '../realtime/logger.js';
import type { RealtimeCapabilities, RealtimeInterruptOptions, RealtimeRole } from '../realtime/provider.js';
import type { RealtimeEndReason, RealtimeReconfigureOptions, RealtimeSession } from '../realtime/session.js';
import { bytesToInt16 } from '../voice/audio/pcm.js';

/** One call made on the mock, in order. */
export interface MockRealtimeCall {
  method:
    | 'connect'
    | 'sendAudio'
    | 'sendText'
    | 'commitAudio'
    | 'submitToolResult'
    | 'interrupt'
    | 'reconfigure'
    | 'disconnect';
  sessionId?: string;
  args: unknown[];
}

interface MockState {
  audio: Int16Array[];
}

/**
 * An in-memory realtime provider for tests of channels and apps: records every call in
 * `calls` and lets the test play the vendor with the seed's `simulate*` helpers. Events
 * are emitted synchronously, so `await` is never needed to see their effects.
 */
export class MockRealtimeProvider extends BaseRealtimeProvider<MockState> {
  readonly name = 'mock';
  readonly capabilities: RealtimeCapabilities = {
    serverVad: true,
    sessionResumption: false,
    truncation: true,
    toolsAtConnect: true,
    reconfigure: 'live',
  };
  readonly calls: MockRealtimeCall[] = [];
  /** Make the next connect fail with this error. */
  failNextConnect?: Error;

  constructor(opts: BaseRealtimeProviderOptions = {}) {
    super({ logger: opts.logger ?? silentRealtimeLogger });
  }

  /** Calls of one method, optionally for one session. */
  callsTo(method: MockRealtimeCall['method'], session?: RealtimeSession): MockRealtimeCall[] {
    return this.calls.filter((c) => c.method === method && (!session || c.sessionId === session.id));
  }

  /** Audio the caller sent on a session, in order. */
  sentAudio(session: RealtimeSession): Int16Array[] {
    return this.stateOf(session)?.audio ?? [];
  }

  protected async open(session: RealtimeSession): Promise<MockState> {
    this.calls.push({ method: 'connect', sessionId: session.id, args: [session.config] });
    const failure = this.failNextConnect;
    this.failNextConnect = undefined;
    if (failure) throw failure;
    return { audio: [] };
  }

  protected release(): void {}

  sendAudio(session: RealtimeSession, pcm: Int16Array): void {
    this.calls.push({ method: 'sendAudio', sessionId: session.id, args: [pcm] });
    this.stateOf(session)?.audio.push(pcm);
  }

  async sendText(session: RealtimeSession, text: string): Promise<void> {
    this.record('sendText', session, text);
  }

  async commitAudio(session: RealtimeSession): Promise<void> {
    this.record('commitAudio', session);
  }

  async submitToolResult(
    session: RealtimeSession,
    callId: string,
    result: string,
    opts?: { isError?: boolean },
  ): Promise<void> {
    this.record('submitToolResult', session, callId, result, opts);
  }

  async interrupt(session: RealtimeSession, opts?: RealtimeInterruptOptions): Promise<void> {
    this.record('interrupt', session, opts);
  }

  async reconfigure(session: RealtimeSession, opts: RealtimeReconfigureOptions): Promise<void> {
    this.record('reconfigure', session, opts);
    session.config = { ...session.config, ...opts };
  }

  override async disconnect(session: RealtimeSession): Promise<void> {
    this.calls.push({ method: 'disconnect', sessionId: session.id, args: [] });
    await super.disconnect(session);
  }

  // ---- the seed's simulate* helpers ----------------------------------------------------

  simulateTranscription(
    session: RealtimeSession,
    text: string,
    opts: { role?: RealtimeRole; isFinal?: boolean } = {},
  ): void {
    this.emit('transcription', { session, text, role: opts.role ?? 'user', isFinal: opts.isFinal ?? true });
  }

  /** PCM s16le bytes (as the seed's `bytes`) or samples, at the session's output rate. */
  simulateAudio(
    session: RealtimeSession,
    audio: Uint8Array | Int16Array,
    opts: { itemId?: string } = {},
  ): void {
    const pcm = audio instanceof Int16Array ? audio : bytesToInt16(audio);
    this.emit('audio', {
      session,
      audio: pcm,
      sampleRate: session.config.outputSampleRate,
      itemId: opts.itemId,
    });
  }

  simulateToolCall(
    session: RealtimeSession,
    callId: string,
    name: string,
    args: Record<string, unknown> = {},
  ): void {
    this.emit('toolCall', { session, callId, name, arguments: args });
  }

  simulateSpeechStart(session: RealtimeSession): void {
    this.emit('speechStart', { session });
  }

  simulateSpeechEnd(session: RealtimeSession): void {
    this.emit('speechEnd', { session });
  }

  simulateResponseStart(session: RealtimeSession, responseId?: string): void {
    this.emit('responseStart', { session, responseId });
  }

  simulateResponseEnd(session: RealtimeSession, status: 'completed' | 'cancelled' = 'completed'): void {
    this.emit('responseEnd', { session, status });
  }

  /** A barge-in as the vendor reports it: speech start, then `interrupted`. */
  simulateInterruption(
    session: RealtimeSession,
    opts: { itemId?: string; reportPlayedPosition?: boolean } = {},
  ): void {
    this.emit('speechStart', { session });
    this.emit('interrupted', {
      session,
      itemId: opts.itemId,
      clearPlayback: true,
      reportPlayedPosition: opts.reportPlayedPosition ?? true,
    });
  }

  simulateError(session: RealtimeSession, error: RoomKitError, opts: { fatal?: boolean } = {}): void {
    if (opts.fatal) this.endSession(session, 'provider-error', error);
    else this.emit('error', { session, error, fatal: false });
  }

  simulateGoAway(session: RealtimeSession, timeLeftMs = 60_000): void {
    this.emit('goAway', { session, reason: 'server-go-away', timeLeftMs, resumable: false });
  }

  /** The vendor ends the session (hang-up, drop, limit). */
  simulateSessionEnded(session: RealtimeSession, reason: RealtimeEndReason = 'server-closed'): void {
    this.endSession(session, reason);
  }

  private record(method: MockRealtimeCall['method'], session: RealtimeSession, ...args: unknown[]): void {
    this.calls.push({ method, sessionId: session.id, args });
    this.requireState(session);
  }
}
