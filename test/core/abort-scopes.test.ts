import { describe, expect, it } from 'vitest';
import { AbortScopes, followAbort, linkedAbort } from '../../src/core/abort-scopes.js';
import { LazyAbortController } from '../../src/core/lazy-abort-controller.js';
import { countAbortControllers } from '../helpers/abort-controllers.js';

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

describe('followAbort / linkedAbort', () => {
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
    const first = linkedAbort([a.signal, undefined, b.signal]);
    b.abort('b');
    expect(first.controller.signal.aborted).toBe(true);
    expect(first.controller.signal.reason).toBe('b');
    const c = new AbortController();
    const second = linkedAbort([a.signal, c.signal]);
    second.unlink();
    a.abort('a');
    c.abort('c');
    expect(second.controller.aborted).toBe(false);
    expect(second.controller.signal.aborted).toBe(false);
  });
});

describe('LazyAbortController', () => {
  it('makes its AbortSignal on first read, aborted with the reason if it already was', () => {
    const made = countAbortControllers();
    try {
      const lazy = new LazyAbortController();
      lazy.abort('late');
      expect(made.count).toBe(0);
      expect(lazy.signal.aborted).toBe(true);
      expect(lazy.signal.reason).toBe('late');
      expect(made.count).toBe(1);
    } finally {
      made.restore();
    }
  });

  it('aborts a signal already read, once, with AbortController default reason', () => {
    const lazy = new LazyAbortController();
    const signal = lazy.signal;
    let heard = 0;
    signal.addEventListener('abort', () => heard++);
    lazy.abort();
    lazy.abort('again');
    expect(heard).toBe(1);
    expect(signal.reason).toBeInstanceOf(DOMException);
    expect((signal.reason as DOMException).name).toBe('AbortError');
    expect(lazy.reason).toBe(signal.reason);
  });

  it('chains lazily: a follower hears the reason, a removed listener does not, and no signal is made', () => {
    const made = countAbortControllers();
    try {
      const parent = new LazyAbortController();
      const child = new LazyAbortController();
      const gone: unknown[] = [];
      followAbort(parent, child);
      const off = parent.onAbort((r) => gone.push(r));
      off();
      const linked = linkedAbort([parent, new LazyAbortController()]);
      parent.abort('stop');
      expect(child.aborted).toBe(true);
      expect(child.reason).toBe('stop');
      expect(linked.controller.reason).toBe('stop');
      expect(gone).toEqual([]);
      expect(made.count).toBe(0);
      const late: unknown[] = [];
      parent.onAbort((r) => late.push(r)); // already aborted: at once
      expect(late).toEqual(['stop']);
    } finally {
      made.restore();
    }
  });
});
