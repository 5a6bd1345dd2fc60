import type { SpeechCache } from '../echo/speech-fixtures.js';

/** A two-person exchange, one sentence per turn, for the speaker-change tests and bench. */
export const TURNS = [
  'Good morning, I would like to book a table for dinner tonight.',
  'Of course. How many people will be joining you this evening?',
  'There will be four of us, and we would like a quiet corner.',
  'I have a table by the window at eight. Does that work for you?',
  'That sounds perfect. Please put it under the name Martin.',
  'Done. We look forward to seeing you tonight, mister Martin.',
];

export interface Conversation {
  /** 16 kHz mono. */
  pcm: Int16Array;
  /** Per turn: who speaks, and when their speech starts (ms, flite's leading silence skipped). */
  turns: { voice: string; onsetMs: number; endMs: number }[];
}

/** `first` and `second` (flite voices) alternate through TURNS with `gapMs` of silence between. */
export async function conversation(
  speech: SpeechCache,
  first: string,
  second: string,
  gapMs: number,
): Promise<Conversation> {
  const parts: Int16Array[] = [];
  const turns: Conversation['turns'] = [];
  let at = 0;
  for (let i = 0; i < TURNS.length; i++) {
    const voice = i % 2 === 0 ? first : second;
    const pcm = await speech.speech(TURNS[i], voice);
    turns.push({ voice, onsetMs: (at + firstLoudSample(pcm)) / 16, endMs: (at + pcm.length) / 16 });
    parts.push(pcm, new Int16Array(gapMs * 16));
    at += pcm.length + gapMs * 16;
  }
  const out = new Int16Array(at);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return { pcm: out, turns };
}

/** The first 10 ms block above -45 dBFS. */
function firstLoudSample(pcm: Int16Array): number {
  for (let i = 0; i + 160 <= pcm.length; i += 160) {
    let sum = 0;
    for (let k = i; k < i + 160; k++) sum += pcm[k] * pcm[k];
    if (10 * Math.log10(sum / 160 / 2 ** 30 + 1e-12) > -45) return i;
  }
  return 0;
}

export interface ChangeEvent {
  atMs: number;
  speakerId: string;
}

/**
 * Scores detected changes against the turns: for each turn after the first, the delay from
 * its onset to the first event inside it naming the voice's id (ids are learnt from the
 * events: one id per voice), and how many other events there were.
 */
export function scoreChanges(conv: Conversation, events: ChangeEvent[]) {
  const idOf = new Map<string, string>(); // speaker id -> voice
  const delays: number[] = [];
  let extra = 0;
  let missed = 0;
  let wrongId = 0;
  conv.turns.forEach((turn, i) => {
    const end = conv.turns[i + 1]?.onsetMs ?? Number.POSITIVE_INFINITY;
    const inTurn = events.filter((e) => e.atMs >= (i === 0 ? 0 : turn.onsetMs) && e.atMs < end);
    let hit: ChangeEvent | undefined;
    for (const e of inTurn) {
      if (!idOf.has(e.speakerId)) idOf.set(e.speakerId, turn.voice);
      const voice = idOf.get(e.speakerId);
      if (voice === turn.voice && !hit) hit = e;
      else if (voice !== turn.voice) wrongId++;
    }
    extra += inTurn.length - (hit ? 1 : 0);
    if (i === 0) return;
    if (hit) delays.push(hit.atMs - turn.onsetMs);
    else missed++;
  });
  return { delays, extra, missed, wrongId, speakers: idOf.size };
}
