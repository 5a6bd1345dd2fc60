import { describe, expect, it } from 'vitest';
import { ByRoom } from '../../src/core/by-room.js';

describe('ByRoom', () => {
  it('lists a room’s items in the order they were added, and no other room’s', () => {
    const index = new ByRoom<string>();
    index.add('r1', 'a');
    index.add('r2', 'b');
    index.add('r1', 'c');
    expect(index.list('r1')).toEqual(['a', 'c']);
    expect([...index.in('r2')]).toEqual(['b']);
    expect(index.list('nowhere')).toEqual([]);
    expect([...index.in('nowhere')]).toEqual([]);
  });

  it('forgets items, and a room once it is empty', () => {
    const index = new ByRoom<string>();
    index.add('r1', 'a');
    index.add('r1', 'b');
    index.delete('r1', 'a');
    index.delete('r1', 'missing');
    index.delete('other', 'b');
    expect(index.list('r1')).toEqual(['b']);
    index.delete('r1', 'b');
    expect(index.list('r1')).toEqual([]);
    // An empty room holds no entry: a server that saw a million rooms does not keep them.
    expect((index as unknown as { rooms: Map<string, unknown> }).rooms.size).toBe(0);
  });

  it('hands out a copy from list(), so the caller may change the index while walking it', () => {
    const index = new ByRoom<number>();
    for (let i = 0; i < 3; i++) index.add('r', i);
    for (const item of index.list('r')) index.delete('r', item);
    expect(index.list('r')).toEqual([]);
  });
});
