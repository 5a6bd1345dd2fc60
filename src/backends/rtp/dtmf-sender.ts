import { ValidationError } from '../../core/errors.js';
import type { PacerClock } from '../../voice/pacer.js';
import { digitPackets, digitToEvent, type DtmfSendOptions } from './dtmf.js';

export type { DtmfSendOptions } from './dtmf.js';

interface Job {
  digits: string;
  opts: DtmfSendOptions;
  clockRate: number;
  resolve(): void;
  reject(error: Error): void;
}

export interface DtmfSenderOptions {
  clock: PacerClock;
  frameMs: number;
  send(payload: Uint8Array, marker: boolean, timestamp: number): void;
  /** RTP timestamp the next event starts at. */
  startTimestamp(): number;
  /** A digit string was sent: the stream's timestamp continues from `timestamp`. */
  finished(timestamp: number, digits: number): void;
}

/**
 * Sends RFC 4733 digits at packet rate: every event's packets share its start timestamp,
 * the duration field grows each frame, the end packet goes three times; digits are separated
 * by `gapMs`. Jobs queue, so `sendDtmf('12')` then `sendDtmf('3')` play in order.
 */
export class DtmfSender {
  private readonly queue: Job[] = [];
  private timer: unknown;
  private running = false;

  constructor(private readonly o: DtmfSenderOptions) {}

  get active(): boolean {
    return this.running;
  }

  send(digits: string, opts: DtmfSendOptions, clockRate: number): Promise<void> {
    for (const d of digits) {
      if (digitToEvent(d) === undefined) return Promise.reject(new ValidationError(`not a DTMF digit: ${d}`));
    }
    if ((opts.durationMs ?? 100) < 40)
      return Promise.reject(new ValidationError('DTMF digits last at least 40 ms'));
    return new Promise((resolve, reject) => {
      this.queue.push({ digits, opts, clockRate, resolve, reject });
      if (!this.running) this.next();
    });
  }

  cancel(): void {
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.running = false;
    for (const job of this.queue.splice(0)) job.reject(new Error('call ended before the digits were sent'));
  }

  private next(): void {
    const job = this.queue[0];
    if (!job) {
      this.running = false;
      return;
    }
    this.running = true;
    const { frameMs } = this.o;
    const duration = job.opts.durationMs ?? 100;
    const gapMs = job.opts.gapMs ?? 60;
    const volume = job.opts.volume ?? 10;
    const plan: { payload: Uint8Array; marker: boolean; delay: number; timestamp: number }[] = [];
    let ts = this.o.startTimestamp();
    for (const d of job.digits) {
      const packets = digitPackets(digitToEvent(d)!, duration, frameMs, job.clockRate, volume);
      const steps = packets.length - 2; // the two end retransmissions go out right after the end
      packets.forEach((p, i) => {
        plan.push({ ...p, timestamp: ts, delay: i === 0 ? gapMs : i < steps ? frameMs : 0 });
      });
      ts = (ts + Math.round(((duration + gapMs) / 1000) * job.clockRate)) >>> 0;
    }
    plan[0].delay = 0;
    let i = 0;
    const step = () => {
      this.timer = undefined;
      while (i < plan.length) {
        const p = plan[i++];
        this.o.send(p.payload, p.marker, p.timestamp);
        if (i < plan.length && plan[i].delay > 0) {
          this.timer = this.o.clock.setTimer(step, plan[i].delay);
          return;
        }
      }
      this.queue.shift();
      this.o.finished(ts, job.digits.length);
      job.resolve();
      this.next();
    };
    step();
  }
}
