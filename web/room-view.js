// What the console knows about the open room: its events (by index), replies streaming in,
// failure notices, the inspector's data (bindings, participants, traces) and its voice
// sessions. Pure state: app.js feeds it frames and API answers, the renderers read it.
import { VoiceSessions } from './voice-panel.js';

const MAX_NOTICES = 20;
/** How long "thinking" may show without any sign from the agent. */
const THINKING_MS = 120_000;

export class RoomView {
  constructor(roomId) {
    this.roomId = roomId;
    this.room = null;
    this.events = new Map();
    this.streams = new Map();
    this.notices = [];
    this.traces = new Map();
    this.bindings = [];
    this.participants = [];
    this.voice = new VoiceSessions();
    this.expanded = new Set();
    this.nextBeforeIndex = undefined;
    this.thinkingSince = 0;
    this.generating = 0;
  }

  /** A page of history (join or "load earlier"), merged by index. */
  addPage(frame, fresh) {
    if (fresh) this.events.clear();
    for (const e of frame.events) this.events.set(e.index, e);
    if (fresh || this.nextBeforeIndex !== undefined)
      this.nextBeforeIndex = frame.hasMore ? frame.nextBeforeIndex : undefined;
  }

  addEvent(event, user) {
    this.events.set(event.index, event);
    if (event.metadata?.streamId) this.streams.delete(event.metadata.streamId);
    if (event.source.channelType === 'ai') this.thinkingSince = 0;
    if (this.room && event.index >= this.room.eventCount) this.room.eventCount = event.index + 1;
    // My message went through: an attached, listening agent will answer it.
    if (event.source.participantId === user && event.status !== 'blocked' && this.agentListens()) {
      // The ack may come after the reply itself (a fast agent): then there is nothing to wait for.
      const answered = [...this.events.values()].some(
        (e) => e.responseTo === event.id || (e.source.channelType === 'ai' && e.index > event.index),
      );
      if (!answered && !this.streams.size) this.thinkingSince = Date.now();
    }
  }

  stream(frame) {
    if (frame.done) this.streams.delete(frame.streamId);
    else {
      const s = this.streams.get(frame.streamId) ?? { text: '', sourceChannelId: frame.sourceChannelId };
      s.text += frame.text;
      this.streams.set(frame.streamId, s);
    }
    this.thinkingSince = 0;
  }

  notice(data) {
    this.notices.push({ ...data, at: Date.now() });
    if (this.notices.length > MAX_NOTICES) this.notices.shift();
    this.thinkingSince = 0;
  }

  get thinking() {
    return this.thinkingSince > 0 && Date.now() - this.thinkingSince < THINKING_MS;
  }

  stopped() {
    this.thinkingSince = 0;
  }

  inspected(body) {
    this.room = body.room;
    this.bindings = body.bindings;
    this.participants = body.participants;
    this.generating = body.generating;
    this.voice.reset(body.voice);
  }

  addTraces(traces) {
    for (const t of traces) this.traces.set(t.eventId, t);
  }

  /** Events some channel did not get (a delivery failed after retries): id -> channel ids. */
  get failedEvents() {
    const failed = new Map();
    for (const t of this.traces.values()) {
      const channels = t.deliveries.filter((d) => d.outcome === 'failed').map((d) => d.channelId);
      if (channels.length) failed.set(t.eventId, channels);
    }
    return failed;
  }

  get names() {
    return new Map(this.participants.filter((p) => p.displayName).map((p) => [p.id, p.displayName]));
  }

  /** The lowest index whose trace may still change (deliveries finish after the event arrives). */
  get traceSince() {
    const indexes = [...this.events.keys()];
    return indexes.length ? Math.max(0, Math.max(...indexes) - 20) : 0;
  }

  agentListens() {
    return this.bindings.some(
      (b) => b.category === 'intelligence' && (b.access === 'read_write' || b.access === 'read_only'),
    );
  }
}
