import { expect, it } from 'vitest';
import { MarkLedger } from '../../src/providers/shared/media-stream/index.js';

it('counts what the carrier confirmed played, ignores echoes from before a clear, and stays bounded', () => {
  const ledger = new MarkLedger('rk', 100);
  const names = Array.from({ length: 5 }, () => ledger.next(20));
  expect(ledger.unconfirmedMs).toBe(100);
  expect(ledger.confirm(names[1]!)).toBe(40); // marks arrive in order: everything up to it played
  expect(ledger.unconfirmedMs).toBe(60);
  expect(ledger.confirm('someone-else')).toBe(0);
  ledger.clear();
  expect(ledger.unconfirmedMs).toBe(0);
  // Twilio echoes pending marks when it clears: they were never played.
  expect(ledger.confirm(names[4]!)).toBe(0);
  expect(ledger.heardMs).toBe(40);
  // A carrier that never echoes: memory stays bounded, the oldest count as played.
  for (let i = 0; i < 1000; i++) ledger.next(20);
  expect(ledger.pendingCount).toBe(100);
  expect(ledger.unconfirmedMs).toBe(2000);
});
