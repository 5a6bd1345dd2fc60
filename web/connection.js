// The console's socket to the WebSocket channel (/ws): reconnects on its own with backoff,
// and reports its state. What to do once it is back (rejoin the room, resend what is pending)
// is the page's: it must happen in that order.

export class Connection {
  constructor({ token, onFrame, onState }) {
    this.token = token;
    this.onFrame = onFrame;
    this.onState = onState;
    this.state = 'idle';
    this.retryMs = 500;
    this.failures = 0;
    this.ws = null;
  }

  open() {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const query = this.token ? `?token=${encodeURIComponent(this.token)}` : '';
    const ws = new WebSocket(`${proto}://${location.host}/ws${query}`);
    this.ws = ws;
    this.setState(this.state === 'idle' ? 'connecting' : 'reconnecting');
    ws.onmessage = (msg) => {
      let frame;
      try {
        frame = JSON.parse(msg.data);
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        this.retryMs = 500;
        this.failures = 0;
        this.setState('connected');
      }
      this.onFrame(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws || this.state === 'closed') return;
      this.failures++;
      this.setState('reconnecting');
      setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 8_000);
    };
  }

  /** Send a frame now; false when the socket is not open (the caller keeps it for later). */
  send(frame) {
    if (this.ws?.readyState !== WebSocket.OPEN || this.state !== 'connected') return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  close() {
    this.setState('closed');
    this.ws?.close(1000);
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState(state);
  }
}
