import { performance } from 'node:perf_hooks';
import { ValidationError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export interface VoiceAdmissionOptions {
  /** Calls at once, every transport that counts its calls here together; the next is refused. */
  maxSessions?: number;
  /**
   * Refuse new calls while the event loop that would carry them was busier than this over
   * the last second (its utilization, 0-1, `performance.eventLoopUtilization`). Calls already
   * up are never dropped.
   */
  maxLoad?: number;
}

/** Why a new call was refused: what a transport answers with (HTTP 503, SIP 503...). */
export interface VoiceAdmissionRefusal {
  code: 'at_capacity' | 'overloaded';
  message: string;
  /** When a caller may try again, seconds (an HTTP `Retry-After`). */
  retryAfterS: number;
}

/** When a refused caller may try again, seconds (every voice path's 503 says the same). */
export const VOICE_RETRY_AFTER_S = 5;
/** Refusals come in floods when a server is full: one log line per reason per this long. */
const LOG_EVERY_MS = 10_000;

/**
 * Keeps a voice server under the load it can carry. A voice server that takes one call too
 * many does not degrade that call alone: past its core, every call's frames are late and turns
 * queue for seconds (on the bench, 750 callers in lockstep on a server that carries 500-700:
 * loop p99 205 ms, replies 5 s late). So the calls past a limit are refused at the door, where
 * the caller (or a load balancer) can go elsewhere, and the calls already up keep their quality.
 *
 * Two limits, both off unless set: a number of calls (`maxSessions`, the precise one: measure
 * it with `npm run bench -- voice`) and the event loop's utilization (`maxLoad`, a guard for
 * when calls cost more than measured). Transports ask `refusal()` before a call starts.
 */
export class VoiceAdmission {
  private readonly counts: (() => number)[] = [];
  private readonly load: LoopLoad | undefined;
  private readonly refused = new Map<string, { count: number; loggedAt: number }>();

  constructor(
    readonly options: VoiceAdmissionOptions,
    private readonly logger: Logger,
  ) {
    const { maxSessions, maxLoad } = options;
    if (maxSessions !== undefined && !(Number.isInteger(maxSessions) && maxSessions >= 1)) {
      throw new ValidationError(`maxSessions must be a whole number >= 1, got ${maxSessions}`);
    }
    if (maxLoad !== undefined && !(maxLoad > 0 && maxLoad <= 1)) {
      throw new ValidationError(`maxLoad must be above 0 and at most 1, got ${maxLoad}`);
    }
    if (maxLoad !== undefined) this.load = new LoopLoad();
  }

  /** Whether either limit is set (a transport may skip asking otherwise). */
  get limited(): boolean {
    return this.options.maxSessions !== undefined || this.options.maxLoad !== undefined;
  }

  /** A transport's live calls, counted against `maxSessions` (returns: stop counting them). */
  countCalls(calls: () => number): () => void {
    this.counts.push(calls);
    return () => {
      const i = this.counts.indexOf(calls);
      if (i >= 0) this.counts.splice(i, 1);
    };
  }

  /** Calls counted now, over every transport. */
  get calls(): number {
    let n = 0;
    for (const count of this.counts) n += count();
    return n;
  }

  /**
   * Undefined when a new call may start, else why not (logged). `load`: the utilization of the
   * loop that would carry the call when it is not this process's (a voice worker's).
   */
  refusal(transport: string, load?: number): VoiceAdmissionRefusal | undefined {
    const { maxSessions, maxLoad } = this.options;
    if (maxSessions !== undefined) {
      const calls = this.calls;
      if (calls >= maxSessions) {
        return this.refuse(transport, 'at_capacity', `the server carries ${calls} calls, its limit`, {
          calls,
          maxSessions,
        });
      }
    }
    if (maxLoad !== undefined) {
      const busy = load ?? this.load!.utilization;
      if (busy > maxLoad) {
        return this.refuse(transport, 'overloaded', 'the server is too busy for another call', {
          load: Math.round(busy * 100) / 100,
          maxLoad,
        });
      }
    }
    return undefined;
  }

  close(): void {
    this.load?.close();
  }

  private refuse(
    transport: string,
    code: VoiceAdmissionRefusal['code'],
    message: string,
    figures: Record<string, number>,
  ): VoiceAdmissionRefusal {
    const key = `${transport}/${code}`;
    const now = performance.now();
    const seen = this.refused.get(key);
    if (!seen || now - seen.loggedAt >= LOG_EVERY_MS) {
      const refused = (seen?.count ?? 0) + 1;
      this.logger.warn({ transport, code, refused, ...figures }, 'voice call refused');
      this.refused.set(key, { count: 0, loggedAt: now });
    } else {
      seen.count++;
    }
    return { code, message, retryAfterS: VOICE_RETRY_AFTER_S };
  }
}

/**
 * This process's event-loop utilization over the last full period, sampled once a period
 * (an unref'd timer: it keeps no process alive). `onSample` hears each new value (a voice
 * worker reports it to the main process, which admits the calls).
 */
export class LoopLoad {
  private last = performance.eventLoopUtilization();
  private value = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(periodMs = 1000, onSample?: (utilization: number) => void) {
    this.timer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      this.value = performance.eventLoopUtilization(now, this.last).utilization;
      this.last = now;
      onSample?.(this.value);
    }, periodMs);
    this.timer.unref();
  }

  /** 0 (idle) to 1 (never idle) over the last period. */
  get utilization(): number {
    return this.value;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
