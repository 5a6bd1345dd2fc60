import { expect } from 'vitest';
import type { StageContext } from '../../../src/voice/pipeline/stages.js';
import { VoiceCapability } from '../../../src/voice/types.js';

export function stageContext(
  sessionId: string,
  sampleRate = 16000,
  capabilities = VoiceCapability.NONE,
): StageContext {
  return { sessionId, sampleRate, capabilities };
}

/**
 * The per-stream-state check every stage runs: session A alone, session B alone, then A and
 * B frame by frame interleaved on instances from the same provider. Each session must see
 * exactly its solo output. `step` returns a snapshot (copied: stages reuse buffers).
 */
export async function expectIsolatedSessions<TStage, TIn>(opts: {
  create: (sessionId: string) => TStage | Promise<TStage>;
  step: (stage: TStage, input: TIn) => unknown;
  inputsA: TIn[];
  inputsB: TIn[];
  /** Ends the stage; its return value (e.g. a finished file's bytes) joins the compared output. */
  close?: (stage: TStage) => unknown;
}): Promise<void> {
  const solo = async (id: string, inputs: TIn[]) => {
    const stage = await opts.create(id);
    const out = inputs.map((input) => opts.step(stage, input));
    out.push(opts.close?.(stage));
    return out;
  };
  const aloneA = await solo('a', opts.inputsA);
  const aloneB = await solo('b', opts.inputsB);
  // Guard: the check only means something when the two sessions differ.
  expect(aloneA).not.toEqual(aloneB);

  const a = await opts.create('a2');
  const b = await opts.create('b2');
  const mixedA: unknown[] = [];
  const mixedB: unknown[] = [];
  const n = Math.max(opts.inputsA.length, opts.inputsB.length);
  for (let i = 0; i < n; i++) {
    if (i < opts.inputsA.length) mixedA.push(opts.step(a, opts.inputsA[i]));
    if (i < opts.inputsB.length) mixedB.push(opts.step(b, opts.inputsB[i]));
  }
  mixedA.push(opts.close?.(a));
  mixedB.push(opts.close?.(b));
  expect(mixedA).toEqual(aloneA);
  expect(mixedB).toEqual(aloneB);
}

/** Snapshot of a frame's samples. */
export function samplesOf(frame: { data: Int16Array }): number[] {
  return Array.from(frame.data);
}
