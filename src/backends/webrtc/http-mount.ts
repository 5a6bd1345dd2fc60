import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Takes a request (returning a promise that settles once it is answered), or returns false
 * to let the server's other handlers have it. The decision is synchronous; the work is not.
 */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => false | Promise<void>;

/**
 * Mount a handler on a Node HTTP server so it sees every request first, whatever order the
 * app registers its own 'request' listeners in (before or after this call). Requests it
 * takes never reach the other listeners, so an app's catch-all 404 cannot answer them too.
 * Returns a function that unmounts it.
 */
export function interceptRequests(server: Server, handler: RequestHandler): () => void {
  const original = server.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
  const emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request' && handler(args[0] as IncomingMessage, args[1] as ServerResponse) !== false)
      return true;
    return original.call(this, event, ...args);
  } as Server['emit'];
  server.emit = emit;
  return () => {
    if (server.emit === emit) server.emit = original as Server['emit'];
  };
}
