import {
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  type MeterProvider,
} from '@opentelemetry/api';
import type { CircuitState } from '../resilience/circuit-breaker.js';

/** What the observable gauges read when a metrics reader collects (never on the hot path). */
export interface MetricSources {
  /** Circuit breaker state per channel. */
  breakers(): Iterable<{ channelId: string; state: CircuitState }>;
  /** Deliveries waiting in the lanes, per target channel (summed over loaded rooms). */
  queueDepths(): Map<string, number>;
  /** Live voice and realtime sessions per channel. */
  activeSessions(): Map<string, number>;
}

const BREAKER_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/**
 * The kit's instruments on one meter:
 * - `roomkit.voice.turn.latency` (histogram, ms; `roomkit.voice.stage`: transcript_final,
 *   first_token, first_tts_audio, first_audio_sent): each stage measured from the user's stop;
 * - `roomkit.voice.sessions.active` (gauge, per channel);
 * - `roomkit.deliveries` (counter; `roomkit.channel.id`, `roomkit.delivery.outcome`);
 * - `roomkit.failures` (counter; `roomkit.failure.kind`: delivery, provider, hook, channel);
 * - `roomkit.circuit_breaker.state` (gauge per channel: 0 closed, 1 half open, 2 open);
 * - `roomkit.delivery.queue_depth` (gauge per target channel: deliveries waiting).
 */
export class KitMetrics {
  readonly turnLatency: Histogram;
  readonly deliveries: Counter;
  readonly failures: Counter;

  constructor(meter: Meter, sources: MetricSources) {
    this.turnLatency = meter.createHistogram('roomkit.voice.turn.latency', {
      unit: 'ms',
      description: "Voice turn latency from the user's stop to each stage",
      advice: { explicitBucketBoundaries: [50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000] },
    });
    this.deliveries = meter.createCounter('roomkit.deliveries', {
      description: 'Deliveries of room events to channels, by outcome',
    });
    this.failures = meter.createCounter('roomkit.failures', {
      description: 'Failures: deliveries, provider calls, hooks, channels (voice sessions included)',
    });
    meter
      .createObservableGauge('roomkit.voice.sessions.active', {
        description: 'Live voice and realtime sessions',
      })
      .addCallback((result) => {
        for (const [channelId, n] of sources.activeSessions())
          result.observe(n, { 'roomkit.channel.id': channelId });
      });
    meter
      .createObservableGauge('roomkit.circuit_breaker.state', {
        description: 'Circuit breaker state per channel: 0 closed, 1 half open, 2 open',
      })
      .addCallback((result) => {
        for (const { channelId, state } of sources.breakers())
          result.observe(BREAKER_VALUE[state], { 'roomkit.channel.id': channelId });
      });
    meter
      .createObservableGauge('roomkit.delivery.queue_depth', {
        description: 'Deliveries waiting in the lanes, per target channel',
      })
      .addCallback((result) => {
        for (const [channelId, n] of sources.queueDepths())
          result.observe(n, { 'roomkit.channel.id': channelId });
      });
  }
}

const NoopMeter = createNoopMeter().constructor;

/** True when a provider hands out real meters (an SDK is registered), false for the API's no-op. */
export function isRealMeterProvider(provider: MeterProvider): boolean {
  return !(provider.getMeter('roomkit') instanceof NoopMeter);
}
