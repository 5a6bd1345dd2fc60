/** Options, dial options, call events and listeners of the media-stream backends. */
import type { Logger } from '../../../core/logger.js';
import type { PacerClock } from '../../../voice/pacer.js';
import type { VoiceSession } from '../../../voice/types.js';
import type { ReplayGuardOptions } from '../webhook-signature.js';
import type { CallRoute, CarrierCallInfo } from './pending-calls.js';

export interface MediaStreamBackendOptions {
  /**
   * The public origin the carrier reaches us at, e.g. `https://bot.example.com` (default
   * `ROOMKIT_PUBLIC_URL`, else the Host of each webhook). Stream URLs are derived from it.
   */
  publicUrl?: string;
  /** Believe X-Forwarded-Proto/Host when no publicUrl is set (only behind your own proxy). */
  trustProxy?: boolean;
  /** Prefix of the webhooks and the stream (default `/carriers/<carrier>`). */
  basePath?: string;
  /** Room (and participant) of an incoming call; undefined refuses it. Default: `roomId`, else the dialled number. */
  routeCall?: (call: CarrierCallInfo) => CallRoute | undefined | Promise<CallRoute | undefined>;
  roomId?: string;
  /** Our number, the caller id of outbound calls (default from the carrier's env, e.g. `TWILIO_PHONE_NUMBER`). */
  fromNumber?: string;
  /** How far outbound audio runs ahead of real time (default `CARRIER_LEAD_MS`, 200 ms): the carrier buffers it. */
  leadMs?: number;
  /** Pacing clock (default: the shared media clock, one timer per millisecond for all calls). */
  clock?: PacerClock;
  replay?: ReplayGuardOptions;
  /** How long an answered call may take to open its stream (default 60 s). */
  streamTimeoutMs?: number;
  /** How long a dialled call may ring before `dial` gives up (default 60 s). */
  dialTimeoutMs?: number;
  /** Unsent bytes the carrier may hold before its stream is dropped (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Ping interval of the media sockets; a carrier that missed a pong is dropped (default 15 s). */
  heartbeatMs?: number;
  logger?: Logger;
}

export interface DialOptions {
  roomId: string;
  /** Default: the callee's number. */
  participantId?: string;
  /** Caller id (default the backend's `fromNumber`). */
  from?: string;
  metadata?: Record<string, unknown>;
  /** Custom parameters for the stream. */
  parameters?: Record<string, string>;
  timeoutMs?: number;
}

export type CarrierCallEvent =
  | { type: 'started'; direction: 'inbound' | 'outbound' }
  | { type: 'status'; status: string }
  | { type: 'ended'; reason: string; by: 'remote' | 'local'; durationMs: number };

export type CarrierCallEventCallback = (session: VoiceSession, event: CarrierCallEvent) => void;
export type CarrierDtmfCallback = (
  session: VoiceSession,
  event: { digit: string; durationMs?: number; source: string },
) => void;
