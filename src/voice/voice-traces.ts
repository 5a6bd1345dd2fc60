import type { TraceEmitter, VoiceBackend } from './backends/voice-backend.js';
import type { ProtocolTrace } from './types.js';

export type TraceObserver = (trace: ProtocolTrace) => void;

export interface TraceObserverOptions {
  /** Only traces of these protocols (e.g. ['sip']); default all. */
  protocols?: readonly string[];
}

/**
 * A channel's protocol-trace observers (the seed's `on_trace`). The backend is handed an
 * emitter only while someone observes, so transports skip building traces otherwise.
 */
export class TraceObservers {
  private readonly observers: { fn: TraceObserver; protocols?: ReadonlySet<string> }[] = [];

  constructor(
    private readonly backend: VoiceBackend,
    private readonly channelId: string,
  ) {}

  add(fn: TraceObserver, opts: TraceObserverOptions = {}): () => void {
    const entry = { fn, protocols: opts.protocols ? new Set(opts.protocols) : undefined };
    this.observers.push(entry);
    if (this.observers.length === 1) this.backend.setTraceEmitter(this.emit);
    return () => {
      const at = this.observers.indexOf(entry);
      if (at < 0) return;
      this.observers.splice(at, 1);
      if (this.observers.length === 0) this.backend.setTraceEmitter(undefined);
    };
  }

  private readonly emit: TraceEmitter = (trace) => {
    const stamped = { ...trace, channelId: trace.channelId ?? this.channelId };
    for (const { fn, protocols } of this.observers) {
      if (protocols && !protocols.has(trace.protocol)) continue;
      fn(stamped);
    }
  };
}
