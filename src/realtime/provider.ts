import type { RoomKitError } from '../core/errors.js';
import type {
  RealtimeEndReason,
  RealtimeReconfigureOptions,
  RealtimeSession,
  RealtimeSessionConfig,
} from './session.js';

/**
 * The speech-to-speech provider contract. One provider object serves many sessions; every
 * event names its session. Audio is PCM s16 mono at the session's rates both ways: the
 * provider converts to and from whatever its wire wants.
 */
export interface RealtimeVoiceProvider {
  /** Vendor name used in errors and logs, e.g. 'openai'. */
  readonly name: string;
  readonly capabilities: RealtimeCapabilities;

  /** Open a session; resolves once the vendor accepted the configuration. */
  connect(config: RealtimeSessionConfig): Promise<RealtimeSession>;
  /** Caller audio at `session.config.inputSampleRate`. Dropped silently once the session ended. */
  sendAudio(session: RealtimeSession, pcm: Int16Array): void;
  /** A typed user turn; the model answers it. */
  sendText(session: RealtimeSession, text: string): Promise<void>;
  /** Manual turn taking (no server VAD): the user finished speaking, answer now. */
  commitAudio(session: RealtimeSession): Promise<void>;
  /** The result of a `toolCall`; the model continues its answer with it. */
  submitToolResult(
    session: RealtimeSession,
    callId: string,
    result: string,
    opts?: { isError?: boolean },
  ): Promise<void>;
  /**
   * Barge-in: stop the current answer and tell the vendor what the user actually heard
   * (`playedMs` of `itemId`, the last audio item by default), so its context matches.
   */
  interrupt(session: RealtimeSession, opts?: RealtimeInterruptOptions): Promise<void>;
  /** Change prompt, voice, tools... mid-conversation (live, by resumption, or by reconnecting). */
  reconfigure(session: RealtimeSession, opts: RealtimeReconfigureOptions): Promise<void>;
  /** Close the session; emits `sessionEnded` with reason 'client-disconnect'. Idempotent. */
  disconnect(session: RealtimeSession): Promise<void>;

  on<K extends keyof RealtimeEventMap>(type: K, listener: (event: RealtimeEventMap[K]) => void): () => void;
  off<K extends keyof RealtimeEventMap>(type: K, listener: (event: RealtimeEventMap[K]) => void): void;
}

export interface RealtimeInterruptOptions {
  itemId?: string;
  /** Milliseconds of the item's audio the user heard; omit when unknown. */
  playedMs?: number;
}

export interface RealtimeCapabilities {
  /** Detects turns on the server (no client VAD needed). */
  serverVad: boolean;
  /** Can reopen a dropped/expiring connection with its context (Gemini handles). */
  sessionResumption: boolean;
  /** Accepts the played position on barge-in (OpenAI `conversation.item.truncate`). */
  truncation: boolean;
  /** Tool definitions are sent at connect time; false when they live in a vendor dashboard. */
  toolsAtConnect: boolean;
  /** How `reconfigure` is carried out: in place, by resuming, or by a fresh connection. */
  reconfigure: 'live' | 'resume' | 'reconnect';
  /** Hard limit of one vendor session; undefined when unknown or unlimited. */
  maxSessionMs?: number;
  /** Non-function tools passed through as they are, e.g. ['web_search', 'x_search']. */
  nativeTools?: readonly string[];
}

/** Who produced a transcription. */
export type RealtimeRole = 'user' | 'assistant';

export interface RealtimeEventMap {
  /** Model speech at `sampleRate` (the session's output rate). */
  audio: { session: RealtimeSession; audio: Int16Array; sampleRate: number; itemId?: string };
  /** Partial (`isFinal: false`, text so far) or final transcript of one utterance. */
  transcription: {
    session: RealtimeSession;
    role: RealtimeRole;
    text: string;
    isFinal: boolean;
    itemId?: string;
  };
  speechStart: { session: RealtimeSession };
  speechEnd: { session: RealtimeSession };
  /** The model wants a tool run; answer with `submitToolResult(session, callId, result)`. */
  toolCall: { session: RealtimeSession; callId: string; name: string; arguments: Record<string, unknown> };
  responseStart: { session: RealtimeSession; responseId?: string };
  responseEnd: {
    session: RealtimeSession;
    responseId?: string;
    status: 'completed' | 'cancelled' | 'failed' | 'incomplete';
  };
  /**
   * The user barged in. The transport must drop queued playback (`clearPlayback`); when
   * `reportPlayedPosition` is set, the caller then calls `interrupt(session, { itemId, playedMs })`
   * so the vendor forgets what was never heard. It may come after playback already ended
   * (vendors generate faster than real time and cannot know): clearing an empty queue is a no-op.
   */
  interrupted: {
    session: RealtimeSession;
    itemId?: string;
    clearPlayback: true;
    reportPlayedPosition: boolean;
  };
  /** `fatal` errors are followed by `sessionEnded`. */
  error: { session: RealtimeSession; error: RoomKitError; fatal: boolean };
  /**
   * The connection will end soon. `resumable`: the provider reconnects by itself
   * (`sessionResumed` follows); otherwise start a new session before `timeLeftMs` runs out.
   */
  goAway: {
    session: RealtimeSession;
    reason: 'server-go-away' | 'session-limit';
    timeLeftMs: number;
    resumable: boolean;
  };
  /** A new vendor connection took over (after goAway or reconfigure). */
  sessionResumed: { session: RealtimeSession; reason: 'go-away' | 'reconfigure'; contextPreserved: boolean };
  sessionEnded: { session: RealtimeSession; reason: RealtimeEndReason; error?: RoomKitError };
}

export type RealtimeEventType = keyof RealtimeEventMap;
