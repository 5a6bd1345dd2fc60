import { randomFillSync, randomUUID } from 'node:crypto';

export function newId(prefix?: string): string {
  return prefix ? `${prefix}_${randomUUID()}` : randomUUID();
}

/** ASCII codes of the hex digits. */
const HEX = new Uint8Array(16).map((_, i) => '0123456789abcdef'.charCodeAt(i));
const DASH = 0x2d;

/** Random bytes drawn ahead: one getrandom call per 1,600 ids instead of one per 128. */
const pool = new Uint8Array(16_384);
let poolAt = pool.length;

/** The id being written: `evt_` and the millisecond stamp (kept while the millisecond lasts). */
const text = Buffer.alloc(40);
/** Where the random part starts: after `evt_xxxxxxxx-xxxx-7`. */
const RANDOM_AT = 19;
let stampMs = -1;

/**
 * An event id: `evt_` and a UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits.
 * Ids of one process sort by creation time, so a store's id index grows at its right edge
 * (SQLite and PostgreSQL touch one index page per commit instead of a random one), and they stay
 * as unguessable as a UUID needs to be.
 *
 * Written as bytes and read out as one string: joined with `+`, an id was a tree of a dozen
 * V8 cons-strings (about 400 bytes kept per stored event instead of about 60), and every Map
 * lookup by it walked the tree to hash it.
 */
export function newEventId(): string {
  const ms = Date.now();
  if (ms !== stampMs) {
    stampMs = ms;
    const t = ms.toString(16).padStart(12, '0');
    text.write(`evt_${t.slice(0, 8)}-${t.slice(8)}-7`, 0, 'latin1');
  }
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const b = pool;
  const i = poolAt;
  poolAt += 10;
  let at = RANDOM_AT;
  text[at++] = HEX[b[i]! & 0x0f]!; // the version's nibble is the 7 before it
  at = hexByte(at, b[i + 1]!);
  text[at++] = DASH;
  at = hexByte(at, (b[i + 2]! & 0x3f) | 0x80); // the RFC 9562 variant, 10xx
  at = hexByte(at, b[i + 3]!);
  text[at++] = DASH;
  for (let k = 4; k < 10; k++) at = hexByte(at, b[i + k]!);
  return text.toString('latin1', 0, at);
}

function hexByte(at: number, value: number): number {
  text[at] = HEX[value >> 4]!;
  text[at + 1] = HEX[value & 0x0f]!;
  return at + 2;
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
