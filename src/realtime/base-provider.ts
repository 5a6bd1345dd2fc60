import { ProviderError, RoomKitError } from '../core/errors.js';
import { defaultRealtimeLogger, type RealtimeLogger } from './logger.js';
import type {
  RealtimeCapabilities,
  RealtimeEventMap,
  RealtimeInterruptOptions,
  RealtimeVoiceProvider,
} from './provider.js';
import {
  createRealtimeSession,
  type RealtimeEndReason,
  type RealtimeReconfigureOptions,
  type RealtimeSession,
  type RealtimeSessionConfig,
} from './session.js';
import { TypedEmitter } from './typed-emitter.js';

export interface BaseRealtimeProviderOptions {
  logger?: RealtimeLogger;
}

/**
 * Bookkeeping every realtime provider shares: the typed events, the live sessions and their
 * per-session connection state `C`, and one idempotent way to end a session so that
 * `sessionEnded` fires exactly once whatever ended it (caller, vendor, dropped socket).
 */
export abstract class BaseRealtimeProvider<C>
  extends TypedEmitter<RealtimeEventMap>
  implements RealtimeVoiceProvider
{
  abstract readonly name: string;
  abstract readonly capabilities: RealtimeCapabilities;
  private readonly live = new Map<string, { session: RealtimeSession; state: C }>();

  constructor(opts: BaseRealtimeProviderOptions = {}) {
    super(opts.logger ?? defaultRealtimeLogger());
  }

  /** Open the vendor connection; must resolve only once the vendor accepted the config. */
  protected abstract open(session: RealtimeSession): Promise<C>;
  /** Release the connection (close sockets, clear timers). Called once per session. */
  protected abstract release(state: C, session: RealtimeSession): void;

  abstract sendAudio(session: RealtimeSession, pcm: Int16Array): void;
  abstract sendText(session: RealtimeSession, text: string): Promise<void>;
  abstract commitAudio(session: RealtimeSession): Promise<void>;
  abstract submitToolResult(
    session: RealtimeSession,
    callId: string,
    result: string,
    opts?: { isError?: boolean },
  ): Promise<void>;
  abstract interrupt(session: RealtimeSession, opts?: RealtimeInterruptOptions): Promise<void>;
  abstract reconfigure(session: RealtimeSession, opts: RealtimeReconfigureOptions): Promise<void>;

  /** Sessions currently open. */
  get sessions(): RealtimeSession[] {
    return [...this.live.values()].map((entry) => entry.session);
  }

  async connect(config: RealtimeSessionConfig): Promise<RealtimeSession> {
    const session = createRealtimeSession(this.name, config);
    let state: C;
    try {
      state = await this.open(session);
    } catch (err) {
      session.state = 'ended';
      session.endReason = 'provider-error';
      throw err instanceof RoomKitError
        ? err
        : new ProviderError(this.name, `connect failed: ${String(err)}`, { cause: err });
    }
    this.live.set(session.id, { session, state });
    session.state = 'active';
    session.startedAt = Date.now();
    return session;
  }

  async disconnect(session: RealtimeSession): Promise<void> {
    this.endSession(session, 'client-disconnect');
  }

  /** The connection of a live session, or undefined once it ended (audio is then dropped). */
  protected stateOf(session: RealtimeSession): C | undefined {
    return this.live.get(session.id)?.state;
  }

  /** Like stateOf, for calls that must not silently do nothing. */
  protected requireState(session: RealtimeSession): C {
    const state = this.stateOf(session);
    if (state === undefined) {
      throw new RoomKitError(`${this.name}: realtime session ${session.id} is not active`, {
        code: 'session_ended',
      });
    }
    return state;
  }

  /** Swap the connection state of a live session (resumption, reconnect). */
  protected replaceState(session: RealtimeSession, state: C): void {
    const entry = this.live.get(session.id);
    if (entry) entry.state = state;
  }

  /**
   * End a session once: emits `error` (fatal) when there is one, then `sessionEnded`.
   * Safe to call from close handlers that race with `disconnect`.
   */
  protected endSession(session: RealtimeSession, reason: RealtimeEndReason, error?: RoomKitError): void {
    const entry = this.live.get(session.id);
    if (!entry || session.state === 'ended') return;
    this.live.delete(session.id);
    session.state = 'ended';
    session.endReason = reason;
    try {
      this.release(entry.state, session);
    } catch (err) {
      this.logger.warn({ err, session: session.id }, 'realtime release failed');
    }
    if (error) this.emit('error', { session, error, fatal: true });
    this.emit('sessionEnded', { session, reason, error });
  }
}
