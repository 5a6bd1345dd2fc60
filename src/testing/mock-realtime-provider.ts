import { RoomKitError } from '../core/errors.js';
import { BaseRealtimeProvider, type BaseRealtimeProviderOptions } from '../realtime/base-provider.js';
import { silentRealtimeLogger } from '../realtime/logger.js';
import type { RealtimeCapabilities, RealtimeInterruptOptions, RealtimeRole } from '../realtime/provider.js';
import type { RealtimeEndReason, RealtimeReconfigureOptions, RealtimeSession } from '../realtime/session.js';
import { bytesToInt16 } from '../voice/audio/pcm.js';
import type { RealtimeVoiceSession } from '../realtime/realtime-channel-types.js';

/**
 * What the simulate* helpers accept: the provider's own session, or the channel's session
 * that `channel.startSession` returns (the seed's example) -- its current provider session
 * is meant.
 */
export type MockSessionRef = RealtimeSession | RealtimeVoiceSession;

/** The answer the channel gave to a simulated tool call. */
export interface MockToolResult {
  result: string;
  isError: boolean;
}

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
  /** Simulated tool calls waiting for their result, by call id. */
  toolCalls: Map<string, (result: MockToolResult | undefined) => void>;
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
    return { audio: [], toolCalls: new Map() };
  }

  protected release(state: MockState): void {
    // The session ended before the channel answered: nobody will.
    for (const resolve of state.toolCalls.values()) resolve(undefined);
    state.toolCalls.clear();
  }

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
    const waiting = this.stateOf(session)?.toolCalls;
    waiting?.get(callId)?.({ result, isError: opts?.isError ?? false });
    waiting?.delete(callId);
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
    ref: MockSessionRef,
    text: string,
    opts: { role?: RealtimeRole; isFinal?: boolean } = {},
  ): void {
    const session = this.resolve(ref);
    this.emit('transcription', { session, text, role: opts.role ?? 'user', isFinal: opts.isFinal ?? true });
  }

  /** PCM s16le bytes (as the seed's `bytes`) or samples, at the session's output rate. */
  simulateAudio(ref: MockSessionRef, audio: Uint8Array | Int16Array, opts: { itemId?: string } = {}): void {
    const session = this.resolve(ref);
    const pcm = audio instanceof Int16Array ? audio : bytesToInt16(audio);
    this.emit('audio', {
      session,
      audio: pcm,
      sampleRate: session.config.outputSampleRate,
      itemId: opts.itemId,
    });
  }

  /**
   * The model calls a tool. Resolves with the result the channel submitted (undefined if the
   * session ended first); awaiting it is optional.
   */
  simulateToolCall(
    ref: MockSessionRef,
    callId: string,
    name: string,
    args: Record<string, unknown> = {},
  ): Promise<MockToolResult | undefined> {
    const session = this.resolve(ref);
    const waiting = this.stateOf(session)?.toolCalls;
    const answered = new Promise<MockToolResult | undefined>((resolve) => {
      if (waiting) waiting.set(callId, resolve);
      else resolve(undefined);
    });
    this.emit('toolCall', { session, callId, name, arguments: args });
    return answered;
  }

  simulateSpeechStart(ref: MockSessionRef): void {
    const session = this.resolve(ref);
    this.emit('speechStart', { session });
  }

  simulateSpeechEnd(ref: MockSessionRef): void {
    const session = this.resolve(ref);
    this.emit('speechEnd', { session });
  }

  simulateResponseStart(ref: MockSessionRef, responseId?: string): void {
    const session = this.resolve(ref);
    this.emit('responseStart', { session, responseId });
  }

  simulateResponseEnd(ref: MockSessionRef, status: 'completed' | 'cancelled' = 'completed'): void {
    const session = this.resolve(ref);
    this.emit('responseEnd', { session, status });
  }

  /** A barge-in as the vendor reports it: speech start, then `interrupted`. */
  simulateInterruption(
    ref: MockSessionRef,
    opts: { itemId?: string; reportPlayedPosition?: boolean } = {},
  ): void {
    const session = this.resolve(ref);
    this.emit('speechStart', { session });
    this.emit('interrupted', {
      session,
      itemId: opts.itemId,
      clearPlayback: true,
      reportPlayedPosition: opts.reportPlayedPosition ?? true,
    });
  }

  simulateError(ref: MockSessionRef, error: RoomKitError, opts: { fatal?: boolean } = {}): void {
    const session = this.resolve(ref);
    if (opts.fatal) this.endSession(session, 'provider-error', error);
    else this.emit('error', { session, error, fatal: false });
  }

  simulateGoAway(ref: MockSessionRef, timeLeftMs = 60_000): void {
    const session = this.resolve(ref);
    this.emit('goAway', { session, reason: 'server-go-away', timeLeftMs, resumable: false });
  }

  /** The vendor ends the session (hang-up, drop, limit). */
  simulateSessionEnded(ref: MockSessionRef, reason: RealtimeEndReason = 'server-closed'): void {
    const session = this.resolve(ref);
    this.endSession(session, reason);
  }

  /** The provider session a helper means: a channel session stands for its current one. */
  private resolve(ref: MockSessionRef): RealtimeSession {
    if ('transportSession' in ref) {
      const ps = ref.providerSession;
      if (!ps) {
        const message = `mock: channel session ${ref.id} has no provider session yet (still connecting)`;
        throw new RoomKitError(message, { code: 'session_not_active' });
      }
      return ps;
    }
    return ref;
  }

  private record(method: MockRealtimeCall['method'], session: RealtimeSession, ...args: unknown[]): void {
    this.calls.push({ method, sessionId: session.id, args });
    this.requireState(session);
  }
}
