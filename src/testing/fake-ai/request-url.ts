import type { IncomingMessage } from 'node:http';

/**
 * The URL of a request a fake received. `new URL(req.url, base)` would read a path that starts
 * with `//` (what @google/genai dials for Live) as a protocol-relative URL and take its first
 * segment for a host; the real front ends keep it as a path, and so do the fakes.
 */
export function requestUrl(req: IncomingMessage): URL {
  return new URL(`http://127.0.0.1${req.url ?? '/'}`);
}
