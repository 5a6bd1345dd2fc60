/**
 * What the fake carriers' voice sides share: placing a call (the signed answer webhook, then
 * the stream its markup names), opening streams, and the REST commands every carrier has
 * (dial: the callee answers and streams; hang up and transfer: the stream ends), recorded.
 * Each carrier renders its own webhook, markup reading, upgrade credentials and dialect.
 */
import { randomBytes } from 'node:crypto';
import type { DispatchedWebhook } from '../fake-carrier-server.js';
import { postWebhook } from '../fake-carrier-server.js';
import {
  FakeStreamCall,
  type FakeStreamCallOptions,
  type FakeStreamDialect,
  type FakeStreamInfo,
} from './fake-stream-call.js';
import type {
  FakeCallCommand,
  FakeCarrierVoice,
  FakePlacedCall,
  FakeWebhookRequest,
} from './fake-voice-types.js';

export interface FakeCallParty {
  callId: string;
  from: string;
  to: string;
  parameters?: Record<string, string>;
}

export abstract class FakeVoiceBase implements FakeCarrierVoice {
  readonly commands: FakeCallCommand[] = [];
  readonly dialled: FakeStreamCall[] = [];
  /** Every stream the fake opened, by the carrier's call id. */
  readonly streams = new Map<string, FakeStreamCall>();
  streamOptions: FakeStreamCallOptions = {};
  abstract readonly dialect: FakeStreamDialect;

  abstract answerRequest(opts: { webhookUrl: string; from: string; to?: string }): FakeWebhookRequest;
  /** The stream URL an answer's markup names; throws when it names none. */
  abstract streamUrlOf(webhook: DispatchedWebhook): string;
  abstract upgradeHeaders(url: string): Record<string, string>;

  /** Custom parameters the markup gives the stream (they come back in the start message). */
  protected streamParameters(_webhook: DispatchedWebhook): Record<string, string> {
    return {};
  }

  async placeCall(opts: { webhookUrl: string; from: string; to?: string }): Promise<FakePlacedCall> {
    const request = this.answerRequest(opts);
    const webhook = await postWebhook(request.url, request.headers, request.body, request.method);
    let url: string;
    try {
      if (webhook.response.status !== 200) throw new Error('refused');
      url = this.streamUrlOf(webhook);
    } catch {
      return { webhook, callId: request.callId };
    }
    const call = this.openStream(url, { ...request, parameters: this.streamParameters(webhook) });
    await call.opened;
    return { webhook, callId: request.callId, call };
  }

  openStream(url: string, call: FakeCallParty, headers = this.upgradeHeaders(url)): FakeStreamCall {
    const info: FakeStreamInfo = {
      streamId: this.newStreamId(),
      callId: call.callId,
      from: call.from,
      to: call.to,
      parameters: call.parameters ?? {},
    };
    const stream = new FakeStreamCall(this.dialect, info, url, headers, this.streamOptions);
    this.streams.set(call.callId, stream);
    return stream;
  }

  protected newStreamId(): string {
    return randomBytes(16).toString('hex');
  }

  /** A dial our code requested: recorded, and the callee answers a moment later. */
  protected dial(party: FakeCallParty, streamUrl: string, raw: unknown): void {
    this.commands.push({ action: 'dial', callId: party.callId, target: party.to, raw });
    setTimeout(() => this.dialled.push(this.openStream(streamUrl, party)), 10).unref();
  }

  /** A REST hang-up or transfer: recorded, and the call's stream ends. False for an unknown call. */
  protected endByCommand(
    action: 'hangup' | 'transfer',
    callId: string,
    raw: unknown,
    target?: string,
  ): boolean {
    const stream = this.streams.get(callId);
    if (!stream) return false;
    this.commands.push({ action, callId, target, raw });
    stream.end();
    return true;
  }
}
