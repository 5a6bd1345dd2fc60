/**
 * Event ids: `evt_` and a UUIDv7 (time-ordered, 74 random bits), each one flat string. Built
 * with `+`, an id was a tree of a dozen V8 cons-strings: about 400 bytes kept per stored event
 * instead of about 60, and a walk of the tree at every Map lookup.
 */
import { describe, expect, it } from 'vitest';
import { fullGc } from '../helpers/full-gc.js';
import { newEventId } from '../../src/core/ids.js';

const UUID_V7 = /^evt_([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newEventId', () => {
  it('is a UUIDv7 whose first 48 bits are the current Unix milliseconds', () => {
    const before = Date.now();
    const id = newEventId();
    const after = Date.now();
    const [, high, low] = UUID_V7.exec(id) ?? [];
    expect(id).toMatch(UUID_V7);
    const ms = Number.parseInt(`${high}${low}`, 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });

  it('gives 100,000 different ids that sort by creation time', () => {
    const ids = Array.from({ length: 100_000 }, newEventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !UUID_V7.test(id))).toEqual([]);
    const stamps = ids.map((id) => id.slice(4, 17));
    expect(stamps).toEqual([...stamps].sort());
  });

  it('keeps each id as one flat string (about 60 bytes, not a tree of cons-strings)', () => {
    const kept: string[] = [];
    fullGc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 50_000; i++) kept.push(newEventId());
    fullGc();
    // Read after the GC, `kept.length` keeps the ids alive through it.
    const perId = (process.memoryUsage().heapUsed - before) / kept.length;
    // A flat 40-character string is 56 bytes, plus the array's slot; the cons tree was ~395.
    expect(perId).toBeLessThan(120);
  });
});
