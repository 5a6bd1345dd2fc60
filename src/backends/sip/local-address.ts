import { networkInterfaces } from 'node:os';

/**
 * The address to write into Via, Contact and SDP. A wildcard bind (0.0.0.0, ::) is not an
 * address a peer can reach, so it becomes this machine's first external IPv4 (loopback when
 * there is none).
 */
export function advertisedHostFor(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
