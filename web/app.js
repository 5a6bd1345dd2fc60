// The roomkit console: rooms on the left, the live timeline of one room, a composer.
// Talks to the server's JSON API and its WebSocket channel (/ws). Who we are comes from the
// token (the server says it), never from the page.
import { forgetToken, takeToken } from './auth.js';

const token = takeToken();
const params = new URLSearchParams(location.search);
let user = '';

const $ = (id) => document.getElementById(id);
const state = {
  ws: null,
  roomId: null,
  events: new Map(),
  streams: new Map(),
  notices: [],
  pending: [],
  nextBeforeIndex: undefined,
};
const MAX_NOTICES = 20;

async function api(path, init = {}) {
  const headers = {
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  const res = await fetch(`/api${path}`, { ...init, headers });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401) {
    forgetToken();
    throw new Error(
      token
        ? 'this token is not valid (any more): open the URL roomkit serve printed'
        : 'this console needs a token: open the URL roomkit serve printed',
    );
  }
  if (!res.ok) throw new Error(body.error ?? res.statusText);
  return body;
}

async function loadRooms() {
  const { rooms } = await api('/rooms');
  const list = $('rooms');
  list.replaceChildren(
    ...rooms.map((room) => {
      const li = document.createElement('li');
      li.dataset.roomId = room.id;
      li.className = room.id === state.roomId ? 'active' : '';
      li.innerHTML = `<span></span><span class="muted"></span>`;
      li.firstChild.textContent = room.id;
      li.lastChild.textContent = room.status === 'active' ? `${room.eventCount}` : room.status;
      li.onclick = () => openRoom(room.id);
      return li;
    }),
  );
  return rooms;
}

function connect() {
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(
    `${proto}://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`,
  );
  state.ws = ws;
  ws.onopen = () => {
    $('status').textContent = `connected as ${user}`;
    for (const msg of state.pending.splice(0)) ws.send(JSON.stringify(msg));
  };
  ws.onclose = () => {
    $('status').textContent = 'disconnected — retrying…';
    setTimeout(connect, 1000);
  };
  ws.onmessage = (msg) => onFrame(JSON.parse(msg.data));
}

function send(msg) {
  if (state.ws?.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(msg));
  else state.pending.push(msg);
}

function onFrame(frame) {
  switch (frame.type) {
    case 'ready':
      user = frame.userId;
      $('status').textContent = `connected as ${user}`;
      if (state.roomId) send({ type: 'join', roomId: state.roomId, history: 100 });
      break;
    case 'joined':
      if (frame.roomId !== state.roomId) break;
      state.events.clear();
      addPage(frame);
      break;
    case 'history':
      if (frame.roomId === state.roomId) addPage(frame);
      break;
    case 'event':
    case 'ack':
      if (frame.event && frame.event.roomId === state.roomId) {
        state.events.set(frame.event.index, frame.event);
        if (frame.event.metadata?.streamId) state.streams.delete(frame.event.metadata.streamId);
        render();
      }
      break;
    case 'stream':
      if (frame.roomId !== state.roomId) break;
      if (frame.done) state.streams.delete(frame.streamId);
      else state.streams.set(frame.streamId, (state.streams.get(frame.streamId) ?? '') + frame.text);
      render();
      break;
    case 'ephemeral':
      if (frame.event?.type === 'notice' && frame.event.roomId === state.roomId) {
        addNotice(frame.event.data ?? {});
      }
      break;
    case 'error':
      if (frame.code === 'too_large' && frame.roomId === state.roomId) {
        addNotice({ level: 'warning', code: 'too_large', message: frame.message });
      } else {
        $('status').textContent = `error: ${frame.message}`;
      }
      break;
  }
}

/** A page of history (join or "load earlier"): merged by index, older pages on request. */
function addPage(frame) {
  for (const e of frame.events) state.events.set(e.index, e);
  state.nextBeforeIndex = frame.hasMore ? frame.nextBeforeIndex : undefined;
  $('load-earlier').hidden = state.nextBeforeIndex === undefined;
  render();
}

/** Failures the room's agent or channels report (ephemeral: shown, never stored). */
function addNotice(data) {
  state.notices.push({ ...data, at: Date.now() });
  if (state.notices.length > MAX_NOTICES) state.notices.shift();
  render();
}

function textOf(content) {
  switch (content.type) {
    case 'text':
    case 'rich':
      return content.plainText ?? content.body;
    case 'system':
      return `${content.code.replaceAll('_', ' ')}${content.data?.channelId ? ` (${content.data.channelId})` : ''}`;
    case 'media':
      return content.caption ?? content.url;
    default:
      return `[${content.type}]`;
  }
}

/** A carrier's delivery receipt (SMS, WhatsApp, email) shows on the event it is about. */
function isReceipt(e) {
  return e.content.type === 'system' && e.content.code === 'delivery_status' && e.content.data?.eventId;
}

function render() {
  const timeline = $('timeline');
  const receipts = new Map();
  for (const e of [...state.events.values()].filter(isReceipt).sort((a, b) => a.index - b.index)) {
    receipts.set(e.content.data.eventId, e.content.data);
  }
  const items = [...state.events.values()]
    .filter((e) => !isReceipt(e))
    .sort((a, b) => a.index - b.index)
    .map((e) => {
      const li = document.createElement('li');
      const kind =
        e.content.type === 'system'
          ? 'system'
          : e.source.channelType === 'ai'
            ? 'agent'
            : e.source.participantId === user
              ? 'mine'
              : '';
      li.className = `${kind}${e.status === 'blocked' ? ' blocked' : ''}`;
      li.dataset.index = e.index;
      li.dataset.testid = 'event';
      if (kind !== 'system') {
        const who = document.createElement('span');
        who.className = 'who';
        who.textContent = e.source.participantId ?? e.source.channelId;
        // Which channel it came through, when it is not the console's own (sms, whatsapp, email...).
        if (!['websocket', 'ai', 'system'].includes(e.source.channelType))
          who.textContent += ` · ${e.source.channelType}`;
        li.append(who);
      }
      li.append(document.createTextNode(textOf(e.content)));
      const receipt = receipts.get(e.id);
      if (receipt) {
        const badge = document.createElement('span');
        badge.className = `delivery ${receipt.status}`;
        badge.dataset.testid = 'delivery';
        badge.textContent = `${receipt.status}${receipt.errorCode ? ` (${receipt.errorCode})` : ''} · ${receipt.channelId}`;
        li.append(badge);
      }
      return li;
    });
  for (const [streamId, text] of state.streams) {
    const li = document.createElement('li');
    li.className = 'agent streaming';
    li.dataset.streamId = streamId;
    li.textContent = text;
    items.push(li);
  }
  for (const notice of state.notices) {
    const li = document.createElement('li');
    li.className = `notice ${notice.level === 'error' ? 'error' : 'warning'}`;
    li.dataset.testid = 'notice';
    li.setAttribute('role', 'alert');
    const message = notice.message ?? 'something failed';
    // Provider errors already start with the provider's name ("anthropic: invalid x-api-key").
    const text =
      notice.provider && !message.startsWith(`${notice.provider}:`)
        ? `${notice.provider}: ${message}`
        : message;
    const retry = notice.retryable === false ? 'will not retry' : notice.retryable ? 'may work later' : '';
    const detail = [notice.code, retry].filter(Boolean).join(', ');
    li.textContent = `${notice.level === 'error' ? 'Error' : 'Warning'}: ${text}${detail ? ` (${detail})` : ''}`;
    items.push(li);
  }
  timeline.replaceChildren(...items);
  timeline.scrollTop = timeline.scrollHeight;
}

async function openRoom(roomId) {
  if (state.roomId && state.roomId !== roomId) send({ type: 'leave', roomId: state.roomId });
  state.roomId = roomId;
  state.events.clear();
  state.streams.clear();
  state.notices = [];
  state.nextBeforeIndex = undefined;
  $('load-earlier').hidden = true;
  $('room-title').textContent = roomId;
  history.replaceState(
    null,
    '',
    `?${new URLSearchParams({ ...Object.fromEntries(new URLSearchParams(location.search)), room: roomId })}`,
  );
  for (const li of $('rooms').children) li.className = li.dataset.roomId === roomId ? 'active' : '';
  render();
  send({ type: 'join', roomId, history: 100 });
}

$('load-earlier').onclick = () => {
  if (state.nextBeforeIndex === undefined) return;
  send({ type: 'history', roomId: state.roomId, beforeIndex: state.nextBeforeIndex, limit: 100 });
};

$('composer').onsubmit = (ev) => {
  ev.preventDefault();
  const body = $('message').value.trim();
  if (!body || !state.roomId) return;
  send({
    type: 'message',
    roomId: state.roomId,
    clientId: crypto.randomUUID(),
    content: { type: 'text', body },
  });
  $('message').value = '';
};

$('new-room').onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    const { room } = await api('/rooms', {
      method: 'POST',
      body: JSON.stringify({ roomId: $('new-room-id').value }),
    });
    $('new-room-id').value = '';
    await loadRooms();
    openRoom(room.id);
  } catch (err) {
    $('status').textContent = `error: ${err.message}`;
  }
};

function setupVoice(voiceInfo) {
  if (!voiceInfo) return;
  $('voice').hidden = false;
  const width = (db) => `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100))}%`;
  // WebRTC by default; ?voice=websocket (or a server without /rtc) uses the WebSocket only.
  const forced = params.get('voice');
  const transport =
    !voiceInfo.rtcPath || forced === 'websocket' ? 'websocket' : forced === 'webrtc' ? 'webrtc' : 'auto';
  let call = null;
  let heardMs = 0;
  const status = (text) => {
    $('voice-status').textContent = text;
    $('talk').textContent = call ? 'Stop' : 'Talk';
    $('talk').classList.toggle('on', Boolean(call));
  };
  $('talk').onclick = async () => {
    if (call) return call.hangUp('voice off');
    // The talk button is roomkit/client's VoiceCall (WebRTC, falling back to the WebSocket),
    // loaded on first use so the rest of the console works even where it is not built.
    let VoiceCall;
    try {
      ({ VoiceCall } = await import('/client/roomkit-client.js'));
    } catch (err) {
      return status(`voice error: the browser client did not load (${err.message})`);
    }
    const c = VoiceCall.create({
      roomId: state.roomId,
      token,
      transport,
      rtcPath: voiceInfo.rtcPath,
      voicePath: voiceInfo.path,
      levelIntervalMs: 50,
    });
    call = c;
    c.on('state', (s) => {
      if (s.state === 'connecting') return status('connecting voice…');
      if (s.state === 'connected') return status(`talking (${s.transport})`);
      if (call === c) call = null;
      status(s.reason && s.reason !== 'voice off' ? `voice off: ${s.reason}` : 'voice off');
    });
    c.on('transcript', ({ text, role }) => {
      $('live-transcript').textContent = `${role === 'user' ? 'you' : 'agent'}: ${text}`;
    });
    c.on('level', ({ input, output }) => {
      $('level-in').style.width = width(input);
      $('level-out').style.width = width(output);
      if (output <= -50) return;
      heardMs += 50;
      $('voice-received').dataset.heardMs = String(heardMs);
      $('voice-received').textContent = `${(heardMs / 1000).toFixed(1)} s heard`;
    });
    c.on('notice', (n) =>
      addNotice({ level: n.level === 'error' ? 'error' : 'warning', code: n.code, message: n.message }),
    );
    try {
      await c.connect();
    } catch (err) {
      if (call === c) call = null;
      status(`voice error: ${err.message}`);
    }
  };
}

let info;
try {
  info = await api('/info');
} catch (err) {
  $('status').textContent = err.message;
  $('status').classList.add('problem');
  throw err;
}
user = info.me.userId;
setupVoice(info.voice);
$('agent').textContent =
  info.agent.name === 'local-rules'
    ? 'agent: local rule-based (no API key)'
    : `agent: ${info.agent.name} ${info.agent.model}`;
const rooms = await loadRooms();
connect();
openRoom(params.get('room') ?? rooms[0]?.id ?? 'lobby');
setInterval(loadRooms, 5000);
