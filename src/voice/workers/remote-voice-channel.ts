import { Channel, type ChannelOutput, DEFAULT_CONTENT_TYPES } from '../../channels/channel.js';
import { NotFoundError } from '../../core/errors.js';
import { ByRoom } from '../../core/by-room.js';
import { type ChannelBinding, ChannelType, type RoomEvent } from '../../models/index.js';
import type { VoiceSession } from '../types.js';
import { spokenText } from '../voice-text.js';
import type { VoiceWorkerHandle } from './voice-worker-pool.js';

/**
 * The main process's side of a voice channel whose calls live in voice workers. The kit
 * sees an ordinary voice channel (same id, same room events both ways); the calls' audio,
 * pipelines, speech engines and pacing are in the workers. Room text to speak goes to the
 * workers holding a call in that room; `connectVoice` and `disconnectVoice` reach the worker
 * that holds the call.
 */
export class RemoteVoiceChannel extends Channel {
  readonly channelType = ChannelType.VOICE;
  /** sessionId -> where the call lives. */
  private readonly calls = new Map<string, { worker: VoiceWorkerHandle; session: VoiceSession }>();
  /** The session ids in each room. */
  private readonly byRoom = new ByRoom<string>();

  constructor(
    id: string,
    private readonly pickWorker: () => VoiceWorkerHandle,
  ) {
    super(id);
    this.capabilities = { contentTypes: DEFAULT_CONTENT_TYPES, streaming: true };
  }

  /** A worker reports a call starting or ending. */
  sessionChanged(worker: VoiceWorkerHandle, session: VoiceSession, live: boolean): void {
    if (live) {
      this.calls.set(session.id, { worker, session });
      this.byRoom.add(session.roomId, session.id);
      return;
    }
    this.calls.delete(session.id);
    this.byRoom.delete(session.roomId, session.id);
  }

  /** The calls a worker held (it exited): forgotten, and returned so their end can be reported. */
  dropWorker(worker: VoiceWorkerHandle): VoiceSession[] {
    const lost: VoiceSession[] = [];
    for (const { worker: w, session } of this.calls.values()) if (w === worker) lost.push(session);
    for (const session of lost) this.sessionChanged(worker, session, false);
    return lost;
  }

  /** A live call's session, as its worker last reported it. */
  sessionOf(sessionId: string): VoiceSession | undefined {
    return this.calls.get(sessionId)?.session;
  }

  /** The worker holding a call (one `connectVoice` made, waiting for its client). */
  workerOf(sessionId: string): VoiceWorkerHandle | undefined {
    return this.calls.get(sessionId)?.worker;
  }

  /** Calls `worker` holds. */
  countOf(worker: VoiceWorkerHandle): number {
    let n = 0;
    for (const call of this.calls.values()) if (call.worker === worker) n++;
    return n;
  }

  /** Rooms with a call in `worker`, for keeping its copy of their bindings current. */
  roomsOf(worker: VoiceWorkerHandle): string[] {
    const rooms = new Set<string>();
    for (const { worker: w, session } of this.calls.values()) if (w === worker) rooms.add(session.roomId);
    return [...rooms];
  }

  get sessionCount(): number {
    return this.calls.size;
  }

  sessionsIn(roomId: string): VoiceSession[] {
    return this.byRoom.list(roomId).map((id) => this.calls.get(id)!.session);
  }

  override async deliver(event: RoomEvent, _binding: ChannelBinding): Promise<ChannelOutput> {
    if (!spokenText(event)) return {};
    for (const worker of this.workersIn(event.roomId)) worker.post({ t: 'deliver', event });
    return {};
  }

  override async deliverStreamDelta(delta: {
    roomId: string;
    streamId: string;
    text: string;
    done: boolean;
  }) {
    for (const worker of this.workersIn(delta.roomId)) worker.post({ t: 'delta', delta });
  }

  /** `kit.connectVoice`: the call is created in the least busy worker; the client binds to it there. */
  async startSession(
    roomId: string,
    participantId: string,
    opts: { metadata?: Record<string, unknown> } = {},
  ): Promise<VoiceSession> {
    const worker = this.pickWorker();
    const session = await worker.calls.call<VoiceSession>('startSession', roomId, participantId, opts);
    this.sessionChanged(worker, session, true);
    return session;
  }

  async endSession(session: VoiceSession, reason = 'ended'): Promise<void> {
    const call = this.calls.get(session.id);
    if (!call) return;
    await call.worker.calls.call('endSession', session.id, reason);
  }

  async interrupt(session: VoiceSession): Promise<boolean> {
    const call = this.calls.get(session.id);
    if (!call) throw new NotFoundError('voice session', session.id);
    return call.worker.calls.call<boolean>('interrupt', session.id);
  }

  private workersIn(roomId: string): Set<VoiceWorkerHandle> {
    const workers = new Set<VoiceWorkerHandle>();
    for (const id of this.byRoom.in(roomId)) workers.add(this.calls.get(id)!.worker);
    return workers;
  }
}
