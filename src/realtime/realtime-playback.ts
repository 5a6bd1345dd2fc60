import { OutboundPacer, type PacerClock } from '../voice/pacer.js';
import type { AudioFrame } from '../voice/types.js';

export interface RealtimePlaybackOptions {
  sampleRate: number;
  send: (frame: AudioFrame) => void;
  /** Everything queued so far has been played (the transport may say "not speaking"). */
  onDrained?: () => void;
  onError?: (error: unknown) => void;
  frameMs?: number;
  leadMs?: number;
  clock?: PacerClock;
}

interface ItemSpan {
  /** Playback position (ms, in the current pacer response) where the item's audio starts. */
  startMs: number;
  /** Milliseconds of the item's audio queued so far. */
  queuedMs: number;
}

/**
 * The outbound side of one realtime session: provider audio (already at the transport rate)
 * goes out through an OutboundPacer at real time, so at any moment we know how much of each
 * assistant item the caller has actually heard, and a barge-in can drop the rest at once.
 *
 * Vendors generate faster than real time, so a new answer can start while the previous one
 * is still playing out: its audio waits in `next` until the pacer drained, instead of being
 * dropped by a pacer that is ending.
 */
export class RealtimePlayback {
  private readonly pacer: OutboundPacer;
  private readonly items = new Map<string, ItemSpan>();
  /** Items whose audio the caller must never hear (cut by a barge-in). */
  private readonly cut = new Set<string>();
  private next: { pcm: Int16Array; itemId?: string }[] = [];
  /** The waiting answer is complete too (its end must not be lost while the previous one plays). */
  private nextEnded = false;
  private currentItem?: string;
  private closed = false;

  constructor(private readonly opts: RealtimePlaybackOptions) {
    this.pacer = new OutboundPacer({
      sampleRate: opts.sampleRate,
      frameMs: opts.frameMs,
      leadMs: opts.leadMs,
      clock: opts.clock,
      send: opts.send,
      onError: opts.onError,
      // Vendors may pause (or stop) short of a frame mid-answer: that audio must not wait
      // for the end of the response.
      partialFlushMs: opts.frameMs ?? 20,
    });
  }

  get isPlaying(): boolean {
    return this.pacer.isPlaying || this.next.length > 0;
  }

  /** The item whose audio was queued last. */
  get lastItemId(): string | undefined {
    return this.currentItem;
  }

  /** Queue model audio (any chunk size; copied). Audio of a cut item is dropped. */
  push(pcm: Int16Array, itemId?: string): void {
    if (this.closed || pcm.length === 0 || (itemId !== undefined && this.cut.has(itemId))) return;
    const state = this.pacer.state;
    if (state === 'ending') {
      this.next.push({ pcm: pcm.slice(), itemId });
      return;
    }
    if (state === 'drained' || state === 'interrupted') this.restart();
    this.queue(pcm, itemId);
  }

  /** The answer is complete: flush the last partial frame and report when it has been heard. */
  endResponse(): void {
    if (this.closed) return;
    if (this.pacer.state === 'ending' && this.next.length > 0) {
      this.nextEnded = true;
      return;
    }
    if (this.pacer.state !== 'playing') return;
    this.pacer.end();
    void this.pacer.drained.then((result) => {
      if (result.interrupted || this.closed) return;
      if (this.next.length === 0) {
        this.opts.onDrained?.();
        return;
      }
      const waiting = this.next;
      const ended = this.nextEnded;
      this.next = [];
      this.nextEnded = false;
      this.restart();
      for (const entry of waiting) this.queue(entry.pcm, entry.itemId);
      if (ended) this.endResponse();
    });
  }

  /**
   * Barge-in: stop now, drop everything queued (and any late audio of the cut items).
   * Returns how much of the answer the caller heard (`playedMs`), and of the item that was
   * playing (`itemPlayedMs`, what a vendor truncates to; undefined when the item is unknown).
   * `unheardMs`: what the transport was handed but the far end has not confirmed playing (a
   * carrier's echoed marks); the heard position is then what was sent minus that, rather
   * than the pacer's own estimate.
   */
  interrupt(
    itemId = this.currentItem,
    unheardMs?: number,
  ): { itemId?: string; playedMs: number; itemPlayedMs?: number } {
    const position = this.pacer.interrupt();
    const playedMs = unheardMs === undefined ? position.playedMs : Math.max(0, position.sentMs - unheardMs);
    this.next = [];
    this.nextEnded = false;
    const itemPlayedMs = this.heardOf(itemId, playedMs);
    for (const id of this.items.keys()) this.cut.add(id);
    if (itemId !== undefined) this.cut.add(itemId);
    // Item ids are unique per answer; keep the set from growing over a long call.
    while (this.cut.size > 256) this.cut.delete(this.cut.values().next().value as string);
    return { itemId, playedMs, itemPlayedMs };
  }

  close(): void {
    this.closed = true;
    this.next = [];
    this.pacer.interrupt();
  }

  private heardOf(itemId: string | undefined, playedMs: number): number | undefined {
    const span = itemId === undefined ? undefined : this.items.get(itemId);
    if (!span) return undefined;
    return Math.max(0, Math.min(span.queuedMs, playedMs - span.startMs));
  }

  private restart(): void {
    this.pacer.reset();
    this.items.clear();
  }

  private queue(pcm: Int16Array, itemId: string | undefined): void {
    if (itemId !== undefined) {
      let span = this.items.get(itemId);
      if (!span) {
        span = { startMs: this.pacer.sentMs + this.pacer.queuedMs, queuedMs: 0 };
        this.items.set(itemId, span);
      }
      span.queuedMs += (pcm.length / this.opts.sampleRate) * 1000;
    }
    this.currentItem = itemId ?? this.currentItem;
    this.pacer.push(pcm);
  }
}
