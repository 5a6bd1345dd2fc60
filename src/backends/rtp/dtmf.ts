import type { DTMFDigit } from '../../voice/pipeline/stages.js';

/**
 * RFC 4733 telephone events (DTMF named events 0-15): the 4-byte payload, a receiver that
 * turns the retransmitted packets of one key press into one event, and the packet plan for
 * sending a digit.
 */
export interface DtmfEvent {
  digit: DTMFDigit;
  /** How long the key was held (from the end packet; an estimate when the end was lost). */
  durationMs: number;
  /** Power level in -dBm0 (0 loudest, 63 quietest). */
  volume: number;
  /** Where it came from: RFC 4733 packets or SIP INFO. */
  source: 'rfc4733' | 'sip-info';
}

const EVENT_TO_DIGIT: readonly DTMFDigit[] = [
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  '*',
  '#',
  'A',
  'B',
  'C',
  'D',
];

export function digitToEvent(digit: string): number | undefined {
  const i = EVENT_TO_DIGIT.indexOf(digit.toUpperCase() as DTMFDigit);
  return i < 0 ? undefined : i;
}

export function eventToDigit(event: number): DTMFDigit | undefined {
  return EVENT_TO_DIGIT[event];
}

export interface TelephoneEventPayload {
  event: number;
  end: boolean;
  volume: number;
  /** In RTP timestamp units. */
  duration: number;
}

export function parseTelephoneEvent(payload: Uint8Array): TelephoneEventPayload | undefined {
  if (payload.byteLength < 4) return undefined;
  return {
    event: payload[0],
    end: (payload[1] & 0x80) !== 0,
    volume: payload[1] & 0x3f,
    duration: (payload[2] << 8) | payload[3],
  };
}

export function buildTelephoneEvent(p: TelephoneEventPayload): Uint8Array {
  const out = new Uint8Array(4);
  out[0] = p.event;
  out[1] = (p.end ? 0x80 : 0) | (p.volume & 0x3f);
  const duration = Math.min(0xffff, Math.max(0, Math.round(p.duration)));
  out[2] = duration >> 8;
  out[3] = duration & 0xff;
  return out;
}

/**
 * One key press arrives as many packets sharing an RTP timestamp (start, updates, three
 * end packets). The receiver reports it once: at the first end packet, or - when every end
 * packet was lost - when the next event starts or `flushStale` finds it silent too long.
 */
export class DtmfReceiver {
  private current: { timestamp: number; event: number; duration: number; volume: number } | undefined;
  /** Timestamps of events already reported (their trailing end packets are ignored). */
  private readonly done: number[] = [];
  private lastPacketAt = 0;

  constructor(
    private readonly clockRate: number,
    private readonly emit: (event: DtmfEvent) => void,
  ) {}

  /** Returns false when the payload is not a usable telephone event. */
  receive(timestamp: number, payload: Uint8Array, nowMs: number): boolean {
    const ev = parseTelephoneEvent(payload);
    if (!ev) return false;
    this.lastPacketAt = nowMs;
    if (this.done.includes(timestamp)) return true;
    if (this.current && this.current.timestamp !== timestamp) this.finish();
    if (!this.current) this.current = { timestamp, event: ev.event, duration: 0, volume: ev.volume };
    this.current.duration = Math.max(this.current.duration, ev.duration);
    if (ev.end) this.finish();
    return true;
  }

  /**
   * Reports an event whose end packets never came, once it has been quiet `afterMs` (called
   * from a timer). Returns how long it still has to stay quiet; 0 once reported, or when no
   * event is pending.
   */
  flushStale(nowMs: number, afterMs = 300): number {
    if (!this.current) return 0;
    const left = afterMs - (nowMs - this.lastPacketAt);
    if (left > 0) return left;
    this.finish();
    return 0;
  }

  get pending(): boolean {
    return this.current !== undefined;
  }

  private finish(): void {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    this.done.push(c.timestamp);
    if (this.done.length > 8) this.done.shift();
    const digit = eventToDigit(c.event);
    // Events 16+ (flash, tones) are valid RFC 4733 but not DTMF digits: consumed, not reported.
    if (digit === undefined) return;
    this.emit({
      digit,
      durationMs: Math.round((c.duration / this.clockRate) * 1000),
      volume: c.volume,
      source: 'rfc4733',
    });
  }
}

export interface DtmfSendOptions {
  /** Tone length per digit (default 100 ms, at least 40). */
  durationMs?: number;
  /** Silence between digits (default 60 ms). */
  gapMs?: number;
  /** -dBm0 (default 10). */
  volume?: number;
}

/** The payloads of one digit, one per packet interval; the end packet goes out three times. */
export function digitPackets(
  event: number,
  durationMs: number,
  frameMs: number,
  clockRate: number,
  volume: number,
) {
  const packets: { payload: Uint8Array; marker: boolean }[] = [];
  const steps = Math.max(1, Math.round(durationMs / frameMs));
  const unit = (frameMs / 1000) * clockRate;
  for (let i = 1; i <= steps; i++) {
    const end = i === steps;
    const payload = buildTelephoneEvent({ event, end, volume, duration: i * unit });
    packets.push({ payload, marker: i === 1 });
    if (end) packets.push({ payload, marker: false }, { payload, marker: false });
  }
  return packets;
}
