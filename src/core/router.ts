import type { Channel } from '../channels/channel.js';
import type { InboundMessage } from '../models/index.js';
import { type ContactRouting, routeByContact } from './contact-identity.js';
import { NotFoundError } from './errors.js';
import type { RoomState } from './room-state.js';
import type { RoomKit } from './roomkit.js';

/**
 * Finds the room an inbound message belongs to. An explicit room id wins. With a contact
 * resolver (ContactIdentityResolver), the sender's address (phone, email) names a participant
 * and the open room they took part in most recently, on any channel, wins: a text from a
 * caller's number lands in the room of their call. Otherwise: the
 * one open room where this sender already takes part on this channel; else the one open
 * room the channel is attached to. Anything else (none, or several) starts a new room:
 * guessing would put a message in a stranger's conversation.
 */
export class Router {
  constructor(
    private readonly kit: RoomKit,
    private readonly contacts?: ContactRouting,
  ) {}

  /**
   * The room when finding it needs no await (else undefined, and `route` does the rest): an
   * explicit room id of a loaded room the channel is attached to, from no sender or a known one.
   */
  cached(message: InboundMessage, channel: Channel): RoomState | undefined {
    if (message.roomId === undefined) return undefined;
    const state = this.kit.peekState(message.roomId);
    if (!state?.bindings.has(channel.id)) return undefined;
    const sender = message.senderId;
    return sender === undefined || state.participants.has(sender) ? state : undefined;
  }

  async route(message: InboundMessage, channel: Channel): Promise<RoomState> {
    if (message.roomId !== undefined) {
      const state = await this.kit.requireState(message.roomId);
      await this.ensureMembership(state, message, channel);
      return state;
    }
    const contact = this.contacts && (await routeByContact(this.kit, this.contacts, message));
    if (contact) {
      const state = await this.kit.requireState(contact.roomId);
      await this.ensureMembership(state, { ...message, senderId: contact.participantId }, channel);
      return state;
    }
    const store = this.kit.store;
    let candidates: string[] = [];
    if (message.senderId !== undefined) {
      candidates = await store.findRoomIds({ channelId: channel.id, participantId: message.senderId });
    }
    if (candidates.length === 0) candidates = await store.findRoomIds({ channelId: channel.id });
    if (candidates.length === 1) {
      const state = await this.kit.loadState(candidates[0]!);
      if (!state) throw new NotFoundError('room', candidates[0]!);
      await this.ensureMembership(state, message, channel);
      return state;
    }
    if (candidates.length > 1) {
      this.kit.logger.info(
        { channelId: channel.id, senderId: message.senderId, candidates: candidates.length },
        'ambiguous route: new room',
      );
    }
    const room = await this.kit.createRoom({ metadata: { createdBy: channel.id } });
    const state = await this.kit.requireState(room.id);
    await this.ensureMembership(state, message, channel);
    return state;
  }

  /** The channel is attached and the sender is a participant, so the next message routes here. */
  private async ensureMembership(state: RoomState, message: InboundMessage, channel: Channel): Promise<void> {
    if (!state.bindings.has(channel.id)) await this.kit.attachChannel(state.id, channel.id);
    const sender = message.senderId;
    if (sender === undefined || state.participants.has(sender)) return;
    if (!(await this.kit.store.getParticipant(state.id, sender))) {
      await this.kit.addParticipant(state.id, { id: sender, channelId: channel.id });
    }
    state.participants.add(sender);
  }
}
