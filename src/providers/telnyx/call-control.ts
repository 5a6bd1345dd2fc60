/**
 * Telnyx calls over the Call Control API (v2): `POST /calls` dials with the stream URL and
 * bidirectional RTP settings, `POST /calls/{call_control_id}/actions/hangup` and
 * `.../actions/transfer` end or move a call (TeXML calls have a call_control_id too).
 */
import { ValidationError } from '../../core/errors.js';
import type { CarrierCallControl, DialRequest } from '../shared/media-stream/call-control.js';
import { type TelnyxCredentials, TelnyxError, TelnyxRestClient } from './rest-client.js';

export interface TelnyxCallControlOptions extends TelnyxCredentials {
  /** The Call Control application (connection) outbound calls use (default `TELNYX_CONNECTION_ID`). */
  connectionId?: string;
  codec?: 'PCMU' | 'L16';
  sampleRate?: number;
}

export class TelnyxCallControl implements CarrierCallControl {
  readonly carrier = 'telnyx';
  readonly client: TelnyxRestClient;
  private readonly connectionId?: string;

  constructor(
    private readonly opts: TelnyxCallControlOptions = {},
    client?: TelnyxRestClient,
  ) {
    this.client = client ?? new TelnyxRestClient(opts);
    this.connectionId = opts.connectionId ?? process.env.TELNYX_CONNECTION_ID;
  }

  async dial(request: DialRequest, signal?: AbortSignal): Promise<string> {
    if (!this.connectionId)
      throw new ValidationError('telnyx: dialing needs connectionId (TELNYX_CONNECTION_ID)');
    const codec = this.opts.codec ?? 'PCMU';
    const data = await this.client.post(
      'calls',
      {
        connection_id: this.connectionId,
        to: request.to,
        from: request.from,
        stream_url: request.streamUrl,
        stream_track: 'inbound_track',
        stream_bidirectional_mode: 'rtp',
        stream_bidirectional_codec: codec,
        ...(codec === 'L16' ? { stream_bidirectional_sampling_rate: this.opts.sampleRate ?? 16000 } : {}),
        webhook_url: request.statusUrl,
        client_state: Buffer.from(JSON.stringify(request.parameters)).toString('base64'),
      },
      signal,
    );
    if (typeof data.call_control_id !== 'string')
      throw new TelnyxError('dial answered without a call_control_id', 502);
    return data.call_control_id;
  }

  async hangup(callId: string, signal?: AbortSignal): Promise<void> {
    await this.client.post(`calls/${encodeURIComponent(callId)}/actions/hangup`, {}, signal);
  }

  async transfer(callId: string, target: string, signal?: AbortSignal): Promise<void> {
    await this.client.post(`calls/${encodeURIComponent(callId)}/actions/transfer`, { to: target }, signal);
  }
}
