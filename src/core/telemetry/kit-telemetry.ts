import {
  type Attributes,
  type Context,
  type Link,
  type MeterProvider,
  metrics,
  ProxyTracerProvider,
  type Span,
  SpanKind,
  type SpanContext,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { FrameworkEvents } from '../framework-events.js';
import { fail, InboundTrace } from './inbound-trace.js';
import { isRealMeterProvider, KitMetrics, type MetricSources } from './kit-metrics.js';
import { recordVoiceTurn, type TurnTimeline } from './voice-turn-trace.js';

export const TRACER_NAME = 'roomkit';
const VERSION = '0.1.0';

export interface TelemetryOptions {
  /** Where spans go (default: the global provider of `@opentelemetry/api`, a no-op until an SDK registers one). */
  tracerProvider?: TracerProvider;
  /** Where metrics go (default: the global meter provider; register it before creating the kit). */
  meterProvider?: MeterProvider;
}

/** The 'metric' framework event names of the voice turn stages, as the histogram's stage attribute. */
const STAGE_OF: Record<string, string> = {
  'voice.user_stop_to_transcript_final': 'transcript_final',
  'voice.user_stop_to_first_token': 'first_token',
  'voice.user_stop_to_first_tts_audio': 'first_tts_audio',
  'voice.user_stop_to_first_frame_sent': 'first_audio_sent',
};

/** Recent events' span contexts, so an AI reply and a voice turn can link to what caused them. */
const MAX_LINKS = 1024;

/**
 * OpenTelemetry for one kit, through `@opentelemetry/api` only (the app installs and configures
 * an SDK; `roomkit serve --otel` does). Every entry point first asks whether anything records:
 * with no SDK registered the pipeline creates no span and no attribute object, so the text path
 * costs one provider lookup per event.
 */
export class KitTelemetry {
  private readonly instruments?: KitMetrics;
  private readonly spanOfEvent = new Map<string, SpanContext>();
  private readonly sessions = new Map<string, Set<string>>();

  constructor(
    private readonly opts: TelemetryOptions,
    events: FrameworkEvents,
    sources: Omit<MetricSources, 'activeSessions'>,
  ) {
    events.on('metric', (m) => {
      const stage = STAGE_OF[m.name];
      if (stage) this.metrics()?.turnLatency.record(m.valueMs, { 'roomkit.voice.stage': stage });
    });
    const failure = (kind: string) => () => this.metrics()?.failures.add(1, { 'roomkit.failure.kind': kind });
    events.on('delivery_failed', failure('delivery'));
    events.on('provider_error', failure('provider'));
    events.on('hook_error', failure('hook'));
    events.on('channel_error', failure('channel'));
    const provider = opts.meterProvider ?? metrics.getMeterProvider();
    // The gauges exist from the start (they are read at collection, not on the hot path).
    this.instruments = isRealMeterProvider(provider)
      ? new KitMetrics(provider.getMeter(TRACER_NAME, VERSION), {
          ...sources,
          activeSessions: () => new Map([...this.sessions].map(([id, s]) => [id, s.size])),
        })
      : undefined;
  }

  /** The tracer, or undefined when nothing records spans (no SDK registered). */
  tracer(): Tracer | undefined {
    const provider = this.opts.tracerProvider ?? trace.getTracerProvider();
    return provider instanceof ProxyTracerProvider
      ? provider.getDelegateTracer(TRACER_NAME, VERSION)
      : provider.getTracer(TRACER_NAME, VERSION);
  }

  /**
   * The instruments, or undefined when nothing records metrics. The meter provider is the one
   * given, else the global one when the kit was created: resolved once, so counting a delivery
   * costs nothing when no SDK is registered.
   */
  metrics(): KitMetrics | undefined {
    return this.instruments;
  }

  /**
   * A trace for an inbound event, or undefined when not tracing. A reply (`responseTo`) is a
   * trace of its own, linked to the event it answers.
   */
  startInbound(channelId: string, channelType: string, responseTo?: string): InboundTrace | undefined {
    const tracer = this.tracer();
    if (!tracer) return undefined;
    const cause = responseTo === undefined ? undefined : this.spanOfEvent.get(responseTo);
    return new InboundTrace(
      tracer,
      { 'roomkit.channel.id': channelId, 'roomkit.channel.type': channelType },
      { links: cause ? [{ context: cause }] : undefined, root: responseTo !== undefined },
    );
  }

  /** Remember an event's span, so what it causes later can link to it. */
  committed(eventId: string, span: Span): void {
    this.spanOfEvent.set(eventId, span.spanContext());
    if (this.spanOfEvent.size > MAX_LINKS) this.spanOfEvent.delete(this.spanOfEvent.keys().next().value!);
  }

  /**
   * A span for one delivery (retries included) under the event's trace, and the context a
   * channel's own spans (an AI call) nest under.
   */
  startDelivery(
    parent: Context,
    channel: { id: string; channelType: string; category: string },
  ): { span: Span; context: Context } | undefined {
    const span = this.tracer()?.startSpan(
      'roomkit.deliver',
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'roomkit.channel.id': channel.id,
          'roomkit.channel.type': channel.channelType,
          'roomkit.channel.category': channel.category,
        },
      },
      parent,
    );
    return span && { span, context: trace.setSpan(parent, span) };
  }

  /** A delivery finished (after retries): the deliveries counter, and its span when traced. */
  delivered(channelId: string, span: Span | undefined, attempts: number, error?: unknown): void {
    const outcome = error === undefined ? 'delivered' : 'failed';
    this.metrics()?.deliveries.add(1, {
      'roomkit.channel.id': channelId,
      'roomkit.delivery.outcome': outcome,
    });
    if (!span) return;
    span.setAttribute('roomkit.delivery.attempts', attempts);
    span.setAttribute('roomkit.delivery.outcome', outcome);
    if (error !== undefined) fail(span, error);
    span.end();
  }

  /** A span for one model call (GenAI attribute names), under the delivery that asked for it. */
  startAICall(
    parent: Context | undefined,
    provider: { name: string; model: string },
    attributes: Attributes,
  ): Span | undefined {
    return this.tracer()?.startSpan(
      `chat ${provider.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.system': provider.name,
          'gen_ai.request.model': provider.model,
          ...attributes,
        },
      },
      parent,
    );
  }

  /** A finished voice turn as its own trace, linked to the room event of its transcript. */
  voiceTurn(turn: TurnTimeline & { eventId?: string }, attributes: Attributes): void {
    const tracer = this.tracer();
    if (!tracer) return;
    const cause = turn.eventId === undefined ? undefined : this.spanOfEvent.get(turn.eventId);
    const link: Link | undefined = cause ? { context: cause } : undefined;
    recordVoiceTurn(tracer, turn, { ...attributes, 'roomkit.event.id': turn.eventId ?? '' }, link);
  }

  /** A voice or realtime session started or ended on a channel (ended without starting counts nothing). */
  sessionChanged(channelId: string, sessionId: string, live: boolean): void {
    let ids = this.sessions.get(channelId);
    if (live) {
      if (!ids) this.sessions.set(channelId, (ids = new Set()));
      ids.add(sessionId);
    } else {
      // The channel stays, at zero: the gauge must say its sessions are over, not go silent.
      ids?.delete(sessionId);
    }
  }

  /** Live session ids per channel. */
  get activeSessions(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.sessions;
  }
}
