import { describe, expect, it } from 'vitest';
import { AuthenticationError, ProviderError, RateLimitError } from '../../src/core/errors.js';
import {
  errorFromResponse,
  extractErrorMessage,
  parseRetryAfter,
} from '../../src/providers/shared/http-errors.js';
import { parseToolArguments, ToolCallAccumulator } from '../../src/providers/shared/tool-calls.js';

const headers = (init: Record<string, string> = {}) => new Headers(init);

describe('HTTP error mapping', () => {
  it('extracts the message from each vendor error body shape', () => {
    expect(
      extractErrorMessage({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'anthropic says' },
      }),
    ).toBe('anthropic says');
    expect(
      extractErrorMessage({ error: { message: 'openai says', type: 'x', param: null, code: null } }),
    ).toBe('openai says');
    expect(
      extractErrorMessage({ error: { code: 400, message: 'gemini says', status: 'INVALID_ARGUMENT' } }),
    ).toBe('gemini says');
    expect(extractErrorMessage('  plain text  ')).toBe('plain text');
    expect(extractErrorMessage({ nothing: true })).toBeUndefined();
  });

  it('reads retry-after as seconds, as an HTTP date, and retry-after-ms first', () => {
    expect(parseRetryAfter(headers({ 'retry-after': '3' }))).toBe(3000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter(headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }), now)).toBe(10_000);
    expect(parseRetryAfter(headers({ 'retry-after': '3', 'retry-after-ms': '250' }))).toBe(250);
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(parseRetryAfter(headers())).toBeUndefined();
  });

  it('maps statuses to typed errors that name the provider', () => {
    const err = (status: number, h: Record<string, string> = {}) =>
      errorFromResponse('acme', { status, headers: headers(h), body: { error: { message: `m${status}` } } });
    expect(err(401)).toBeInstanceOf(AuthenticationError);
    expect(err(403)).toBeInstanceOf(AuthenticationError);
    expect(err(403).message).toBe('acme: m403');
    const limited = err(429, { 'retry-after': '2' }) as RateLimitError;
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(limited.retryAfterMs).toBe(2000);
    expect(err(503).retryable).toBe(true);
    expect(err(529).retryable).toBe(true);
    expect(err(400).retryable).toBe(false);
    expect(err(404).retryable).toBe(false);
    expect(err(408).retryable).toBe(true);
    expect((err(422) as ProviderError).status).toBe(422);
  });

  it('lets a vendor classifier override the status mapping', () => {
    const error = errorFromResponse(
      'acme',
      { status: 400, headers: headers(), body: { error: { message: 'bad key' } } },
      (status, _body, message) =>
        status === 400 ? new AuthenticationError('acme', message, status) : undefined,
    );
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toBe('acme: bad key');
  });
});

describe('tool call helpers', () => {
  it('parses arguments, treating an empty string as no arguments', () => {
    expect(parseToolArguments('acme', 'f', '{"a":1}')).toEqual({ a: 1 });
    expect(parseToolArguments('acme', 'f', '')).toEqual({});
  });

  it('rejects broken or non-object JSON with a retryable error', () => {
    expect(() => parseToolArguments('acme', 'f', '{"a":')).toThrow(/acme: tool call f has invalid JSON/);
    expect(() => parseToolArguments('acme', 'f', '[1]')).toThrow(ProviderError);
  });

  it('assembles index-keyed fragments in index order, whatever order they arrive in', () => {
    const acc = new ToolCallAccumulator('acme');
    acc.start(1, 'call_b', 'second');
    acc.start(0, 'call_a', 'first');
    acc.append(1, '{"y":');
    acc.append(0, '{"x":');
    acc.append(0, '1}');
    acc.append(1, '2}');
    expect(acc.finishAll()).toEqual([
      { id: 'call_a', name: 'first', arguments: { x: 1 } },
      { id: 'call_b', name: 'second', arguments: { y: 2 } },
    ]);
    expect(acc.finishAll()).toEqual([]);
  });
});
