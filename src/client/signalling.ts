import type { NoticeEvent } from './types.js';

/** What the server's signalling answered with when it refused. */
export class SignallingError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SignallingError';
  }

  toNotice(): NoticeEvent {
    return { level: 'error', code: this.code, message: this.message };
  }
}

/**
 * The HTTP side of a WebRTC call (roomkit's mountWebRTC): ICE servers, the offer, trickled
 * candidates, hang-up. The token goes in the Authorization header, never in a URL.
 */
export class SignallingClient {
  connectionId?: string;
  private readonly pending: (RTCIceCandidateInit | null)[] = [];
  private flushing = false;

  constructor(
    private readonly url: string,
    private readonly token?: string,
  ) {}

  async iceServers(): Promise<RTCIceServer[]> {
    const body = await this.request('GET', this.url);
    return Array.isArray(body?.iceServers) ? body.iceServers : [];
  }

  async offer(sdp: string, roomId: string, metadata?: Record<string, unknown>): Promise<string> {
    const body = await this.request('POST', this.url, { sdp, roomId, metadata });
    this.connectionId = body.connectionId;
    void this.flush();
    return body.sdp;
  }

  /** Queue a local candidate (null: gathering finished); sent once the offer was answered. */
  candidate(candidate: RTCIceCandidateInit | null): void {
    this.pending.push(candidate);
    void this.flush();
  }

  /** Hang up (keepalive, so it still goes out while the page unloads). */
  hangUp(): void {
    if (!this.connectionId) return;
    fetch(`${this.url}/${this.connectionId}`, {
      method: 'DELETE',
      headers: this.headers(),
      keepalive: true,
    }).catch(() => {});
    this.connectionId = undefined;
  }

  private async flush(): Promise<void> {
    if (!this.connectionId || this.flushing) return;
    // Set and cleared without an await in between, so a candidate queued while a PATCH is in
    // flight is picked up by the loop rather than stranded.
    this.flushing = true;
    try {
      while (this.pending.length > 0 && this.connectionId) {
        const candidates = this.pending.splice(0, 32);
        await this.request('PATCH', `${this.url}/${this.connectionId}`, { candidates }).catch(() => {
          // A refused candidate only loses that path; ICE tries the others.
        });
      }
    } finally {
      this.flushing = false;
    }
  }

  private headers(json = false): Record<string, string> {
    return {
      ...(json ? { 'content-type': 'application/json' } : {}),
      ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
    };
  }

  private async request(method: string, url: string, body?: unknown): Promise<any> {
    const res = await fetch(url, {
      method,
      headers: this.headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const error = parsed?.error;
      throw new SignallingError(
        res.status,
        typeof error?.code === 'string' ? error.code : `http_${res.status}`,
        typeof error?.message === 'string' ? error.message : `signalling failed with HTTP ${res.status}`,
      );
    }
    return parsed;
  }
}
