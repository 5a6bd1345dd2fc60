import {
  Channel,
  type ChannelBinding,
  type ChannelCapabilities,
  ChannelCategory,
  type ChannelOutput,
  ChannelType,
  type DeliveryContext,
  type RoomEvent,
} from '../../src/index.js';

/** A transport that records what it receives; optional per-event delay or failure script. */
export class RecordingChannel extends Channel {
  readonly channelType: ChannelType;
  readonly got: RoomEvent[] = [];
  delayFor?: (event: RoomEvent) => number;
  failTimes = 0;
  attempts = 0;

  constructor(id: string, opts: { type?: ChannelType; capabilities?: Partial<ChannelCapabilities> } = {}) {
    super(id);
    this.channelType = opts.type ?? ChannelType.WEBHOOK;
    if (opts.capabilities) this.capabilities = { ...this.capabilities, ...opts.capabilities };
  }

  override async deliver(
    event: RoomEvent,
    _b: ChannelBinding,
    _ctx: DeliveryContext,
  ): Promise<ChannelOutput> {
    this.attempts++;
    const ms = this.delayFor?.(event) ?? 0;
    if (ms) await new Promise((r) => setTimeout(r, ms));
    if (this.failTimes > 0) {
      this.failTimes--;
      throw new Error(`${this.id} failed`);
    }
    this.got.push(event);
    return {};
  }

  texts(): string[] {
    return this.got.map((e) => (e.content.type === 'text' ? e.content.body : `[${e.content.type}]`));
  }
}

/** An intelligence channel that answers every message with a fixed reply (or a function of it). */
export class EchoAgent extends Channel {
  override readonly category = ChannelCategory.INTELLIGENCE;
  readonly channelType = ChannelType.AI;
  readonly seen: RoomEvent[] = [];

  constructor(
    id: string,
    private readonly reply: (event: RoomEvent) => string = (e) =>
      `re: ${e.content.type === 'text' ? e.content.body : e.content.type}`,
  ) {
    super(id);
  }

  override async onEvent(event: RoomEvent): Promise<ChannelOutput> {
    this.seen.push(event);
    if (event.content.type === 'system') return {};
    return { responseEvents: [{ content: { type: 'text', body: this.reply(event) } }] };
  }
}

export const text = (body: string) => ({ type: 'text' as const, body });
