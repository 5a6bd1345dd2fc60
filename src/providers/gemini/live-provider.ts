import { ProviderError, type RoomKitError, ValidationError } from '../../core/errors.js';
import { AudioConverter } from '../../realtime/audio-converter.js';
import { BaseRealtimeProvider } from '../../realtime/base-provider.js';
import type { RealtimeLogger } from '../../realtime/logger.js';
import { base64ToPcm16, pcm16ToBase64 } from '../../realtime/pcm.js';
import type { RealtimeCapabilities, RealtimeInterruptOptions } from '../../realtime/provider.js';
import type { RealtimeReconfigureOptions, RealtimeSession } from '../../realtime/session.js';
import { closeOutcome } from '../shared/realtime-close.js';
import { RealtimeSocket } from '../shared/realtime-socket.js';
import { validateMessage } from '../shared/validate-message.js';
import { GeminiLiveState, SetupWaiter } from './live-connection.js';
import {
  durationMs,
  GEMINI_KNOWN_KEYS,
  type GeminiServerMessage,
  geminiServerMessage,
  pcmRate,
} from './live-messages.js';
import { buildSetup, manualActivity, resumptionEnabled } from './live-setup.js';
import { checkOptions, optionNames } from '../shared/provider-options.js';

export interface GeminiLiveProviderOptions {
  /** Default: `GEMINI_API_KEY`, then `GOOGLE_API_KEY`. */
  apiKey?: string;
  /** Default: 'gemini-2.5-flash-native-audio-preview-12-2025'. */
  model?: string;
  /** Default: 'wss://generativelanguage.googleapis.com'. */
  baseUrl?: string;
  /** Default: 'v1', the version @google/genai dials; 'v1beta' or 'v1alpha' for early features. */
  apiVersion?: string;
  connectTimeoutMs?: number;
  logger?: RealtimeLogger;
}

const LIVE_OPTIONS = optionNames<GeminiLiveProviderOptions>({
  apiKey: true,
  model: true,
  baseUrl: true,
  apiVersion: true,
  connectTimeoutMs: true,
  logger: true,
});

const WIRE_INPUT_RATE = 16_000;
const WIRE_OUTPUT_RATE = 24_000;

/**
 * Google Gemini Live over its BidiGenerateContent socket: `setup` -> `setupComplete`,
 * `realtimeInput` audio at 16 kHz, `serverContent` audio at 24 kHz with transcriptions,
 * `toolCall`/`toolResponse`, and session resumption: handles are kept, and on `goAway` or
 * `reconfigure` a new connection resumes with the last one. Options: see `live-setup.ts`.
 * Gemini has no truncate: the server knows what it generated; interrupted audio is dropped here.
 */
export class GeminiLiveProvider extends BaseRealtimeProvider<GeminiLiveState> {
  readonly name = 'gemini';
  readonly model: string;
  readonly capabilities: RealtimeCapabilities = {
    serverVad: true,
    sessionResumption: true,
    truncation: false,
    toolsAtConnect: true,
    reconfigure: 'resume',
    maxSessionMs: 15 * 60_000, // audio-only without context compression
    nativeTools: ['googleSearch', 'codeExecution', 'urlContext'],
  };
  private readonly url: string;
  private readonly connectTimeoutMs: number;

  constructor(opts: GeminiLiveProviderOptions = {}) {
    checkOptions('gemini', opts, LIVE_OPTIONS);
    super({ logger: opts.logger });
    const apiKey = opts.apiKey ?? process.env.GEMINI_API_KEY ?? process.env.GOOGLE_API_KEY;
    if (!apiKey)
      throw new ValidationError('GeminiLiveProvider needs apiKey, GEMINI_API_KEY or GOOGLE_API_KEY');
    this.model = opts.model ?? 'gemini-2.5-flash-native-audio-preview-12-2025';
    const base = (opts.baseUrl ?? 'wss://generativelanguage.googleapis.com').replace(/\/+$/, '');
    const version = opts.apiVersion ?? 'v1';
    this.url = `${base}/ws/google.ai.generativelanguage.${version}.GenerativeService.BidiGenerateContent?key=${encodeURIComponent(apiKey)}`;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  }

  protected async open(session: RealtimeSession): Promise<GeminiLiveState> {
    const input = await AudioConverter.create(session.config.inputSampleRate, WIRE_INPUT_RATE);
    const output = await AudioConverter.create(WIRE_OUTPUT_RATE, session.config.outputSampleRate);
    const state = new GeminiLiveState(
      undefined as unknown as RealtimeSocket,
      input,
      output,
      WIRE_OUTPUT_RATE,
    );
    try {
      state.socket = await this.openSocket(session, state);
    } catch (err) {
      input.close();
      output.close();
      throw err;
    }
    return state;
  }

  protected release(state: GeminiLiveState): void {
    state.release();
  }

  /** One connection: setup (resuming the handle, if any), resolved on setupComplete. */
  private async openSocket(
    session: RealtimeSession,
    state: GeminiLiveState,
    handle?: string,
  ): Promise<RealtimeSocket> {
    const socket = await RealtimeSocket.open({
      provider: this.name,
      url: this.url,
      logger: this.logger,
      connectTimeoutMs: this.connectTimeoutMs,
    });
    const setup = new SetupWaiter(this.name, this.connectTimeoutMs);
    socket.onMessage((raw) => this.handleMessage(session, state, socket, setup, raw));
    socket.onClose((info) => {
      if (info.byClient) return;
      const outcome = closeOutcome(this.name, info);
      const error =
        outcome.error ??
        new ProviderError(this.name, `closed during setup (${info.code})`, { code: 'closed_by_server' });
      if (!setup.settled) setup.reject(error);
      else if (socket === state.socket) this.endSession(session, outcome.reason, outcome.error);
    });
    socket.send(buildSetup(this.model, session, handle));
    try {
      await setup.done;
    } catch (err) {
      socket.close();
      throw err;
    }
    return socket;
  }

  /** Move the session onto a new connection resuming the current handle. */
  private resume(
    session: RealtimeSession,
    state: GeminiLiveState,
    reason: 'go-away' | 'reconfigure',
  ): Promise<void> {
    const run = async () => {
      const handle = resumptionEnabled(session) ? state.handle : undefined;
      const old = state.socket;
      const next = await this.openSocket(session, state, handle);
      if (session.state === 'ended') {
        next.close();
        return;
      }
      state.socket = next;
      state.activityOpen = false;
      old.close(1000, '');
      this.emit('sessionResumed', { session, reason, contextPreserved: handle !== undefined });
    };
    const previous = state.resuming ?? Promise.resolve();
    const current = previous.then(run, run);
    state.resuming = current.finally(() => {
      if (state.resuming === current) state.resuming = undefined;
    });
    return current;
  }

  sendAudio(session: RealtimeSession, pcm: Int16Array): void {
    const state = this.stateOf(session);
    if (!state) return;
    if (manualActivity(session) && !state.activityOpen) {
      state.activityOpen = true;
      state.socket.send({ realtimeInput: { activityStart: {} } });
    }
    const wire = state.input.convertTransient(pcm);
    if (wire.length === 0) return;
    state.socket.send({
      realtimeInput: { audio: { data: pcm16ToBase64(wire), mimeType: `audio/pcm;rate=${WIRE_INPUT_RATE}` } },
    });
  }

  async sendText(session: RealtimeSession, text: string): Promise<void> {
    const state = this.requireState(session);
    state.socket.send({
      clientContent: { turns: [{ role: 'user', parts: [{ text }] }], turnComplete: true },
    });
  }

  async commitAudio(session: RealtimeSession): Promise<void> {
    const state = this.requireState(session);
    if (manualActivity(session)) {
      state.activityOpen = false;
      state.socket.send({ realtimeInput: { activityEnd: {} } });
    } else state.socket.send({ realtimeInput: { audioStreamEnd: true } });
  }

  async submitToolResult(
    session: RealtimeSession,
    callId: string,
    result: string,
    opts: { isError?: boolean } = {},
  ): Promise<void> {
    const state = this.requireState(session);
    const name = state.toolNames.get(callId);
    if (!name) throw new ValidationError(`gemini: unknown tool call id ${callId}`);
    state.toolNames.delete(callId);
    state.socket.send({
      toolResponse: {
        functionResponses: [{ id: callId, name, response: toolResponse(result, opts.isError) }],
      },
    });
  }

  /** No truncate on this wire: the rest of the current turn's audio is dropped here. */
  async interrupt(session: RealtimeSession, _opts?: RealtimeInterruptOptions): Promise<void> {
    const state = this.stateOf(session);
    if (state?.responding) state.dropTurn = true;
  }

  async reconfigure(session: RealtimeSession, opts: RealtimeReconfigureOptions): Promise<void> {
    const state = this.requireState(session);
    session.config = {
      ...session.config,
      ...opts,
      providerConfig: { ...session.config.providerConfig, ...opts.providerConfig },
    };
    await this.resume(session, state, 'reconfigure');
  }

  private handleMessage(
    session: RealtimeSession,
    state: GeminiLiveState,
    socket: RealtimeSocket,
    setup: SetupWaiter,
    raw: unknown,
  ): void {
    const msg = validateMessage(geminiServerMessage, raw, {
      provider: this.name,
      logger: this.logger,
      what: 'server message',
    });
    if (!msg) return;
    if (msg.setupComplete) setup.resolve();
    if (!Object.keys(msg).some((key) => GEMINI_KNOWN_KEYS.has(key))) {
      this.logger.debug({ provider: this.name, keys: Object.keys(msg) }, 'realtime message ignored');
    }
    if (msg.sessionResumptionUpdate?.resumable && msg.sessionResumptionUpdate.newHandle) {
      state.handle = msg.sessionResumptionUpdate.newHandle;
    }
    if (msg.goAway) this.handleGoAway(session, state, socket, durationMs(msg.goAway.timeLeft));
    // A connection being replaced still talks until it closes; only the current one counts.
    if (socket !== state.socket && state.socket !== undefined) return;
    if (msg.serverContent) this.handleContent(session, state, msg.serverContent);
    if (msg.toolCall) {
      this.startResponse(session, state);
      for (const call of msg.toolCall.functionCalls) {
        state.toolNames.set(call.id, call.name);
        this.emit('toolCall', { session, callId: call.id, name: call.name, arguments: call.args ?? {} });
      }
    }
    if (msg.toolCallCancellation) {
      for (const id of msg.toolCallCancellation.ids) state.toolNames.delete(id);
      this.logger.debug({ provider: this.name, ids: msg.toolCallCancellation.ids }, 'tool calls cancelled');
    }
  }

  private handleGoAway(
    session: RealtimeSession,
    state: GeminiLiveState,
    socket: RealtimeSocket,
    timeLeftMs: number,
  ): void {
    if (socket !== state.socket) return;
    const resumable = resumptionEnabled(session) && state.handle !== undefined;
    this.emit('goAway', { session, reason: 'server-go-away', timeLeftMs, resumable });
    if (!resumable) return;
    this.resume(session, state, 'go-away').catch((err: RoomKitError) => {
      this.emit('error', { session, error: err, fatal: false });
    });
  }

  private handleContent(
    session: RealtimeSession,
    state: GeminiLiveState,
    content: NonNullable<GeminiServerMessage['serverContent']>,
  ): void {
    if (content.inputTranscription?.text) {
      if (!state.userSpeaking) {
        state.userSpeaking = true;
        this.emit('speechStart', { session });
      }
      state.userText += content.inputTranscription.text;
      this.emit('transcription', { session, role: 'user', text: state.userText, isFinal: false });
    }
    if (content.inputTranscription?.finished) this.finishUser(session, state);
    if (content.interrupted) {
      if (!state.userSpeaking) {
        state.userSpeaking = true;
        this.emit('speechStart', { session });
      }
      state.dropTurn = true;
      this.emit('interrupted', {
        session,
        itemId: state.itemId,
        clearPlayback: true,
        reportPlayedPosition: false,
      });
    }
    for (const part of content.modelTurn?.parts ?? []) {
      if (!part.inlineData) continue;
      this.finishUser(session, state);
      this.startResponse(session, state);
      if (state.dropTurn) continue;
      this.emitAudio(session, state, part.inlineData.data, pcmRate(part.inlineData.mimeType));
    }
    if (content.outputTranscription?.text) {
      this.finishUser(session, state);
      this.startResponse(session, state);
      state.assistantText += content.outputTranscription.text;
      this.emit('transcription', {
        session,
        role: 'assistant',
        text: state.assistantText,
        isFinal: false,
        itemId: state.itemId,
      });
    }
    if (content.turnComplete) {
      this.finishUser(session, state);
      if (state.assistantText) {
        this.emit('transcription', {
          session,
          role: 'assistant',
          text: state.assistantText,
          isFinal: true,
          itemId: state.itemId,
        });
      }
      if (state.responding) {
        this.emit('responseEnd', {
          session,
          responseId: state.itemId,
          status: state.dropTurn ? 'cancelled' : 'completed',
        });
      }
      state.nextTurn();
    }
  }

  private emitAudio(session: RealtimeSession, state: GeminiLiveState, data: string, rate: number): void {
    if (rate !== state.outputRate) {
      state.output.close();
      state.output = AudioConverter.createLoaded(rate, session.config.outputSampleRate);
      state.outputRate = rate;
    }
    const audio = state.output.convert(base64ToPcm16(data));
    this.emit('audio', { session, audio, sampleRate: session.config.outputSampleRate, itemId: state.itemId });
  }

  private startResponse(session: RealtimeSession, state: GeminiLiveState): void {
    if (state.responding) return;
    state.responding = true;
    this.emit('responseStart', { session, responseId: state.itemId });
  }

  /** The user's utterance is over once the model answers (Gemini rarely says `finished`). */
  private finishUser(session: RealtimeSession, state: GeminiLiveState): void {
    if (state.userText) {
      this.emit('transcription', { session, role: 'user', text: state.userText, isFinal: true });
      state.userText = '';
    }
    if (state.userSpeaking) {
      state.userSpeaking = false;
      this.emit('speechEnd', { session });
    }
  }
}

/** A JSON object result goes as it is; anything else is wrapped, as the API wants an object. */
function toolResponse(result: string, isError?: boolean): Record<string, unknown> {
  if (isError) return { error: result };
  try {
    const parsed: unknown = JSON.parse(result);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // not JSON: wrapped below
  }
  return { result };
}
