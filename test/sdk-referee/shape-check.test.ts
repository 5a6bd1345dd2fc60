import { describe, expect, it } from 'vitest';
import { shapeProblems, TYPE_CHECK_TIMEOUT } from './shape-check.js';

/** The referee itself must be able to fail, or every other test here proves nothing. */
describe('shapeProblems (the SDK type referee)', TYPE_CHECK_TIMEOUT, () => {
  const chunk = {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }],
  };
  const check = (values: unknown[], documentedExtras?: string[]) =>
    shapeProblems([
      {
        label: 'case',
        from: 'openai/resources/chat/completions',
        type: 'ChatCompletionChunk',
        values,
        documentedExtras,
      },
    ]);

  it('accepts a message of the SDK type and flags unknown fields, wrong types and bad literals', () => {
    const problems = check([
      chunk,
      { ...chunk, surprise: true },
      { ...chunk, created: 'yesterday' },
      { ...chunk, object: 'chat.completion.chunkk' },
      { ...chunk, choices: [{ index: 0, delta: {}, finish_reason: 'bored' }] },
    ]);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toContain('surprise');
    expect(problems.join('\n')).toContain('bored');
  });

  it('removes documented extra fields, and only those', () => {
    const extra = { ...chunk, choices: [{ ...chunk.choices[0], note: 'x' }], other: 1 };
    expect(check([extra], ['choices.*.note', 'other'])).toEqual([]);
    expect(check([extra], ['choices.*.note'])).toHaveLength(1);
  });
});
