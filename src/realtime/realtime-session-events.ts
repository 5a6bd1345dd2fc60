import { ProviderError, RoomKitError } from '../core/errors.js';
import { nowIso } from '../core/ids.js';
import { HookTrigger } from '../models/index.js';
import type { BargeInEvent, PartialTranscriptionEvent } from '../voice/voice-hooks.js';
import type { RealtimeEventMap, RealtimeRole, RealtimeVoiceProvider } from './provider.js';
import type { RealtimeVoiceChannel } from './realtime-voice-channel.js';
import type { RealtimeSessionRuntime } from './realtime-session-runtime.js';
import { runToolCall } from './realtime-tools.js';
import type { RealtimeSession } from './session.js';
import { fireSessionHook, sessionHookContext } from '../voice/session-hooks.js';

type Handler<K extends keyof RealtimeEventMap> = (rt: RealtimeSessionRuntime, e: RealtimeEventMap[K]) => void;

/**
 * What the channel does with each provider event of a session: model audio out through the
 * playback, transcripts into hooks and the room, tool calls run, barge-in, errors, handoffs.
 * Events of provider sessions that are not (or no longer) a live channel session are ignored.
 */
export class RealtimeSessionEvents {
  constructor(
    private readonly ch: RealtimeVoiceChannel,
    private readonly lookup: (ps: RealtimeSession) => RealtimeSessionRuntime | undefined,
  ) {}

  subscribe(provider: RealtimeVoiceProvider): (() => void)[] {
    const on = <K extends keyof RealtimeEventMap>(type: K, handler: Handler<K>) =>
      provider.on(type, (e) => {
        const rt = this.lookup(e.session);
        if (rt && rt.session.state !== 'ended') handler.call(this, rt, e);
      });
    return [
      on('audio', this.audio),
      on('transcription', this.transcription),
      on('speechStart', this.speechStart),
      on('speechEnd', this.speechEnd),
      on('toolCall', (rt, e) => this.track(this.toolCall(rt, e))),
      on('responseStart', (rt) => {
        rt.assistantText = '';
      }),
      on('responseEnd', (rt) => rt.playback.endResponse()),
      on('interrupted', this.interrupted),
      on('error', (rt, e) => {
        // Fatal errors arrive again with sessionEnded, which reports them once.
        if (!e.fatal) this.ch.reportError(rt.session, 'provider', e.error);
      }),
      on('goAway', (rt, e) => {
        if (!e.resumable) this.track(this.ch.rollover(rt, e.reason));
      }),
      on('sessionResumed', (rt, e) =>
        this.ch.roomKit?.events.emit('realtime_session_resumed', {
          ...e,
          session: rt.session,
          providerSession: e.session,
        }),
      ),
      on('sessionEnded', this.sessionEnded),
    ];
  }

  /** An audio level hook, when one is due for this direction (about ten a second). */
  level(rt: RealtimeSessionRuntime, direction: 'in' | 'out', pcm: Int16Array, rate: number): void {
    const trigger = direction === 'in' ? HookTrigger.ON_INPUT_AUDIO_LEVEL : HookTrigger.ON_OUTPUT_AUDIO_LEVEL;
    if (!this.ch.roomKit?.hooks.has(trigger)) return;
    const levelDb = rt.levelDue(direction, pcm, rate);
    if (levelDb === undefined) return;
    const payload = { session: rt.session, levelDb, isSpeech: levelDb > -50, timestamp: nowIso() };
    fireSessionHook(
      this.ch.hookSource,
      trigger,
      payload,
      rt.session,
      direction === 'in' ? 'inbound' : 'outbound',
    );
  }

  private audio(rt: RealtimeSessionRuntime, e: RealtimeEventMap['audio']): void {
    // The playback copies what it queues, so the resampler's reused buffer is fine here.
    const pcm = rt.outbound.convertTransient(e.audio);
    this.level(rt, 'out', pcm, rt.transportRate);
    rt.playback.push(pcm, e.itemId);
  }

  private transcription(rt: RealtimeSessionRuntime, e: RealtimeEventMap['transcription']): void {
    if (e.role === 'assistant') rt.assistantText = e.text;
    if (!e.isFinal) {
      const payload: PartialTranscriptionEvent = {
        session: rt.session,
        text: e.text,
        confidence: 0,
        isStable: false,
        timestamp: nowIso(),
        result: { text: e.text, isFinal: false },
        role: e.role,
      };
      fireSessionHook(
        this.ch.hookSource,
        HookTrigger.ON_PARTIAL_TRANSCRIPTION,
        payload,
        rt.session,
        direction(e.role),
      );
      // Live captions for the client (the final one goes out after ON_TRANSCRIPTION).
      this.ch.transport
        .sendTranscription(rt.session.transportSession, e.text, e.role, false)
        .catch((error) => this.ch.reportError(rt.session, 'transcription', error));
      return;
    }
    // In order: a user's words must enter the room before the answer to them.
    rt.chain = rt.chain.then(() => this.finalTranscript(rt, e.role, e.text));
    this.track(rt.chain);
  }

  /** ON_TRANSCRIPTION (fail-closed, may rewrite), the client's UI, then the room. */
  private async finalTranscript(rt: RealtimeSessionRuntime, role: RealtimeRole, raw: string): Promise<void> {
    const kit = this.ch.roomKit;
    const { session } = rt;
    let text = raw.trim();
    if (!text) return;
    try {
      if (kit?.hooks.has(HookTrigger.ON_TRANSCRIPTION)) {
        const ctx = sessionHookContext(
          { ...this.ch.hookSource, kit },
          HookTrigger.ON_TRANSCRIPTION,
          session,
          direction(role),
        );
        const outcome = await kit.hooks.runSync(
          HookTrigger.ON_TRANSCRIPTION,
          { session, text, result: { text, isFinal: true }, role },
          ctx,
        );
        if (!outcome.allowed) return;
        text = outcome.payload.text;
      }
      rt.transcript.add(role, text);
      await this.ch.transport.sendTranscription(session.transportSession, text, role);
      if (!kit || this.ch.options.emitTranscriptionEvents === false) return;
      await kit.processInbound({
        channelId: this.ch.id,
        roomId: session.roomId,
        senderId:
          role === 'user' ? session.participantId : (this.ch.options.assistantParticipantId ?? 'assistant'),
        content: { type: 'text', body: text },
        metadata: { realtimeSessionId: session.id, role },
      });
    } catch (error) {
      this.ch.reportError(session, 'transcription', error);
    }
  }

  private speechStart(rt: RealtimeSessionRuntime): void {
    rt.speechStartedAt = performance.now();
    this.ch.transport.sendSpeaking(rt.session.transportSession, true, 'user');
    fireSessionHook(this.ch.hookSource, HookTrigger.ON_SPEECH_START, { session: rt.session }, rt.session);
  }

  private speechEnd(rt: RealtimeSessionRuntime): void {
    const durationMs = rt.speechStartedAt === undefined ? 0 : performance.now() - rt.speechStartedAt;
    rt.speechStartedAt = undefined;
    this.ch.transport.sendSpeaking(rt.session.transportSession, false, 'user');
    fireSessionHook(
      this.ch.hookSource,
      HookTrigger.ON_SPEECH_END,
      { session: rt.session, durationMs },
      rt.session,
    );
  }

  private async toolCall(rt: RealtimeSessionRuntime, e: RealtimeEventMap['toolCall']): Promise<void> {
    const { session } = rt;
    const { transport, options } = this.ch;
    const mute = options.muteOnToolCall === true;
    if (mute && rt.toolsRunning === 0) transport.setInputMuted(session.transportSession, true);
    rt.toolsRunning++;
    let outcome: Awaited<ReturnType<typeof runToolCall>>;
    try {
      const payload = {
        session,
        callId: e.callId,
        name: e.name,
        arguments: e.arguments,
        channelType: this.ch.channelType,
      };
      const kit = this.ch.roomKit;
      outcome = await runToolCall({
        hooks: kit && {
          kit,
          ctx: sessionHookContext(
            { ...this.ch.hookSource, kit },
            HookTrigger.ON_TOOL_CALL,
            session,
            'inbound',
          ),
        },
        payload,
        tools: rt.tools,
        toolHandler: options.toolHandler,
        maxLength: options.toolResultMaxLength ?? 16_384,
      });
    } finally {
      rt.toolsRunning--;
      if (mute && rt.toolsRunning === 0 && session.state !== 'ended')
        transport.setInputMuted(session.transportSession, false);
    }
    // The answer goes to the provider session that asked (not a successor after a rollover).
    if (e.session.state !== 'active') return;
    await this.ch.provider
      .submitToolResult(e.session, e.callId, outcome.result, { isError: outcome.isError })
      .catch((error) => this.ch.reportError(session, 'tool_result', error));
  }

  /** Barge-in: stop the caller's playback now, tell the vendor what was heard, fire ON_BARGE_IN. */
  private interrupted(rt: RealtimeSessionRuntime, e: RealtimeEventMap['interrupted']): void {
    const wasPlaying = rt.playback.isPlaying;
    // Where the caller really stopped hearing, when the transport knows (carrier marks).
    const unheard = this.ch.transport.unheardMs(rt.session.transportSession);
    const heard = rt.playback.interrupt(e.itemId, unheard);
    rt.echo?.truncate();
    const { session } = rt;
    this.ch.transport.interrupt(session.transportSession);
    if (e.reportPlayedPosition && heard.itemId !== undefined && heard.itemPlayedMs !== undefined) {
      this.ch.provider
        .interrupt(e.session, { itemId: heard.itemId, playedMs: heard.itemPlayedMs })
        .catch((error) => this.ch.reportError(session, 'interrupt', error));
    }
    if (!wasPlaying) return; // the answer had already been heard in full: no barge-in
    const event: BargeInEvent = {
      session,
      interruptedText: rt.assistantText,
      audioPositionMs: heard.playedMs,
      timestamp: nowIso(),
    };
    fireSessionHook(this.ch.hookSource, HookTrigger.ON_BARGE_IN, event, session);
  }

  private sessionEnded(rt: RealtimeSessionRuntime, e: RealtimeEventMap['sessionEnded']): void {
    if (rt.session.providerSession?.id !== e.session.id) return;
    if (e.reason === 'session-limit') {
      // The vendor's limit, not the caller's: continue on a new provider session.
      this.track(this.ch.rollover(rt, 'session-limit'));
      return;
    }
    const error =
      e.error ??
      (e.reason === 'client-disconnect'
        ? undefined
        : new ProviderError(this.ch.provider.name, `session ended: ${e.reason}`, {
            code: e.reason,
            retryable: false,
          }));
    if (error) this.ch.reportError(rt.session, 'provider', error);
    this.track(
      this.ch.endSession(rt.session.id, e.reason, error instanceof RoomKitError ? error : undefined),
    );
  }

  private track(work: Promise<unknown>): void {
    const kit = this.ch.roomKit;
    if (kit) kit.internals.track(work);
    else void work.catch(() => {});
  }
}

function direction(role: RealtimeRole): 'inbound' | 'outbound' {
  return role === 'user' ? 'inbound' : 'outbound';
}
