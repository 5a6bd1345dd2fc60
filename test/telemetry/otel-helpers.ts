import {
  type CollectionResult,
  type DataPoint,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** A reader the test collects from when it wants (no timer). */
export class TestMetricReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** An SDK of our own for one kit: spans into memory, metrics read on demand. */
export function otelForTest() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new TestMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    exporter,
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    /** Data points of one metric, by name. */
    async points(name: string): Promise<DataPoint<unknown>[]> {
      const { resourceMetrics }: CollectionResult = await reader.collect();
      return resourceMetrics.scopeMetrics
        .flatMap((s) => s.metrics)
        .filter((m) => m.descriptor.name === name)
        .flatMap((m) => m.dataPoints as DataPoint<unknown>[]);
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

export const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);

export const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

/** Every attribute value of every span (and link), as text: what a secret must not be in. */
export function allAttributeText(spans: ReadableSpan[]): string {
  return JSON.stringify(
    spans.map((s) => [s.name, s.attributes, s.status, s.links.map((l) => l.attributes), s.events]),
  );
}
