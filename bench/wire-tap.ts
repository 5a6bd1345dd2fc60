/**
 * Timestamps what our providers hand to their sockets and what their sockets hand back, at
 * the `ws` client's boundary (bench only): `send` as our code calls it, and each message as
 * the socket emits it, before our handlers run. With these, a framework share counts only
 * the time our code holds the critical path, not the kernel's or the fake server's.
 */
import { WebSocket } from 'ws';

export interface WireEvent {
  at: number;
  dir: 'out' | 'in';
  /** The JSON message's `type`, when it has one. */
  type?: string;
}

export const wire: WireEvent[] = [];

const TYPE = /^\{\s*"type"\s*:\s*"([^"]+)"/;
const typeOf = (data: unknown): string | undefined => {
  const head =
    typeof data === 'string' ? data.slice(0, 64) : Buffer.isBuffer(data) ? data.toString('utf8', 0, 64) : '';
  return TYPE.exec(head)?.[1];
};

type Proto = {
  _isServer: boolean;
  send: (...args: unknown[]) => void;
  emit: (event: string | symbol, ...args: unknown[]) => boolean;
};
const proto = WebSocket.prototype as unknown as Proto;
const send = proto.send;
const emit = proto.emit;
proto.send = function (this: Proto, ...args: unknown[]) {
  if (!this._isServer) wire.push({ at: performance.now(), dir: 'out', type: typeOf(args[0]) });
  return send.apply(this, args);
};
proto.emit = function (this: Proto, event: string | symbol, ...args: unknown[]) {
  if (event !== 'message' || this._isServer) return emit.call(this, event, ...args);
  const at = performance.now();
  const handled = emit.call(this, event, ...args);
  wire.push({ at, dir: 'in', type: typeOf(args[0]) });
  return handled;
};
