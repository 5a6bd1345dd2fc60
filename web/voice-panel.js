// Voice: the page's own call (the Talk button, roomkit/client's VoiceCall) and the room's
// live voice sessions as the server reports them (ephemeral `voice` events): state, levels,
// the VAD's verdict, interim transcripts, whether the agent speaks, and each turn's latency
// from the user's stop, drawn as a chart with p50/p95 over the session.
import { $, h, meterWidth } from './dom.js';
import { empty } from './inspector.js';

/** Turn stages, each measured from the user's stop (what the voice channel reports). */
export const STAGES = [
  { key: 'transcriptFinalMs', label: 'final transcript', short: 'STT' },
  { key: 'firstTokenMs', label: 'first LLM token', short: 'LLM' },
  { key: 'firstTtsAudioMs', label: 'first TTS audio', short: 'TTS' },
  { key: 'firstAudioSentMs', label: 'first audio played', short: 'out' },
];

export function percentile(values, p) {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The room's sessions, keyed by id, kept up to date from `voice` ephemeral events. */
export class VoiceSessions {
  constructor() {
    this.sessions = new Map();
  }

  reset(list = []) {
    this.sessions = new Map(list.map((s) => [s.sessionId, { ...s }]));
  }

  /** Apply one `voice` event's data; true when something changed. */
  apply(data) {
    if (data.kind === 'session') {
      this.sessions.set(data.sessionId, { ...this.sessions.get(data.sessionId), ...data.session });
      return true;
    }
    const s = this.sessions.get(data.sessionId);
    if (!s) return false;
    switch (data.kind) {
      case 'speech':
        s.userSpeaking = data.speaking;
        if (!data.speaking) s.partial = '';
        break;
      case 'agent':
        s.agentSpeaking = data.speaking;
        if (!data.speaking) s.outputDb = -100;
        break;
      case 'partial':
        s.partial = data.text;
        break;
      case 'level':
        if (data.direction === 'input') s.inputDb = data.db;
        else s.outputDb = data.db;
        break;
      case 'turn':
        s.turns = [...(s.turns ?? []), data.turn].slice(-50);
        break;
      default:
        return false;
    }
    return true;
  }

  get live() {
    return [...this.sessions.values()].filter((s) => s.state === 'active');
  }
}

export function renderVoicePanel(root, sessions) {
  const all = [...sessions.sessions.values()].sort((a, b) =>
    a.state === b.state ? b.startedAt.localeCompare(a.startedAt) : a.state === 'active' ? -1 : 1,
  );
  if (!all.length) {
    root.replaceChildren(
      empty('No voice session', 'Press Talk to start one; phone calls into this room show here too.'),
    );
    return;
  }
  root.replaceChildren(...all.map(sessionCard));
}

function sessionCard(s) {
  const live = s.state === 'active';
  return h(
    'section',
    { class: `card voice-session ${s.state}`, dataset: { testid: 'voice-session', sessionId: s.sessionId } },
    h(
      'div',
      { class: 'row' },
      h('b', {}, s.participantId),
      h('span', { class: 'muted' }, s.channelId),
      h(
        'span',
        { class: `badge ${live ? 'live' : 'ended'}`, dataset: { testid: 'voice-state' } },
        live ? 'live' : `ended${s.reason ? `: ${s.reason}` : ''}`,
      ),
    ),
    live &&
      h(
        'div',
        { class: 'voice-live' },
        indicator('user', s.userSpeaking, 'user speaking', 'user silent', 'vad'),
        h(
          'span',
          { class: 'meter', title: `user ${s.inputDb ?? -100} dBFS` },
          h('span', { style: { width: meterWidth(s.inputDb ?? -100) } }),
        ),
        indicator('agent', s.agentSpeaking, 'agent speaking', 'agent silent', 'agent-speaking'),
        h(
          'span',
          { class: 'meter out', title: `agent ${s.outputDb ?? -100} dBFS` },
          h('span', { style: { width: meterWidth(s.outputDb ?? -100) } }),
        ),
      ),
    live && h('p', { class: 'partial', dataset: { testid: 'interim' } }, s.partial ? `“${s.partial}…”` : ' '),
    latency(s.turns ?? []),
  );
}

function indicator(who, on, onText, offText, testid) {
  return h(
    'span',
    {
      class: `dot ${who}${on ? ' on' : ''}`,
      dataset: { testid, on: String(Boolean(on)) },
      title: on ? onText : offText,
    },
    on ? onText : offText,
  );
}

/** Per-turn stacked bars (STT, LLM, TTS, out) and p50/p95 of each stage over the session. */
function latency(turns) {
  if (!turns.length) return h('p', { class: 'muted' }, 'No turn measured yet.');
  const shown = turns.slice(-12);
  const max = Math.max(1, ...shown.map((t) => total(t)));
  const width = 300;
  const row = 14;
  const svg = svgEl('svg', {
    viewBox: `0 0 ${width} ${shown.length * row}`,
    class: 'latency-chart',
    role: 'img',
    'aria-label': 'latency per turn, from the user stopping to the first audio played',
    'data-testid': 'latency-chart',
  });
  shown.forEach((turn, i) => {
    let from = 0;
    STAGES.forEach((stage, s) => {
      const at = turn[stage.key];
      if (at === undefined) return;
      const x = (from / max) * width;
      const w = Math.max(0.5, ((at - from) / max) * width);
      const rect = svgEl('rect', { x, y: i * row + 2, width: w, height: row - 4, class: `seg s${s}` });
      rect.append(svgEl('title', {}, `${stage.label}: ${Math.round(at)} ms after the user stopped`));
      svg.append(rect);
      from = at;
    });
  });
  const stats = STAGES.map((stage) => {
    const values = turns.map((t) => t[stage.key]).filter((v) => typeof v === 'number');
    return { stage, p50: percentile(values, 50), p95: percentile(values, 95) };
  });
  const ms = (v) => (v === undefined ? '–' : `${Math.round(v)} ms`);
  return h(
    'div',
    { class: 'latency' },
    h(
      'div',
      { class: 'legend' },
      STAGES.map((st, s) => h('span', {}, h('i', { class: `sw s${s}` }), st.short)),
    ),
    svg,
    h(
      'table',
      { class: 'latency-stats', dataset: { testid: 'latency-stats' } },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, `from user stop (${turns.length} turn${turns.length > 1 ? 's' : ''})`),
          h('th', {}, 'p50'),
          h('th', {}, 'p95'),
        ),
      ),
      h(
        'tbody',
        {},
        stats.map(({ stage, p50, p95 }) =>
          h(
            'tr',
            {},
            h('td', {}, stage.label),
            h('td', { class: 'num' }, ms(p50)),
            h('td', { class: 'num' }, ms(p95)),
          ),
        ),
      ),
    ),
  );
}

function total(turn) {
  return Math.max(0, ...STAGES.map((s) => turn[s.key] ?? 0));
}

function svgEl(tag, attrs, text) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text) el.textContent = text;
  return el;
}

/**
 * The page's own call: the Talk button in the room header. `mode` is 'voice' (speech ->
 * agent -> speech, the server's voice channel) or 'realtime' (a speech-to-speech model).
 */
export function setupTalk({ info, token, params, roomId, onNotice }) {
  const voiceInfo = info.voice;
  const realtime = info.realtime;
  if (!voiceInfo && !realtime) return;
  $('voice').hidden = false;
  const mode = $('voice-mode');
  if (realtime && voiceInfo) {
    mode.hidden = false;
    mode.replaceChildren(
      h('option', { value: 'voice' }, `voice (${voiceInfo.label})`),
      h('option', { value: 'realtime' }, `realtime (${realtime.provider})`),
    );
    if (params.get('mode') === 'realtime') mode.value = 'realtime';
  }
  // WebRTC by default; ?voice=websocket (or a server without /rtc) uses the WebSocket only.
  const forced = params.get('voice');
  let call = null;
  let heardMs = 0;
  const status = (text) => {
    $('voice-status').textContent = text;
    $('talk').textContent = call ? 'Hang up' : 'Talk';
    $('talk').classList.toggle('on', Boolean(call));
  };
  $('talk').onclick = async () => {
    if (call) return call.hangUp('voice off');
    const realtimeMode = !voiceInfo || mode.value === 'realtime';
    const rtcPath = realtimeMode ? realtime.rtcPath : voiceInfo.rtcPath;
    const transport = realtimeMode
      ? 'webrtc'
      : !rtcPath || forced === 'websocket'
        ? 'websocket'
        : forced === 'webrtc'
          ? 'webrtc'
          : 'auto';
    // roomkit/client's VoiceCall (WebRTC, falling back to the WebSocket), loaded on first use so
    // the rest of the console works even where the library is not built.
    let VoiceCall;
    try {
      ({ VoiceCall } = await import('/client/roomkit-client.js'));
    } catch (err) {
      return status(`voice error: the browser client did not load (${err.message})`);
    }
    const c = VoiceCall.create({
      roomId: roomId(),
      token,
      transport,
      rtcPath,
      voicePath: voiceInfo?.path,
      levelIntervalMs: 50,
    });
    call = c;
    c.on('state', (s) => {
      if (s.state === 'connecting') return status('connecting voice…');
      if (s.state === 'connected')
        return status(`talking (${realtimeMode ? 'realtime, ' : ''}${s.transport})`);
      if (call === c) call = null;
      status(s.reason && s.reason !== 'voice off' ? `voice off: ${s.reason}` : 'voice off');
    });
    // The exchange as it happens: what you said stays up while the agent's reply is captioned
    // (from its first phrase on, and what it had started saying if you cut in); your next words
    // start a new exchange.
    const live = { user: '', assistant: '' };
    c.on('transcript', ({ text, role }) => {
      if (role === 'user') Object.assign(live, { user: text, assistant: '' });
      else live.assistant = text;
      $('live-transcript').replaceChildren(
        ...(live.user ? [h('div', { text: `you: ${live.user}` })] : []),
        ...(live.assistant ? [h('div', { text: `agent: ${live.assistant}` })] : []),
      );
    });
    c.on('level', ({ input, output }) => {
      $('level-in').style.width = meterWidth(input);
      $('level-out').style.width = meterWidth(output);
      if (output <= -50) return;
      heardMs += 50;
      $('voice-received').dataset.heardMs = String(heardMs);
      $('voice-received').textContent = `${(heardMs / 1000).toFixed(1)} s heard`;
    });
    c.on('notice', (n) =>
      onNotice({ level: n.level === 'error' ? 'error' : 'warning', code: n.code, message: n.message }),
    );
    try {
      await c.connect();
    } catch (err) {
      if (call === c) call = null;
      status(`voice error: ${err.message}`);
    }
  };
}
