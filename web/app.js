// The roomkit console: rooms on the left, the live timeline of one room, a composer.
// Talks to the server's JSON API and its WebSocket channel (/ws).
import { VoiceTalk } from './voice.js';

const params = new URLSearchParams(location.search);
const token = params.get('token') ?? '';
const user =
  params.get('user') ??
  localStorage.getItem('roomkit.user') ??
  `guest-${Math.random().toString(36).slice(2, 7)}`;
localStorage.setItem('roomkit.user', user);

const $ = (id) => document.getElementById(id);
const state = { ws: null, roomId: null, events: new Map(), streams: new Map(), pending: [] };

async function api(path, init = {}) {
  const headers = {
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  const res = await fetch(`/api${path}`, { ...init, headers });
  const body = await res.json();
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
    `${proto}://${location.host}/ws?user=${encodeURIComponent(user)}&token=${encodeURIComponent(token)}`,
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
      if (state.roomId) send({ type: 'join', roomId: state.roomId, history: 200 });
      break;
    case 'joined':
      if (frame.roomId !== state.roomId) break;
      state.events.clear();
      for (const e of frame.events) state.events.set(e.index, e);
      render();
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
    case 'error':
      $('status').textContent = `error: ${frame.message}`;
      break;
  }
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

function render() {
  const timeline = $('timeline');
  const items = [...state.events.values()]
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
        li.append(who);
      }
      li.append(document.createTextNode(textOf(e.content)));
      return li;
    });
  for (const [streamId, text] of state.streams) {
    const li = document.createElement('li');
    li.className = 'agent streaming';
    li.dataset.streamId = streamId;
    li.textContent = text;
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
  $('room-title').textContent = roomId;
  history.replaceState(null, '', `?${new URLSearchParams({ ...Object.fromEntries(params), room: roomId })}`);
  for (const li of $('rooms').children) li.className = li.dataset.roomId === roomId ? 'active' : '';
  render();
  send({ type: 'join', roomId, history: 200 });
}

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
  const talk = new VoiceTalk({
    user,
    token,
    onStatus: (text) => {
      $('voice-status').textContent = text;
      $('talk').textContent = talk.active ? 'Stop' : 'Talk';
      $('talk').classList.toggle('on', talk.active);
    },
    onTranscript: (text, role) => {
      $('live-transcript').textContent = `${role === 'user' ? 'you' : 'agent'}: ${text}`;
    },
    onLevels: ({ input, output }) => {
      $('level-in').style.width = width(input);
      $('level-out').style.width = width(output);
    },
    onReceived: (bytes) => {
      $('voice-received').dataset.bytes = String(bytes);
      $('voice-received').textContent = `${(bytes / 32000).toFixed(1)} s heard`;
    },
  });
  $('talk').onclick = async () => {
    if (talk.active) return talk.stop();
    try {
      await talk.start(state.roomId);
    } catch (err) {
      talk.stop(`voice error: ${err.message}`);
    }
  };
}

const info = await api('/info');
setupVoice(info.voice);
$('agent').textContent =
  info.agent.name === 'local-rules'
    ? 'agent: local rule-based (no API key)'
    : `agent: ${info.agent.name} ${info.agent.model}`;
const rooms = await loadRooms();
connect();
openRoom(params.get('room') ?? rooms[0]?.id ?? 'lobby');
setInterval(loadRooms, 5000);
