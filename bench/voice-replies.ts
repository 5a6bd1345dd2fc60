/**
 * The voice load client's reply accounting, per caller: which utterances were owed a reply,
 * and what became of each. A reply answers the latest utterance that ended before it started.
 */
import { REPLY_DEADLINE_MS } from './voice-traffic.js';

/** The callers' cycle: voiced for VOICED_MS out of every CYCLE_MS, sent in FRAME_MS frames. */
export const FRAME_MS = 20;
export const CYCLE_MS = 2000;
export const VOICED_MS = 1200;
/** Voice the servers' VAD needs before it starts an utterance (100 ms), with margin. */
export const MIN_UTTERANCE_MS = 200;

/** Where a caller's utterances end (ms from the run's start), ascending: its voice stops, or the calls do. */
export function utteranceEnds(offsetMs: number, runEndMs: number): number[] {
  const ends: number[] = [];
  for (let t = VOICED_MS - offsetMs; t - VOICED_MS < runEndMs; t += CYCLE_MS)
    if (t > 0) ends.push(Math.min(t, runEndMs));
  return ends;
}

export interface CallerReplies {
  /** Utterance ends (utteranceEnds). */
  ends: number[];
  /** When each reply's audio started (`speaking: true`), ms from the run's start. */
  replyStarts: number[];
  /** When a captioned reply was cleared before any of its audio (the caller spoke first). */
  cutBeforeAudio: number[];
  /** When the calls ended (the callers went quiet). */
  runEndMs: number;
}

export interface RepliesOwed {
  /** Utterances owed a reply: ended early enough before the calls did, and long enough to be heard. */
  owed: number;
  /** Owed and never started, not even cut. */
  missing: number;
  /** Owed and started more than REPLY_DEADLINE_MS after the utterance ended. */
  late: number;
  /** Owed and cut by the caller's next utterance before any audio. */
  interruptedBeforeAudio: number;
  /** From each owed utterance's end to its reply's first audio, ms. */
  waits: number[];
}

export function accountReplies(c: CallerReplies): RepliesOwed {
  const { ends } = c;
  const answered = (at: number) => {
    let u = ends.length - 1;
    while (u >= 0 && ends[u]! >= at) u--;
    return u >= 0 ? ends[u] : undefined;
  };
  // The first reply after an utterance gives its wait.
  const waited = new Map<number, number>();
  for (const r of c.replyStarts) {
    const end = answered(r);
    if (end !== undefined && !waited.has(end)) waited.set(end, r - end);
  }
  const cut = new Set(c.cutBeforeAudio.map(answered));
  const out: RepliesOwed = { owed: 0, missing: 0, late: 0, interruptedBeforeAudio: 0, waits: [] };
  for (const end of ends) {
    // A first utterance cut short by the start of the run is owed only if the VAD could hear it.
    if (end < MIN_UTTERANCE_MS || end + REPLY_DEADLINE_MS >= c.runEndMs) continue;
    out.owed++;
    const wait = waited.get(end);
    if (wait !== undefined) {
      out.waits.push(wait);
      if (wait > REPLY_DEADLINE_MS) out.late++;
    } else if (cut.has(end)) out.interruptedBeforeAudio++;
    else out.missing++;
  }
  return out;
}
