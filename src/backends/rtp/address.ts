import { ValidationError } from '../../core/errors.js';

/** An address as users write it: `[host, port]` (the seed's tuple), `{ host, port }` or `'host:port'`. */
export type AddressLike = readonly [string, number] | { host: string; port: number } | string;

export function parseAddress(value: unknown): { host: string; port: number } | undefined {
  if (value === undefined || value === null) return undefined;
  let host: unknown;
  let port: unknown;
  if (Array.isArray(value)) [host, port] = value;
  else if (typeof value === 'object') ({ host, port } = value as { host: unknown; port: unknown });
  else if (typeof value === 'string') {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(value.trim());
    if (m) [host, port] = [m[1], Number(m[2])];
  }
  if (
    typeof host !== 'string' ||
    !host ||
    typeof port !== 'number' ||
    !Number.isInteger(port) ||
    port < 0 ||
    port > 65535
  ) {
    throw new ValidationError(
      `not an address (want [host, port], {host, port} or 'host:port'): ${JSON.stringify(value)}`,
    );
  }
  return { host, port };
}
