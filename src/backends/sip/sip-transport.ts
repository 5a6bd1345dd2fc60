/** Where a SIP message came from or goes to. Over TCP, `connection` names the socket to reuse. */
export interface SipTarget {
  transport: 'UDP' | 'TCP';
  host: string;
  port: number;
  connection?: string;
}

export type SipDatagramHandler = (data: Buffer, source: SipTarget) => void;

/**
 * A SIP transport (RFC 3261 section 18) reduced to what the UA needs: send bytes to a
 * target, hand every received message to the handler. Framing is the transport's job (a
 * UDP datagram is one message; TCP is cut at Content-Length).
 */
export interface SipTransport {
  readonly protocol: 'UDP' | 'TCP';
  /** Bound address (the real port when 0 was asked for). */
  readonly local: { host: string; port: number };
  listen(host: string, port: number): Promise<void>;
  send(data: Buffer, target: SipTarget): Promise<void>;
  onMessage(handler: SipDatagramHandler): void;
  close(): Promise<void>;
}

export function targetKey(t: { host: string; port: number }): string {
  return `${t.host}:${t.port}`;
}
