/**
 * What happened to a message after the provider accepted it. Status callbacks name the
 * provider's message id; the tracker maps it back to the room event (from memory, or from the
 * reference the provider echoed), then: final states are written to the room's timeline as a
 * `delivery_status` system notice (so every process and the console see them), every state is
 * published as an ephemeral `delivery_status` (reads also as `read_receipt`), and failures
 * fire `delivery_failed` with the carrier's error code.
 */
import { RoomKitError } from '../../core/errors.js';
import type { RoomKit } from '../../core/roomkit.js';
import {
  type DeliveryRef,
  type DeliveryState,
  FINAL_DELIVERY_STATES,
  type ProviderStatusUpdate,
} from './types.js';

/** A carrier reported that a message it accepted did not reach the handset. */
export class DeliveryReceiptError extends RoomKitError {
  readonly provider: string;
  readonly carrierCode?: string;

  constructor(provider: string, status: DeliveryState, carrierCode?: string, detail?: string) {
    super(
      `${provider}: message ${status}${carrierCode ? ` (error ${carrierCode})` : ''}${detail ? `: ${detail}` : ''}`,
      {
        code: 'delivery_receipt_failed',
      },
    );
    this.provider = provider;
    this.carrierCode = carrierCode;
  }
}

export interface DeliveryStatusRecord {
  roomId: string;
  eventId: string;
  channelId: string;
  provider: string;
  providerMessageId: string;
  status: DeliveryState;
  recipient?: string;
  errorCode?: string;
  errorMessage?: string;
}

interface SentRecord extends DeliveryRef {
  recipient: string;
  participantId?: string;
  last?: DeliveryState;
}

const RANK: Record<DeliveryState, number> = {
  queued: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  failed: 4,
  undelivered: 4,
};

export class DeliveryTracker {
  private readonly sent = new Map<string, SentRecord>();

  constructor(
    private readonly channelId: string,
    private readonly provider: string,
    private readonly maxTracked = 50_000,
  ) {}

  /** Remember a send so its status callbacks find their event. */
  remember(providerMessageId: string, ref: DeliveryRef, recipient: string, participantId?: string): void {
    this.sent.set(providerMessageId, { ...ref, recipient, participantId });
    while (this.sent.size > this.maxTracked) this.sent.delete(this.sent.keys().next().value!);
  }

  /** The last known state of a sent message. */
  stateOf(providerMessageId: string): DeliveryState | undefined {
    return this.sent.get(providerMessageId)?.last;
  }

  async record(kit: RoomKit, update: ProviderStatusUpdate): Promise<DeliveryStatusRecord | undefined> {
    const known = this.sent.get(update.providerMessageId);
    const ref = known ?? update.ref;
    if (!ref) {
      kit.logger.debug(
        { channelId: this.channelId, id: update.providerMessageId },
        'status for an unknown message',
      );
      return undefined;
    }
    // Callbacks arrive out of order ('sent' after 'delivered'): never step backwards.
    if (known?.last && RANK[known.last] >= RANK[update.status]) return undefined;
    if (known) known.last = update.status;
    const record: DeliveryStatusRecord = {
      roomId: ref.roomId,
      eventId: ref.eventId,
      channelId: this.channelId,
      provider: this.provider,
      providerMessageId: update.providerMessageId,
      status: update.status,
      recipient: update.recipient ?? known?.recipient,
      ...(update.errorCode ? { errorCode: update.errorCode } : {}),
      ...(update.errorMessage ? { errorMessage: update.errorMessage } : {}),
    };
    kit.ephemeral.publish({
      type: 'delivery_status',
      roomId: ref.roomId,
      channelId: this.channelId,
      data: { ...record },
    });
    if (update.status === 'read' && known?.participantId)
      kit.markRead(ref.roomId, known.participantId, ref.eventId);
    kit.events.emit('delivery_status', record);
    if (FINAL_DELIVERY_STATES.has(update.status)) await this.writeNotice(kit, record);
    if (update.status === 'failed' || update.status === 'undelivered') await this.reportFailure(kit, record);
    return record;
  }

  private async writeNotice(kit: RoomKit, record: DeliveryStatusRecord): Promise<void> {
    const state = await kit.loadState(record.roomId);
    if (!state) return;
    const { roomId: _roomId, ...data } = record;
    await kit.rooms.systemEvent(state, 'delivery_status', data as unknown as Record<string, unknown>);
  }

  private async reportFailure(kit: RoomKit, record: DeliveryStatusRecord): Promise<void> {
    const event = await kit.store.getEvent(record.roomId, record.eventId);
    if (!event) return;
    const error = new DeliveryReceiptError(
      this.provider,
      record.status,
      record.errorCode,
      record.errorMessage,
    );
    kit.events.emit('delivery_failed', { event, channelId: this.channelId, error, attempts: 1 });
  }
}
