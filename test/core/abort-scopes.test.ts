import { describe, expect, it } from 'vitest';
import { AbortScopes, followAbort, linkedSignal } from '../../src/core/abort-scopes.js';

describe('AbortScopes', () => {
  it('aborts every open scope with the parent, with its reason, and none it released', () => {
    const parent = new AbortController();
    const scopes = new AbortScopes(parent.signal);
    const a = scopes.open();
    const b = scopes.open();
    scopes.release(b);
    expect(scopes.size).toBe(1);
    const reason = new Error('kit closed');
    parent.abort(reason);
    expect(a.signal.aborted).toBe(true);
    expect(a.signal.reason).toBe(reason);
    expect(b.signal.aborted).toBe(false);
    expect(scopes.size).toBe(0);
  });

  it('a scope opened after the parent aborted starts aborted', () => {
    const parent = new AbortController();
    const scopes = new AbortScopes(parent.signal);
    parent.abort('gone');
    const late = scopes.open();
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe('gone');
    expect(scopes.size).toBe(0);
  });

  it('keeps one listener on the parent however many scopes come and go', () => {
    const parent = new AbortController();
    let added = 0;
    const add = parent.signal.addEventListener.bind(parent.signal);
    parent.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added++;
      return add(...args);
    }) as typeof add;
    const scopes = new AbortScopes(parent.signal);
    for (let i = 0; i < 1000; i++) scopes.release(scopes.open());
    expect(added).toBe(1);
    expect(scopes.size).toBe(0);
  });
});

describe('followAbort / linkedSignal', () => {
  it('follows the parent until unlinked', () => {
    const parent = new AbortController();
    const child = new AbortController();
    const unlink = followAbort(parent.signal, child);
    unlink();
    parent.abort();
    expect(child.signal.aborted).toBe(false);
    const again = new AbortController();
    followAbort(parent.signal, again); // parent already aborted: at once
    expect(again.signal.aborted).toBe(true);
  });

  it('a linked signal aborts with whichever parent aborts first, and ignores them once unlinked', () => {
    const a = new AbortController();
    const b = new AbortController();
    const first = linkedSignal([a.signal, undefined, b.signal]);
    b.abort('b');
    expect(first.signal.aborted).toBe(true);
    expect(first.signal.reason).toBe('b');
    const c = new AbortController();
    const second = linkedSignal([a.signal, c.signal]);
    second.unlink();
    a.abort('a');
    c.abort('c');
    expect(second.signal.aborted).toBe(false);
  });
});
