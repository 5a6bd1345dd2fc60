import { describe, expect, it } from 'vitest';
import { EventContentSchema, parseContent, UserContentSchema } from '../../src/models/content-schema.js';
import { ValidationError } from '../../src/index.js';

/**
 * parseContent checks plain text without zod (a fast path for the commonest content); what it
 * returns and refuses must stay exactly what the schemas give.
 */
describe('parseContent for text', () => {
  const TEXT: unknown[] = [
    { type: 'text', body: 'hello' },
    { type: 'text', body: '' },
    { type: 'text', body: 'bonjour', language: 'fr' },
    { type: 'text', body: 'x', extra: 1, metadata: { a: 1 } },
    { type: 'text', body: 'x', language: undefined },
  ];

  it.each(TEXT)('gives what the schema gives for %j', (value) => {
    for (const [allowSystem, schema] of [
      [false, UserContentSchema],
      [true, EventContentSchema],
    ] as const) {
      const parsed = parseContent(value, { allowSystem });
      expect(JSON.stringify(parsed)).toBe(JSON.stringify(schema.parse(value)));
      expect(parsed).not.toBe(value);
    }
  });

  it("keeps no reference to the caller's object and drops unknown keys", () => {
    const value = { type: 'text', body: 'x', secret: 'y' };
    const parsed = parseContent(value) as unknown as Record<string, unknown>;
    value.body = 'changed';
    expect(parsed).toEqual({ type: 'text', body: 'x' });
  });

  it.each([
    [{ type: 'text', body: 1 }, 'content.body'],
    [{ type: 'text' }, 'content.body'],
    [{ type: 'text', body: 'x', language: 3 }, 'content.language'],
    [{ type: 'text', body: 'x', language: null }, 'content.language'],
  ])('refuses %j naming %s, as the schema does', (value, field) => {
    expect(UserContentSchema.safeParse(value).success).toBe(false);
    let error: unknown;
    try {
      parseContent(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });
});
