import { ByRoom } from '../core/by-room.js';
import type { Logger } from '../core/logger.js';
import type { RoomKit } from '../core/roomkit.js';
import { HookTrigger } from '../models/index.js';
import type { VoiceSession } from '../voice/types.js';
import type { TurnMetrics, VADAudioLevelEvent } from '../voice/voice-hooks.js';

/** One turn's latencies, each from the user's stop (ms). */
export interface TurnLatency {
  at: string;
  transcriptFinalMs?: number;
  firstTokenMs?: number;
  firstTtsAudioMs?: number;
  /** The first reply frame went to the transport; the pacer sends at real time, so playback starts then. */
  firstAudioSentMs?: number;
}

/** What the console shows of a voice or realtime session, live. */
export interface VoiceSessionView {
  sessionId: string;
  roomId: string;
  channelId: string;
  participantId: string;
  state: 'active' | 'ended';
  startedAt: string;
  endedAt?: string;
  reason?: string;
  /** The VAD hears the user. */
  userSpeaking: boolean;
  /** The agent's audio is playing. */
  agentSpeaking: boolean;
  /** Latest levels, dBFS. */
  inputDb: number;
  outputDb: number;
  /** The user's words so far in this utterance (cleared when it ends). */
  partial: string;
  turns: TurnLatency[];
}

const MAX_TURNS = 50;
const MAX_ENDED_PER_ROOM = 5;
/** Below this the agent's output is silence (the same near-silence the levels use). */
const SILENCE_DB = -50;

/**
 * `roomkit serve`'s live view of voice sessions, for the console's voice panel: sessions,
 * speaking states, levels, interim transcripts and each turn's latencies come from the voice
 * and realtime channels' hooks and are sent to the room's clients as ephemeral `voice` events
 * (`data.kind`: session, speech, level, partial, agent, turn). Nothing is stored. Sessions
 * starting and ending are logged at info.
 */
export class VoiceFeed {
  private readonly sessions = new Map<string, VoiceSessionView>();
  /** The same views by room: a call that ends looks up its room's, not every call's. */
  private readonly byRoom = new ByRoom<VoiceSessionView>();
  private readonly off: (() => void)[] = [];

  constructor(
    private readonly kit: RoomKit,
    private readonly logger: Logger,
  ) {
    const on = <P>(trigger: HookTrigger, fn: (payload: P) => void) =>
      this.off.push(
        kit.hook(trigger, (p: P) => void fn(p), { name: `console-voice-${trigger}`, execution: 'async' }),
      );
    on<{ session: VoiceSession }>(HookTrigger.ON_SESSION_STARTED, ({ session }) => this.started(session));
    on<{ session: VoiceSession; reason?: string }>(HookTrigger.ON_SESSION_ENDED, ({ session, reason }) =>
      this.ended(session, reason ?? 'ended'),
    );
    on<{ session: VoiceSession }>(HookTrigger.ON_SPEECH_START, ({ session }) => this.speech(session, true));
    on<{ session: VoiceSession }>(HookTrigger.ON_SPEECH_END, ({ session }) => this.speech(session, false));
    on<{ session: VoiceSession; text: string; role?: string }>(HookTrigger.ON_PARTIAL_TRANSCRIPTION, (p) => {
      if (p.role === 'assistant') return;
      const view = this.view(p.session);
      if (!view) return;
      view.partial = p.text;
      this.publish(view, { kind: 'partial', text: p.text });
    });
    on<VADAudioLevelEvent>(HookTrigger.ON_INPUT_AUDIO_LEVEL, (e) => this.level(e, 'input'));
    on<VADAudioLevelEvent>(HookTrigger.ON_OUTPUT_AUDIO_LEVEL, (e) => this.level(e, 'output'));
    for (const trigger of [HookTrigger.AFTER_TTS, HookTrigger.ON_TTS_CANCELLED, HookTrigger.ON_BARGE_IN]) {
      on<{ session: VoiceSession }>(trigger, ({ session }) => this.agent(session, false));
    }
    on<{ session: VoiceSession; metrics: TurnMetrics }>(
      HookTrigger.ON_TURN_COMPLETE,
      ({ session, metrics }) => {
        const view = this.view(session);
        if (!view) return;
        const turn: TurnLatency = {
          at: new Date().toISOString(),
          transcriptFinalMs: metrics.transcriptFinalMs,
          firstTokenMs: metrics.firstTokenMs,
          firstTtsAudioMs: metrics.firstTtsAudioMs,
          firstAudioSentMs: metrics.firstFrameSentMs,
        };
        view.turns.push(turn);
        if (view.turns.length > MAX_TURNS) view.turns.shift();
        this.publish(view, { kind: 'turn', turn });
        // The utterance became a message: its interim words are done.
        if (view.partial) {
          view.partial = '';
          this.publish(view, { kind: 'partial', text: '' });
        }
        this.agent(session, true);
      },
    );
  }

  /** The room's live sessions, then its recently ended ones. */
  sessionsIn(roomId: string): VoiceSessionView[] {
    return this.byRoom.list(roomId);
  }

  close(): void {
    for (const off of this.off.splice(0)) off();
  }

  private started(session: VoiceSession): void {
    const view: VoiceSessionView = {
      sessionId: session.id,
      roomId: session.roomId,
      channelId: session.channelId,
      participantId: session.participantId,
      state: 'active',
      startedAt: new Date().toISOString(),
      userSpeaking: false,
      agentSpeaking: false,
      inputDb: -100,
      outputDb: -100,
      partial: '',
      turns: [],
    };
    const before = this.sessions.get(session.id);
    if (before) this.byRoom.delete(before.roomId, before);
    this.sessions.set(session.id, view);
    this.byRoom.add(view.roomId, view);
    this.logger.info(
      {
        sessionId: session.id,
        channelId: session.channelId,
        roomId: session.roomId,
        participantId: session.participantId,
      },
      'voice session started',
    );
    this.publish(view, { kind: 'session', session: view });
  }

  private ended(session: VoiceSession, reason: string): void {
    const view = this.sessions.get(session.id);
    if (!view || view.state === 'ended') return;
    view.state = 'ended';
    view.endedAt = new Date().toISOString();
    view.reason = reason;
    view.userSpeaking = false;
    view.agentSpeaking = false;
    this.logger.info(
      {
        sessionId: session.id,
        channelId: session.channelId,
        roomId: session.roomId,
        reason,
        turns: view.turns.length,
      },
      'voice session ended',
    );
    this.publish(view, { kind: 'session', session: view });
    // Ended sessions stay visible for a while (their latencies are worth reading), a few per room.
    const ended = this.sessionsIn(session.roomId).filter((s) => s.state === 'ended');
    for (const old of ended.slice(0, Math.max(0, ended.length - MAX_ENDED_PER_ROOM))) {
      this.sessions.delete(old.sessionId);
      this.byRoom.delete(old.roomId, old);
    }
  }

  private speech(session: VoiceSession, speaking: boolean): void {
    const view = this.view(session);
    if (!view || view.userSpeaking === speaking) return;
    view.userSpeaking = speaking;
    if (!speaking) view.partial = '';
    this.publish(view, { kind: 'speech', speaking });
  }

  private agent(session: VoiceSession, speaking: boolean): void {
    const view = this.view(session);
    if (!view || view.agentSpeaking === speaking) return;
    view.agentSpeaking = speaking;
    this.publish(view, { kind: 'agent', speaking });
  }

  private level(e: VADAudioLevelEvent, direction: 'input' | 'output'): void {
    const view = this.view(e.session);
    if (!view) return;
    const db = Math.round(e.levelDb * 10) / 10;
    if (direction === 'input') view.inputDb = db;
    else view.outputDb = db;
    this.publish(view, { kind: 'level', direction, db, speech: e.isSpeech });
    if (direction === 'output' && db > SILENCE_DB) this.agent(e.session, true);
  }

  private view(session: VoiceSession): VoiceSessionView | undefined {
    const view = this.sessions.get(session.id);
    return view?.state === 'active' ? view : undefined;
  }

  private publish(view: VoiceSessionView, data: Record<string, unknown>): void {
    this.kit.ephemeral.publish({
      type: 'voice',
      roomId: view.roomId,
      participantId: view.participantId,
      channelId: view.channelId,
      data: { sessionId: view.sessionId, ...data },
    });
  }
}
