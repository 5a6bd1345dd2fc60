import { bindingsChanged } from '../../core/binding-changes.js';
import type { HookContext } from '../../core/hooks/types.js';
import type { Logger } from '../../core/logger.js';
import {
  type ChannelBinding,
  HookTrigger,
  type InboundMessage,
  type InboundResult,
} from '../../models/index.js';
import type { TurnClock } from '../turn-metrics.js';
import type { VoiceSession } from '../types.js';
import type { VADAudioLevelEvent } from '../voice-hooks.js';
import type { IpcCalls } from './ipc-calls.js';
import { LevelBatch } from './level-batch.js';
import type { MainMethod, WorkerToMain } from './worker-protocol.js';

/** A hook outcome as the main kit's HookEngine returns it (what VoiceChannel reads). */
interface SyncOutcome {
  allowed: boolean;
  payload: Record<string, unknown>;
}

/**
 * The kit as a voice worker's VoiceChannel sees it: the handful of RoomKit members the channel
 * uses, answered from the main process (which owns the real kit) over IPC. Per-frame questions
 * never cross: which triggers have hooks and each room's binding are mirrored here and kept
 * current by the main process.
 */
export class WorkerKit {
  private readonly bindings = new Map<string, ChannelBinding>();
  private triggers = new Set<string>();
  private readonly levels: LevelBatch;

  constructor(
    readonly logger: Logger,
    private readonly calls: IpcCalls<MainMethod>,
    private readonly post: (message: WorkerToMain) => void,
  ) {
    this.levels = new LevelBatch((readings) => post({ t: 'levels', readings }));
  }

  readonly hooks = {
    has: (trigger: HookTrigger): boolean => this.triggers.has(trigger),
    runSync: async (trigger: HookTrigger, payload: Record<string, unknown>, ctx: HookContext) =>
      this.calls.call<SyncOutcome>('hookSync', trigger, payload, ctx.session, ctx.direction ?? 'inbound'),
    runAsync: async (trigger: HookTrigger, payload: unknown, ctx: HookContext): Promise<void> => {
      const session = ctx.session as VoiceSession | undefined;
      if (!session) return;
      const direction = ctx.direction === 'outbound' ? 'outbound' : 'inbound';
      if (trigger === HookTrigger.ON_INPUT_AUDIO_LEVEL || trigger === HookTrigger.ON_OUTPUT_AUDIO_LEVEL) {
        this.levels.add(payload as VADAudioLevelEvent, direction);
        return;
      }
      // The payload's session is the context's: it crosses once.
      const own = (payload as { session?: unknown } | undefined)?.session === session;
      const rest = own ? { ...(payload as object), session: undefined } : payload;
      this.post({
        t: 'hook',
        trigger,
        payload: rest,
        session,
        direction,
        ...(own ? { ownSession: true } : {}),
      });
    },
  };

  readonly internals = {
    // Nothing waits for idle inside a worker; the main kit tracks the hooks it runs.
    track: (_work: Promise<unknown>): void => {},
  };

  /** Finds a live call by id (the worker's VoiceChannel, once built). */
  findSession: (sessionId: string) => VoiceSession | undefined = () => undefined;
  private readonly sessions = new Map<string, VoiceSession>();

  readonly telemetry = {
    // Called for every call's start and end: the main process hears of it (and counts it).
    sessionChanged: (_channelId: string, sessionId: string, live: boolean): void => {
      const session = live ? this.findSession(sessionId) : this.sessions.get(sessionId);
      if (!session) return;
      if (live) this.sessions.set(sessionId, session);
      else this.sessions.delete(sessionId);
      // The call's last level readings reach the main process before its end.
      if (!live) this.levels.flush();
      this.post({ t: 'session', live, session: { ...session } });
    },
    voiceTurn: (turn: TurnClock, attributes: Record<string, string>): void => {
      this.post({
        t: 'turn',
        turn: {
          userStopEpochMs: performance.timeOrigin + turn.userStopAt,
          metrics: { ...turn.metrics },
          eventId: turn.eventId,
        },
        attributes,
      });
    },
  };

  readonly events = {
    emit: (name: string, payload: unknown): void => {
      this.post({ t: 'event', name, payload: cloneable(payload) });
    },
  };

  // ---- what the main process keeps current ----------------------------------------------

  setTriggers(triggers: string[]): void {
    this.triggers = new Set(triggers);
  }

  setBinding(roomId: string, binding: ChannelBinding | null): void {
    if (binding) this.bindings.set(roomId, binding);
    else this.bindings.delete(roomId);
    bindingsChanged();
  }

  // ---- RoomKit members the voice channel calls -------------------------------------------

  peekBinding(roomId: string, _channelId: string): ChannelBinding | undefined {
    return this.bindings.get(roomId);
  }

  async getBinding(roomId: string, channelId: string): Promise<ChannelBinding | undefined> {
    const binding = await this.calls.call<ChannelBinding | null>('getBinding', roomId, channelId);
    this.setBinding(roomId, binding);
    return binding ?? undefined;
  }

  async attachChannel(roomId: string, channelId: string): Promise<ChannelBinding> {
    const binding = await this.calls.call<ChannelBinding>('attachChannel', roomId, channelId);
    this.setBinding(roomId, binding);
    return binding;
  }

  processInbound(message: InboundMessage): Promise<InboundResult> {
    return this.calls.call<InboundResult>('processInbound', message);
  }

  roomExists(roomId: string): Promise<boolean> {
    return this.calls.call<boolean>('roomExists', roomId);
  }
}

/** Errors do not survive every serializer: framework events carry their message instead. */
function cloneable(payload: unknown): unknown {
  if (!payload || typeof payload !== 'object') return payload;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message } : value;
  }
  return out;
}
