import { createHash } from 'node:crypto';

/**
 * A PostgreSQL advisory lock key (a signed 64-bit integer, as a decimal string for `pg`) for a
 * purpose and a name: the first 8 bytes of SHA-256 over both. 64 bits keep collisions out of
 * reach (two rooms sharing a room lock would only serialise; two sharing a lease would leave one
 * without an owner), and the purpose and schema keep room locks, leases and migrations, and
 * different roomkit schemas in one database, apart.
 */
export function advisoryKey(purpose: string, ...names: string[]): string {
  const digest = createHash('sha256').update(purpose).update('\u0000').update(names.join('\u0000')).digest();
  return digest.readBigInt64BE(0).toString();
}
