/**
 * NCCOs (Vonage Call Control Objects) for media-stream calls: `connect` to a `websocket`
 * endpoint with our content type, custom headers (they arrive in the socket's first message)
 * and `authorization: { type: 'vonage' }` (Vonage signs the handshake with its JWT); `hangup`-
 * like refusal; `connect` to a phone or SIP endpoint for transfers.
 */
export type Ncco = Record<string, unknown>[];

export interface WebsocketNccoOptions {
  url: string;
  /** `audio/l16;rate=16000` (default) or `audio/l16;rate=8000`. */
  contentType: string;
  headers?: Record<string, string>;
  /** Where Vonage reports this leg's events. */
  eventUrl?: string;
  from?: string;
}

export function connectWebsocketNcco(opts: WebsocketNccoOptions): Ncco {
  return [
    {
      action: 'connect',
      ...(opts.eventUrl ? { eventUrl: [opts.eventUrl], eventMethod: 'POST' } : {}),
      ...(opts.from ? { from: opts.from.replace(/^\+/, '') } : {}),
      endpoint: [
        {
          type: 'websocket',
          uri: opts.url,
          'content-type': opts.contentType,
          headers: opts.headers ?? {},
          authorization: { type: 'vonage' },
        },
      ],
    },
  ];
}

/** A refusal: a short message, then the call ends (an NCCO without a connect hangs up). */
export function rejectNcco(): Ncco {
  return [{ action: 'talk', text: 'Sorry, this call cannot be taken now.' }];
}

/** Connect the caller to a number (`+1555...`) or a SIP URI. */
export function transferNcco(target: string): Ncco {
  const endpoint = target.startsWith('sip:')
    ? { type: 'sip', uri: target }
    : { type: 'phone', number: target.replace(/^\+/, '') };
  return [{ action: 'connect', endpoint: [endpoint] }];
}
