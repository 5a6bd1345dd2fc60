import { randomFillSync, randomUUID } from 'node:crypto';

export function newId(prefix?: string): string {
  return prefix ? `${prefix}_${randomUUID()}` : randomUUID();
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Random bytes drawn ahead: one getrandom call per 1,600 ids instead of one per 128. */
const pool = new Uint8Array(16_384);
let poolAt = pool.length;

let stampMs = -1;
let stampHex = '';

/**
 * An event id: `evt_` and a UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.
 * Ids of one process sort by creation time, so a store's id index grows at its right edge
 * (SQLite and PostgreSQL touch one index page per commit instead of a random one), and they stay
 * as unguessable as a UUID needs to be.
 */
export function newEventId(): string {
  const ms = Date.now();
  if (ms !== stampMs) {
    stampMs = ms;
    const t = ms.toString(16).padStart(12, '0');
    stampHex = `evt_${t.slice(0, 8)}-${t.slice(8)}-7`;
  }
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const b = pool;
  const i = poolAt;
  poolAt += 10;
  return (
    stampHex +
    HEX[b[i]! & 0x0f]!.slice(1) +
    HEX[b[i + 1]!] +
    '-' +
    HEX[(b[i + 2]! & 0x3f) | 0x80] +
    HEX[b[i + 3]!] +
    '-' +
    HEX[b[i + 4]!] +
    HEX[b[i + 5]!] +
    HEX[b[i + 6]!] +
    HEX[b[i + 7]!] +
    HEX[b[i + 8]!] +
    HEX[b[i + 9]!]
  );
}

let isoMs = -1;
let isoText = '';

/** The current time as an ISO string; messages of the same millisecond share one string. */
export function nowIso(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}
