import { context, DiagLogLevel, diag, metrics, trace } from '@opentelemetry/api';
import { RoomKitError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { redactSecrets } from '../core/redact.js';

export interface OtelHandle {
  /** Where spans and metrics go ('none' when that signal is off). */
  traces: string;
  metrics: string;
  /** Export what is buffered, then stop (the server's close calls it). */
  shutdown(): Promise<void>;
}

const VERSION = '0.1.0';

/**
 * What `--otel` needs beyond `@opentelemetry/api`. The library depends on the API only (an app
 * brings its own SDK); these are optional peer dependencies, installed by whoever wants
 * `roomkit serve` itself to export.
 */
export const OTEL_SDK_PACKAGES = [
  '@opentelemetry/sdk-trace-base@^2.5.1',
  '@opentelemetry/sdk-metrics@^2.5.1',
  '@opentelemetry/resources@^2.5.1',
  '@opentelemetry/context-async-hooks@^2.5.1',
  '@opentelemetry/exporter-trace-otlp-http@^0.212.0',
  '@opentelemetry/exporter-metrics-otlp-http@^0.212.0',
];

/** `--otel` without the SDK installed: the message says what to install. */
export class OtelSdkMissingError extends RoomKitError {
  constructor(cause: unknown) {
    super(
      `roomkit serve --otel needs the OpenTelemetry SDK, which roomkit does not install (it depends on @opentelemetry/api only). Install with: npm install ${OTEL_SDK_PACKAGES.join(' ')}`,
      { code: 'otel_sdk_missing', cause },
    );
  }
}

/** Loads an SDK package, or says which to install when it is missing. */
export async function sdkImport<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: string } | undefined)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new OtelSdkMissingError(error);
    throw error;
  }
}

/**
 * `roomkit serve --otel`: an OpenTelemetry SDK exporting over OTLP/HTTP (JSON), configured the
 * standard way, by `OTEL_*` environment variables: `OTEL_EXPORTER_OTLP_ENDPOINT` (default
 * http://localhost:4318), `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`/`..._METRICS_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME` (default roomkit), `OTEL_RESOURCE_ATTRIBUTES`,
 * `OTEL_TRACES_SAMPLER`(`_ARG`), `OTEL_BSP_*`, `OTEL_METRIC_EXPORT_INTERVAL` (ms, default 60000),
 * `OTEL_TRACES_EXPORTER`/`OTEL_METRICS_EXPORTER` (`otlp`, `console` or `none`) and
 * `OTEL_SDK_DISABLED`. The SDK packages are loaded here only, so a server without `--otel`
 * never imports them. Registered globally before the kit is created: the kit's telemetry uses
 * the global providers of `@opentelemetry/api`.
 */
export async function startOtel(logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<OtelHandle> {
  if (env.OTEL_SDK_DISABLED === 'true') {
    logger.warn({}, 'OTEL_SDK_DISABLED=true: --otel exports nothing');
    return { traces: 'none', metrics: 'none', shutdown: async () => {} };
  }
  const protocol = env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol && protocol !== 'http/json') {
    logger.warn({ protocol }, 'OTEL_EXPORTER_OTLP_PROTOCOL: roomkit serve exports http/json only; using it');
  }
  // Exporter failures (collector down) reach our log, never the process's stdout.
  diag.setLogger(
    {
      error: (message) => logger.warn({ otel: redactSecrets(message) }, 'OpenTelemetry export problem'),
      warn: (message) => logger.warn({ otel: redactSecrets(message) }, 'OpenTelemetry export problem'),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN,
  );
  const [
    { defaultResource, detectResources, envDetector, resourceFromAttributes },
    { AsyncLocalStorageContextManager },
  ] = await Promise.all([
    sdkImport(() => import('@opentelemetry/resources')),
    sdkImport(() => import('@opentelemetry/context-async-hooks')),
  ]);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'roomkit', 'service.version': VERSION }))
    .merge(detectResources({ detectors: [envDetector] }));
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

  const stops: (() => Promise<void>)[] = [];
  const tracesTo = exporterKind(env.OTEL_TRACES_EXPORTER, 'OTEL_TRACES_EXPORTER', logger);
  if (tracesTo !== 'none') {
    const { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter } = await sdkImport(
      () => import('@opentelemetry/sdk-trace-base'),
    );
    const exporter =
      tracesTo === 'console'
        ? new ConsoleSpanExporter()
        : new (await sdkImport(() => import('@opentelemetry/exporter-trace-otlp-http'))).OTLPTraceExporter();
    const provider = new BasicTracerProvider({
      resource,
      spanProcessors: [new BatchSpanProcessor(exporter)],
    });
    trace.setGlobalTracerProvider(provider);
    stops.push(() => provider.shutdown());
  }
  const metricsTo = exporterKind(env.OTEL_METRICS_EXPORTER, 'OTEL_METRICS_EXPORTER', logger);
  if (metricsTo !== 'none') {
    const { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } = await sdkImport(
      () => import('@opentelemetry/sdk-metrics'),
    );
    const exporter =
      metricsTo === 'console'
        ? new ConsoleMetricExporter()
        : new (
            await sdkImport(() => import('@opentelemetry/exporter-metrics-otlp-http'))
          ).OTLPMetricExporter();
    const interval = positive(env.OTEL_METRIC_EXPORT_INTERVAL) ?? 60_000;
    const provider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter,
          exportIntervalMillis: interval,
          exportTimeoutMillis: Math.min(interval, positive(env.OTEL_METRIC_EXPORT_TIMEOUT) ?? 30_000),
        }),
      ],
    });
    metrics.setGlobalMeterProvider(provider);
    stops.push(() => provider.shutdown());
  }
  const endpoint = (signal: 'traces' | 'metrics', kind: string) =>
    kind === 'otlp' ? showUrl(signalEndpoint(env, signal)) : kind;
  const handle: OtelHandle = {
    traces: endpoint('traces', tracesTo),
    metrics: endpoint('metrics', metricsTo),
    async shutdown() {
      await Promise.allSettled(stops.map((stop) => stop()));
      trace.disable();
      metrics.disable();
      context.disable();
      diag.disable();
    },
  };
  logger.info(
    { traces: handle.traces, metrics: handle.metrics, service: resource.attributes['service.name'] },
    'OpenTelemetry export on (OTLP/HTTP JSON)',
  );
  return handle;
}

function exporterKind(value: string | undefined, name: string, logger: Logger): 'otlp' | 'console' | 'none' {
  const kind = (value ?? 'otlp').split(',')[0]!.trim();
  if (kind === 'otlp' || kind === 'console' || kind === 'none') return kind;
  logger.warn({ [name]: kind }, `${name}: roomkit serve knows otlp, console and none; using otlp`);
  return 'otlp';
}

/** Where the OTLP/HTTP exporter sends a signal, by the spec's rules (for the log line). */
function signalEndpoint(env: NodeJS.ProcessEnv, signal: 'traces' | 'metrics'): string {
  const specific = env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`];
  if (specific) return specific;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT || 'http://localhost:4318';
  return `${base.replace(/\/$/, '')}/v1/${signal}`;
}

/** A URL as a log line may show it: no credentials, no query. */
function showUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function positive(value: string | undefined): number | undefined {
  const n = Number(value);
  return value && Number.isFinite(n) && n > 0 ? n : undefined;
}
