import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { RoomEvent } from '../../models/index.js';
import { traceError } from './event-traces.js';

/** The stages of the inbound pipeline that get a span each, in order. */
export type InboundStage = 'route' | 'lock' | 'hooks' | 'commit';

/**
 * One inbound event as a trace: a `roomkit.inbound` span with a child span per pipeline stage
 * (`roomkit.route`, `roomkit.lock`, `roomkit.hooks`, `roomkit.commit`). Deliveries and the
 * AI calls they make are children of it too (`context`). Only ids, names, indexes and
 * statuses become attributes: never content, never credentials.
 */
export class InboundTrace {
  readonly span: Span;
  readonly context: Context;
  private stage?: Span;
  private ended = false;

  constructor(
    private readonly tracer: Tracer,
    attributes: Attributes,
    opts: { links?: Link[]; root?: boolean } = {},
  ) {
    this.span = tracer.startSpan(
      'roomkit.inbound',
      { kind: SpanKind.INTERNAL, attributes, links: opts.links, root: opts.root },
      context.active(),
    );
    this.context = trace.setSpan(context.active(), this.span);
  }

  /** Start a stage (ending the one before). */
  begin(stage: InboundStage): void {
    this.stage?.end();
    this.stage = this.tracer.startSpan(`roomkit.${stage}`, undefined, this.context);
  }

  /** End the running stage, with an error status when it failed. */
  endStage(error?: unknown): void {
    if (!this.stage) return;
    if (error !== undefined) fail(this.stage, error);
    this.stage.end();
    this.stage = undefined;
  }

  /** What the pipeline decided: the event's room, id, index, status. */
  event(event: RoomEvent): void {
    this.span.setAttributes(eventAttributes(event));
  }

  /** Nothing was stored (room closed, timeout, duplicate): say why. */
  outcome(reason: string): void {
    this.span.setAttribute('roomkit.outcome', reason);
  }

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.endStage(error);
    if (error !== undefined) fail(this.span, error);
    this.span.end();
  }
}

export function eventAttributes(event: RoomEvent): Attributes {
  const attributes: Attributes = {
    'roomkit.room.id': event.roomId,
    'roomkit.event.id': event.id,
    'roomkit.event.index': event.index,
    'roomkit.event.type': event.type,
    'roomkit.event.status': event.status,
    'roomkit.event.chain_depth': event.chainDepth,
    'roomkit.event.content_type': event.content.type,
  };
  if (event.blockedBy !== undefined) attributes['roomkit.event.blocked_by'] = event.blockedBy;
  return attributes;
}

/** Mark a span failed; the message has credentials removed (vendors quote keys they refused). */
export function fail(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: traceError(error) });
}
