import type { ChannelBinding, RoomEvent } from '../../models/index.js';
import type { VoiceAuthResult } from '../backends/websocket-voice-connection.js';
import type { VoiceSession } from '../types.js';
import type { IpcBatch } from './ipc-outbox.js';
import type { LevelReading } from './level-batch.js';

/**
 * What the main process and a voice worker say to each other. The worker owns the calls'
 * sockets, pipelines, turn detection, speech engines and pacing; the main process owns the
 * kit. Audio never crosses: only turns (text), hooks, bindings and session notices do.
 */

/** How a worker builds its voice: a module it imports and the backend's settings. */
export interface VoiceWorkerConfig {
  /**
   * Module (file URL or specifier) whose `createVoice(logger)` returns `{ stt, tts, label,
   * pipeline? }` (a ServerVoice), run in each worker: providers are built where they run.
   */
  voiceModule: string;
  channelId: string;
  path: string;
  framing?: 'binary' | 'json';
  sampleRate?: number;
  heartbeatMs?: number;
  maxFrameBytes?: number;
  maxBufferedBytes?: number;
  /** Log level of the worker's logger (default: info). */
  logLevel?: string;
}

/** The upgrade request the worker completes (the socket travels as the message's handle). */
export interface HandedSocket {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  head: Uint8Array;
  auth: VoiceAuthResult;
}

export type MainToWorker =
  /** Messages posted in one turn of the main process's event loop, in order (IpcOutbox). */
  | IpcBatch<MainToWorker>
  | { t: 'init'; config: VoiceWorkerConfig }
  | { t: 'socket'; upgrade: HandedSocket }
  | { t: 'deliver'; event: RoomEvent }
  | { t: 'delta'; delta: { roomId: string; streamId: string; text: string; done: boolean } }
  /** The triggers that have hooks in the main kit (the worker skips the others at once). */
  | { t: 'hooks'; triggers: string[] }
  | { t: 'binding'; roomId: string; binding: ChannelBinding | null }
  | { t: 'reply'; id: number; ok: boolean; value?: unknown; error?: string }
  | { t: 'call'; id: number; method: WorkerMethod; args: unknown[] }
  | { t: 'close' };

export type WorkerToMain =
  /** Messages posted in one turn of the worker's event loop, in order (IpcOutbox). */
  | IpcBatch<WorkerToMain>
  | { t: 'ready' }
  | { t: 'call'; id: number; method: MainMethod; args: unknown[] }
  | { t: 'reply'; id: number; ok: boolean; value?: unknown; error?: string }
  /** An async hook to run; `ownSession`: the payload's `session` is `session` (sent once). */
  | {
      t: 'hook';
      trigger: string;
      payload: unknown;
      session: VoiceSession;
      direction: 'inbound' | 'outbound';
      ownSession?: boolean;
    }
  /** Level readings of the last 100 ms (ON_INPUT_AUDIO_LEVEL / ON_OUTPUT_AUDIO_LEVEL), in order. */
  | { t: 'levels'; readings: LevelReading[] }
  | { t: 'event'; name: string; payload: unknown }
  | { t: 'session'; live: boolean; session: VoiceSession }
  /** The worker's event-loop utilization over the last second (0-1), once a second. */
  | { t: 'load'; utilization: number }
  | { t: 'turn'; turn: SerializedTurn; attributes: Record<string, string> };

/** What the worker asks the main process (answers come back as `reply`). */
export type MainMethod = 'processInbound' | 'hookSync' | 'getBinding' | 'attachChannel' | 'roomExists';

/** What the main process asks a worker (kit.connectVoice / disconnectVoice on a worker's calls). */
export type WorkerMethod = 'startSession' | 'endSession' | 'interrupt' | 'stats';

/** A worker's load since its last `stats` call (for benches and health checks). */
export interface VoiceWorkerStats {
  pid: number;
  calls: number;
  /** CPU time over wall time since the last call (1 = one core busy). */
  cpu: number;
  loopDelayP99Ms: number;
  rss: number;
}

/** A voice turn's timeline, with its start on the wall clock (processes have their own `performance` origin). */
export interface SerializedTurn {
  userStopEpochMs: number;
  metrics: Record<string, number>;
  eventId?: string;
}
