import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP server on 127.0.0.1 for a carrier backend to attach to (its webhooks and media
 * upgrades). `cleanup` gets the step that closes it, open sockets included.
 */
export async function loopbackServer(cleanup: {
  push(fn: () => Promise<void>): unknown;
}): Promise<{ http: Server; origin: string }> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  );
  return { http, origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}
