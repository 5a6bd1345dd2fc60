import type { z } from 'zod';
import { AuthenticationError, ProviderError, type RoomKitError } from '../../core/errors.js';
import { AudioConverter } from '../../realtime/audio-converter.js';
import { BaseRealtimeProvider } from '../../realtime/base-provider.js';
import { base64ToPcm16, pcm16ToBase64 } from '../../realtime/pcm.js';
import type { RealtimeCapabilities } from '../../realtime/provider.js';
import type { RealtimeReconfigureOptions, RealtimeSession } from '../../realtime/session.js';
import { mulawDecode, mulawEncode } from '../../voice/audio/g711.js';
import { loadResampler } from '../../voice/audio/resampler.js';
import { closeOutcome } from '../shared/realtime-close.js';
import { compact, option } from '../shared/realtime-config-keys.js';
import { RealtimeSocket } from '../shared/realtime-socket.js';
import { validateMessage } from '../shared/validate-message.js';
import {
  ElevenLabsRealtimeConfig,
  type ElevenLabsRealtimeConfigOptions,
  parseAudioFormat,
} from './realtime-config.js';
import {
  type ElevenLabsEvent as Ev,
  type ElevenLabsEventType,
  elevenLabsEventSchemas,
  isHandledElevenLabsEvent,
} from './realtime-messages.js';
import { ElevenLabsState } from './realtime-state.js';

/**
 * ElevenLabs Agents (Conversational AI): the agent (LLM, voice, VAD, tools) lives in the
 * ElevenLabs dashboard; this client streams `user_audio_chunk`s, plays `audio`, answers
 * `ping`s and `client_tool_call`s, and drops audio of interrupted event ids. Session config
 * becomes connect-time overrides (prompt, voice, temperature) plus `providerConfig`
 * `language`, `firstMessage`, `dynamicVariables`, `userId`. `tools` are ignored (dashboard).
 */
export class ElevenLabsRealtimeProvider extends BaseRealtimeProvider<ElevenLabsState> {
  readonly name = 'elevenlabs';
  readonly config: ElevenLabsRealtimeConfig;
  readonly capabilities: RealtimeCapabilities = {
    serverVad: true,
    sessionResumption: false,
    truncation: false,
    toolsAtConnect: false,
    reconfigure: 'reconnect',
  };
  connectTimeoutMs = 10_000;

  constructor(config: ElevenLabsRealtimeConfig | ElevenLabsRealtimeConfigOptions = {}) {
    const resolved = ElevenLabsRealtimeConfig(config);
    super({ logger: resolved.logger });
    this.config = resolved;
  }

  protected async open(session: RealtimeSession): Promise<ElevenLabsState> {
    await loadResampler(); // so converters for the announced formats can be built synchronously
    const target = this.config.requiresAuth
      ? { url: await this.signedUrl(), headers: {} }
      : this.directTarget();
    const socket = await RealtimeSocket.open({
      provider: this.name,
      url: target.url,
      headers: target.headers,
      logger: this.logger,
      connectTimeoutMs: this.connectTimeoutMs,
    });
    const state = new ElevenLabsState(socket);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new ProviderError(this.name, 'no conversation_initiation_metadata', {
              code: 'timeout',
              retryable: true,
            }),
          ),
        this.connectTimeoutMs,
      );
      state.onReady = (err) => {
        clearTimeout(timer);
        state.onReady = undefined;
        if (err) reject(err);
        else resolve();
      };
    });
    socket.onMessage((raw) => this.handleMessage(session, state, raw));
    socket.onClose((info) => {
      if (info.byClient) return;
      const outcome = closeOutcome(this.name, info);
      if (state.onReady)
        state.onReady(
          outcome.error ??
            new ProviderError(this.name, `closed before the conversation started (${info.code})`, {
              code: 'closed_by_server',
            }),
        );
      else if (this.stateOf(session) === state) this.endSession(session, outcome.reason, outcome.error);
    });
    socket.send(this.initiation(session));
    try {
      await ready;
    } catch (err) {
      state.release();
      throw err;
    }
    return state;
  }

  protected release(state: ElevenLabsState): void {
    state.release();
  }

  private directTarget(): { url: string; headers: Record<string, string> } {
    const url = `${this.config.baseUrl}/v1/convai/conversation?agent_id=${encodeURIComponent(this.config.agentId)}`;
    // Server-to-server mode: the key rides on the upgrade; public agents need none.
    return { url, headers: this.config.apiKey ? { 'xi-api-key': this.config.apiKey } : {} };
  }

  /** Private agents: a signed URL (valid 15 min) fetched with the key, so the socket carries none. */
  private async signedUrl(): Promise<string> {
    const url = `${this.config.apiBaseUrl}/v1/convai/conversation/get-signed-url?agent_id=${encodeURIComponent(this.config.agentId)}`;
    let res: Response;
    try {
      res = await fetch(url, { headers: { 'xi-api-key': this.config.apiKey ?? '' } });
    } catch (err) {
      throw new ProviderError(this.name, `signed URL request failed: ${String(err)}`, {
        code: 'connection_failed',
        retryable: true,
        cause: err,
      });
    }
    const body = await res.text();
    if (res.status === 401 || res.status === 403)
      throw new AuthenticationError(this.name, `signed URL refused: ${body.slice(0, 200)}`, res.status);
    if (!res.ok)
      throw new ProviderError(this.name, `signed URL request failed (${res.status}): ${body.slice(0, 200)}`, {
        status: res.status,
      });
    try {
      const signed = (JSON.parse(body) as { signed_url?: unknown }).signed_url;
      if (typeof signed === 'string') return signed;
    } catch {
      // reported below
    }
    throw new ProviderError(this.name, 'signed URL response without signed_url', {
      code: 'invalid_response',
    });
  }

  private initiation(session: RealtimeSession): Record<string, unknown> {
    const { config } = session;
    const pc = config.providerConfig;
    const agent = compact({
      prompt: config.systemPrompt ? { prompt: config.systemPrompt } : undefined,
      first_message: option<string>(pc, 'firstMessage'),
      language: option<string>(pc, 'language'),
    });
    const override = compact({
      agent: Object.keys(agent).length ? agent : undefined,
      tts: config.voice ? { voice_id: config.voice } : undefined,
    });
    return compact({
      type: 'conversation_initiation_client_data',
      conversation_config_override: Object.keys(override).length ? override : undefined,
      custom_llm_extra_body:
        config.temperature === undefined ? undefined : { temperature: config.temperature },
      dynamic_variables: option<Record<string, unknown>>(pc, 'dynamicVariables'),
      // No source_info: its `source` is an enum of ElevenLabs' own SDKs and integrations.
      user_id: option<string>(pc, 'userId'),
    });
  }

  sendAudio(session: RealtimeSession, pcm: Int16Array): void {
    const state = this.stateOf(session);
    if (!state?.input) return;
    const wire = state.input.convertTransient(pcm);
    if (wire.length === 0) return;
    const audio =
      state.inputEncoding === 'ulaw'
        ? Buffer.from(mulawEncode(wire)).toString('base64')
        : pcm16ToBase64(wire);
    state.socket.send({ user_audio_chunk: audio });
  }

  async sendText(session: RealtimeSession, text: string): Promise<void> {
    this.requireState(session).socket.send({ type: 'user_message', text });
  }

  /** Turn taking is the agent's own; there is nothing to commit. */
  async commitAudio(session: RealtimeSession): Promise<void> {
    this.requireState(session);
  }

  async submitToolResult(
    session: RealtimeSession,
    callId: string,
    result: string,
    opts: { isError?: boolean } = {},
  ): Promise<void> {
    this.requireState(session).socket.send({
      type: 'client_tool_result',
      tool_call_id: callId,
      result,
      is_error: opts.isError ?? false,
    });
  }

  /** No truncate on this wire: everything received so far is dropped; the server corrects its transcript. */
  async interrupt(session: RealtimeSession): Promise<void> {
    const state = this.stateOf(session);
    if (state) state.lastInterruptId = Math.max(state.lastInterruptId, state.lastAudioEventId);
  }

  /** Overrides only apply at connect time: a new conversation takes over (context is not kept). */
  async reconfigure(session: RealtimeSession, opts: RealtimeReconfigureOptions): Promise<void> {
    const old = this.requireState(session);
    session.config = {
      ...session.config,
      ...opts,
      providerConfig: { ...session.config.providerConfig, ...opts.providerConfig },
    };
    const next = await this.open(session);
    if (this.stateOf(session) !== old) {
      next.release();
      return;
    }
    this.replaceState(session, next);
    old.release();
    this.emit('sessionResumed', { session, reason: 'reconfigure', contextPreserved: false });
  }

  private handleMessage(session: RealtimeSession, state: ElevenLabsState, raw: unknown): void {
    const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !isHandledElevenLabsEvent(type)) {
      this.logger.debug({ provider: this.name, type }, 'realtime event ignored');
      return;
    }
    const schema: z.ZodType<unknown> = elevenLabsEventSchemas[type];
    const msg = validateMessage(schema, raw, { provider: this.name, logger: this.logger, what: type });
    if (msg === undefined) return;
    (this.handlers[type] as (s: RealtimeSession, st: ElevenLabsState, m: unknown) => void)(
      session,
      state,
      msg,
    );
  }

  private readonly handlers: {
    [T in ElevenLabsEventType]: (session: RealtimeSession, state: ElevenLabsState, msg: Ev<T>) => void;
  } = {
    conversation_initiation_metadata: (session, state, msg) => {
      const meta = msg.conversation_initiation_metadata_event;
      session.providerSessionId = meta.conversation_id;
      try {
        const input = parseAudioFormat(meta.user_input_audio_format);
        const output = parseAudioFormat(meta.agent_output_audio_format);
        state.inputEncoding = input.encoding;
        state.outputEncoding = output.encoding;
        state.outputRate = output.rate;
        state.input = AudioConverter.createLoaded(session.config.inputSampleRate, input.rate);
        state.output = AudioConverter.createLoaded(output.rate, session.config.outputSampleRate);
        state.onReady?.();
      } catch (err) {
        state.onReady?.(err as RoomKitError);
      }
    },
    audio: (session, state, msg) => {
      const { event_id: id, audio_base_64: data } = msg.audio_event;
      if (id <= state.lastInterruptId || !state.output) return; // interrupted: never play it
      state.lastAudioEventId = Math.max(state.lastAudioEventId, id);
      this.startResponse(session, state);
      const wire =
        state.outputEncoding === 'ulaw' ? mulawDecode(Buffer.from(data, 'base64')) : base64ToPcm16(data);
      const audio = state.output.convert(wire);
      this.emit('audio', { session, audio, sampleRate: session.config.outputSampleRate, itemId: String(id) });
    },
    interruption: (session, state, msg) => {
      state.lastInterruptId = Math.max(
        state.lastInterruptId,
        msg.interruption_event.event_id ?? state.lastAudioEventId,
      );
      this.emit('interrupted', {
        session,
        itemId: String(state.lastInterruptId),
        clearPlayback: true,
        reportPlayedPosition: false,
      });
      this.endResponse(session, state, 'cancelled');
    },
    tentative_user_transcript: (session, state, msg) => {
      this.userSpeaks(session, state);
      const text = msg.tentative_user_transcription_event.user_transcript;
      this.emit('transcription', { session, role: 'user', text, isFinal: false });
    },
    user_transcript: (session, state, msg) => {
      this.userSpeaks(session, state);
      this.endResponse(session, state, 'completed');
      this.emit('transcription', {
        session,
        role: 'user',
        text: msg.user_transcription_event.user_transcript,
        isFinal: true,
      });
      state.userSpeaking = false;
      this.emit('speechEnd', { session });
    },
    agent_chat_response_part: (session, state, msg) => {
      const part = msg.text_response_part;
      if (part.type === 'start') state.agentText = '';
      if (part.type !== 'delta') return;
      state.agentText += part.text;
      this.emit('transcription', { session, role: 'assistant', text: state.agentText, isFinal: false });
    },
    agent_response: (session, state, msg) => {
      this.endResponse(session, state, 'completed');
      this.startResponse(session, state);
      state.agentText = '';
      this.emit('transcription', {
        session,
        role: 'assistant',
        text: msg.agent_response_event.agent_response,
        isFinal: true,
      });
    },
    agent_response_correction: (_session, _state, msg) => {
      this.logger.debug(
        { provider: this.name, corrected: msg.agent_response_correction_event.corrected_agent_response },
        'agent response corrected after interruption',
      );
    },
    ping: (_session, state, msg) => {
      state.socket.send({ type: 'pong', event_id: msg.ping_event.event_id });
    },
    client_tool_call: (session, _state, msg) => {
      const call = msg.client_tool_call;
      this.emit('toolCall', {
        session,
        callId: call.tool_call_id,
        name: call.tool_name,
        arguments: call.parameters,
      });
    },
    error: (session, _state, msg) => {
      const e = msg.error_event;
      const error = new ProviderError(this.name, e.message ?? e.reason ?? 'agent error', {
        code: e.error_type ?? `error_${e.code ?? 'unknown'}`,
        retryable: e.code === 1011,
      });
      this.emit('error', { session, error, fatal: false });
    },
  };

  private userSpeaks(session: RealtimeSession, state: ElevenLabsState): void {
    if (state.userSpeaking) return;
    state.userSpeaking = true;
    this.emit('speechStart', { session });
  }

  private startResponse(session: RealtimeSession, state: ElevenLabsState): void {
    if (state.responding) return;
    state.responding = true;
    this.emit('responseStart', { session });
  }

  private endResponse(
    session: RealtimeSession,
    state: ElevenLabsState,
    status: 'completed' | 'cancelled',
  ): void {
    if (!state.responding) return;
    state.responding = false;
    this.emit('responseEnd', { session, status });
  }
}
