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
import { StreamCallProcess } from './stream-call-process.js';
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
  readonly streams = new Map<string, FakeStreamCall | StreamCallProcess>();
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
    const answered = await this.answer(opts);
    if (!answered.streamUrl) return answered;
    const call = this.openStream(answered.streamUrl, answered.party);
    await call.opened;
    return { webhook: answered.webhook, callId: answered.callId, call };
  }

  /**
   * placeCall with the carrier's side of the stream in a child process: its playback clock,
   * line echo and uplink keep real time whatever this process does (see StreamCallProcess).
   * For tests whose server shares this process and whose outcome hangs on that timing.
   */
  async placeCallInOwnProcess(opts: {
    webhookUrl: string;
    from: string;
    to?: string;
  }): Promise<Omit<FakePlacedCall, 'call'> & { call?: StreamCallProcess }> {
    const answered = await this.answer(opts);
    if (!answered.streamUrl) return answered;
    const url = answered.streamUrl;
    const call = new StreamCallProcess(
      this.dialect,
      this.streamInfo(answered.party),
      url,
      this.upgradeHeaders(url),
      this.streamOptions,
    );
    this.streams.set(answered.callId, call);
    await call.opened;
    return { webhook: answered.webhook, callId: answered.callId, call };
  }

  openStream(url: string, call: FakeCallParty, headers = this.upgradeHeaders(url)): FakeStreamCall {
    const stream = new FakeStreamCall(this.dialect, this.streamInfo(call), url, headers, this.streamOptions);
    this.streams.set(call.callId, stream);
    return stream;
  }

  /** The signed answer webhook of a new call, and the stream URL its markup names (none: refused). */
  private async answer(opts: { webhookUrl: string; from: string; to?: string }): Promise<{
    webhook: DispatchedWebhook;
    callId: string;
    party: FakeCallParty;
    streamUrl?: string;
  }> {
    const request = this.answerRequest(opts);
    const webhook = await postWebhook(request.url, request.headers, request.body, request.method);
    const answered = { webhook, callId: request.callId, party: request as FakeCallParty };
    try {
      if (webhook.response.status !== 200) throw new Error('refused');
      const streamUrl = this.streamUrlOf(webhook);
      return { ...answered, party: { ...request, parameters: this.streamParameters(webhook) }, streamUrl };
    } catch {
      return answered;
    }
  }

  private streamInfo(call: FakeCallParty): FakeStreamInfo {
    return {
      streamId: this.newStreamId(),
      callId: call.callId,
      from: call.from,
      to: call.to,
      parameters: call.parameters ?? {},
    };
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
