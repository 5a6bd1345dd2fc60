import { describe, expect, it } from 'vitest';
import { accountReplies, utteranceEnds } from '../../bench/voice-replies.js';

/** The load client's reply accounting: what it calls answered, late, cut or lost. */
describe('voice bench reply accounting', () => {
  it('ends utterances where the voice stops, or where the calls do', () => {
    // In phase: voiced 0-1.2 s of every 2 s.
    expect(utteranceEnds(0, 5000)).toEqual([1200, 3200, 5000]);
    // 1.5 s into the cycle at the start: the first voice starts at 0.5 s; the third is cut.
    expect(utteranceEnds(1500, 5000)).toEqual([1700, 3700, 5000]);
    // 0.1 s into it: a first utterance 1.1 s long.
    expect(utteranceEnds(100, 3000)).toEqual([1100, 3000]);
  });

  it('matches each reply to the utterance it answers, and owes none to one too close to the end', () => {
    const ends = utteranceEnds(0, 8000); // 1200, 3200, 5200, 7200
    const result = accountReplies({
      ends,
      replyStarts: [1600, 3700, 5500],
      cutBeforeAudio: [],
      runEndMs: 8000,
    });
    // 7200 + 1500 is past the end of the calls: not owed, although it may be answered later.
    expect(result).toEqual({
      owed: 3,
      missing: 0,
      late: 0,
      interruptedBeforeAudio: 0,
      waits: [400, 500, 300],
    });
  });

  it('tells a late reply, one cut before its audio and one that never came apart', () => {
    const ends = utteranceEnds(0, 8000);
    const result = accountReplies({
      ends,
      // 1200 answered 1.6 s late; 5200 answered twice (the first counts).
      replyStarts: [2800, 5600, 5900],
      // 3200's reply was captioned and cleared when the caller spoke again.
      cutBeforeAudio: [4100],
      runEndMs: 8000,
    });
    expect(result).toEqual({ owed: 3, missing: 0, late: 1, interruptedBeforeAudio: 1, waits: [1600, 400] });
    const none = accountReplies({ ends, replyStarts: [1500], cutBeforeAudio: [], runEndMs: 8000 });
    expect(none).toMatchObject({ owed: 3, missing: 2, late: 0 });
  });

  it('owes nothing to a first utterance too short for the VAD', () => {
    // 1.05 s into the cycle: 150 ms of voice before the first quiet.
    const ends = utteranceEnds(1050, 4000);
    expect(ends).toEqual([150, 2150, 4000]);
    expect(accountReplies({ ends, replyStarts: [], cutBeforeAudio: [], runEndMs: 4000 })).toMatchObject({
      owed: 1, // 2150's
      missing: 1,
    });
  });
});
