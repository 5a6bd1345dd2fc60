import {
  Access,
  type ChannelBinding,
  ChannelCategory,
  ChannelType,
  HookTrigger,
  type Participant,
  type Room,
  RoomStatus,
} from '../models/index.js';
import { DuplicateError, NotFoundError } from './errors.js';
import { newId, nowIso } from './ids.js';
import type { RoomState } from './room-state.js';
import type { AttachOptions, CreateRoomOptions, RoomKit } from './roomkit.js';

export const SYSTEM_SOURCE_ID = 'system';

const STATUS_EVENTS = {
  [RoomStatus.PAUSED]: { event: 'room_paused', hook: HookTrigger.ON_ROOM_PAUSED },
  [RoomStatus.CLOSED]: { event: 'room_closed', hook: HookTrigger.ON_ROOM_CLOSED },
} as const;

/**
 * Room lifecycle, bindings and membership. Every change is written to the store and the
 * kit's cache together; changes to who may speak or listen are also written to the room's
 * timeline as system events, so the history explains itself.
 */
export class RoomOps {
  constructor(private readonly kit: RoomKit) {}

  async create(opts: CreateRoomOptions): Promise<Room> {
    const id = opts.roomId ?? newId('room');
    if (await this.kit.loadState(id)) throw new DuplicateError('room', id);
    const now = nowIso();
    const room: Room = {
      id,
      status: RoomStatus.ACTIVE,
      metadata: opts.metadata ?? {},
      createdAt: now,
      updatedAt: now,
      eventCount: 0,
    };
    if (opts.organizationId !== undefined) room.organizationId = opts.organizationId;
    const timers = opts.timers ?? this.kit.defaultRoomTimers;
    if (timers) room.timers = timers;
    await this.kit.store.createRoom(room);
    this.kit.adoptState(room);
    this.kit.timers.watch(id, timers);
    this.kit.events.emit('room_created', { room: { ...room } });
    this.fireHook(HookTrigger.ON_ROOM_CREATED, room, room.id);
    return { ...room };
  }

  async setStatus(roomId: string, status: RoomStatus): Promise<void> {
    const state = await this.kit.requireState(roomId);
    const room = state.room;
    if (room.status === status) return;
    const wasPaused = room.status === RoomStatus.PAUSED;
    room.status = status;
    room.updatedAt = nowIso();
    if (status === RoomStatus.CLOSED || status === RoomStatus.ARCHIVED) {
      room.closedAt ??= room.updatedAt;
      this.kit.timers.unwatch(roomId);
    }
    await this.kit.store.updateRoom(room);
    this.kit.internals.cluster?.roomChanged(roomId);
    const named = STATUS_EVENTS[status as keyof typeof STATUS_EVENTS];
    if (named) {
      this.kit.events.emit(named.event, { room: { ...room } });
      this.fireHook(named.hook, room, roomId);
    } else if (status === RoomStatus.ACTIVE && wasPaused) {
      this.kit.events.emit('room_reactivated', { room: { ...room } });
    }
  }

  async attach(roomId: string, channelId: string, opts: AttachOptions): Promise<ChannelBinding> {
    const state = await this.kit.requireState(roomId);
    const channel = this.kit.getChannel(channelId);
    const binding: ChannelBinding = {
      roomId,
      channelId,
      channelType: channel?.channelType ?? 'unknown',
      category: opts.category ?? channel?.category ?? ChannelCategory.TRANSPORT,
      access: opts.access ?? Access.READ_WRITE,
      muted: opts.muted ?? false,
      visibility: opts.visibility ?? 'all',
      metadata: opts.metadata ?? {},
      attachedAt: nowIso(),
    };
    if (opts.participantId !== undefined) binding.participantId = opts.participantId;
    if (opts.deliveryTimeoutMs !== undefined) binding.deliveryTimeoutMs = opts.deliveryTimeoutMs;
    await this.kit.store.saveBinding(binding);
    state.setBinding(binding);
    this.kit.internals.cluster?.roomChanged(roomId);
    this.kit.events.emit('channel_attached', { binding });
    this.fireHook(HookTrigger.ON_CHANNEL_ATTACHED, binding, roomId, channelId);
    return binding;
  }

  async detach(roomId: string, channelId: string): Promise<void> {
    const state = await this.kit.requireState(roomId);
    if (!state.bindings.has(channelId)) throw new NotFoundError('binding', `${roomId}/${channelId}`);
    await this.kit.store.removeBinding(roomId, channelId);
    state.deleteBinding(channelId);
    this.kit.internals.cluster?.roomChanged(roomId);
    this.kit.events.emit('channel_detached', { roomId, channelId });
    this.fireHook(HookTrigger.ON_CHANNEL_DETACHED, { roomId, channelId }, roomId, channelId);
  }

  /** Change a binding (effective for the next event) and record why in the timeline. */
  async updateBinding(
    roomId: string,
    channelId: string,
    patch: Partial<Pick<ChannelBinding, 'muted' | 'access' | 'visibility'>>,
    code: string,
  ): Promise<ChannelBinding> {
    const state = await this.kit.requireState(roomId);
    const current = state.bindings.get(channelId);
    if (!current) throw new NotFoundError('binding', `${roomId}/${channelId}`);
    const binding = { ...current, ...patch };
    await this.kit.store.saveBinding(binding);
    state.setBinding(binding);
    this.kit.internals.cluster?.roomChanged(roomId);
    if (patch.muted !== undefined) {
      const trigger = patch.muted ? HookTrigger.ON_CHANNEL_MUTED : HookTrigger.ON_CHANNEL_UNMUTED;
      this.fireHook(trigger, binding, roomId, channelId);
    }
    await this.systemEvent(state, code, { channelId, ...patch });
    return binding;
  }

  async addParticipant(roomId: string, p: Partial<Participant> & { id: string }): Promise<Participant> {
    await this.kit.requireState(roomId);
    const existing = await this.kit.store.getParticipant(roomId, p.id);
    const participant: Participant = {
      role: 'member',
      identified: false,
      metadata: {},
      joinedAt: nowIso(),
      ...existing,
      ...p,
      roomId,
    };
    await this.kit.store.saveParticipant(participant);
    if (!existing)
      this.fireHook(HookTrigger.ON_PARTICIPANT_JOINED, participant, roomId, participant.channelId);
    return participant;
  }

  async removeParticipant(roomId: string, participantId: string): Promise<void> {
    await this.kit.store.removeParticipant(roomId, participantId);
    this.fireHook(HookTrigger.ON_PARTICIPANT_LEFT, { roomId, participantId }, roomId);
  }

  /** A framework-written notice: no hooks, no gates, visible to channels that take 'system'. */
  async systemEvent(state: RoomState, code: string, data: Record<string, unknown>): Promise<void> {
    if (state.room.status === RoomStatus.CLOSED || state.room.status === RoomStatus.ARCHIVED) return;
    await this.kit.pipeline.run(
      state,
      {
        source: { channelId: SYSTEM_SOURCE_ID, channelType: ChannelType.SYSTEM },
        content: { type: 'system', code, data },
        chainDepth: 0,
        visibility: 'all',
        metadata: {},
      },
      { trusted: true },
    );
  }

  private fireHook(trigger: HookTrigger, payload: unknown, roomId: string, channelId?: string): void {
    if (!this.kit.hooks.has(trigger)) return;
    this.kit.internals.track(
      this.kit.hooks.runAsync(trigger, payload, { kit: this.kit, trigger, roomId, channelId }),
    );
  }
}
