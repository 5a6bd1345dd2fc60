import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * One request at a time per connection. Node emits every pipelined request at once, so a
 * client that writes ten requests for large pages and never reads would have ten pages
 * built and queued in our memory; here the next request of a connection starts only once
 * the previous response was handed to the kernel (or the connection closed). A client that
 * does not read therefore holds at most one response.
 */
export class PerConnectionQueue {
  private readonly tails = new WeakMap<Socket, Promise<void>>();

  run(req: IncomingMessage, res: ServerResponse, work: () => Promise<void>): Promise<void> {
    const socket = req.socket;
    const previous = this.tails.get(socket) ?? Promise.resolve();
    const done = previous.then(async () => {
      if (socket.destroyed) return;
      await work();
      await sent(res);
    });
    this.tails.set(
      socket,
      done.catch(() => {}),
    );
    return done;
  }
}

function sent(res: ServerResponse): Promise<void> {
  if (res.writableFinished || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    res.once('finish', resolve);
    res.once('close', resolve);
  });
}
