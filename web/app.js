// The roomkit console: rooms, the conversation of one room, and an inspector of what the
// pipeline did (events with their hook traces, channels, people, voice). Talks to the JSON
// API and the WebSocket channel (/ws). Who we are comes from the token, never from the page.
import { ApiError, createApi } from './api.js';
import { takeToken } from './auth.js';
import { renderChat } from './chat.js';
import { Connection } from './connection.js';
import { $, h } from './dom.js';
import { renderChannels, renderEvents, renderPeople } from './inspector.js';
import { Outbox } from './outbox.js';
import { RoomView } from './room-view.js';
import { renderVoicePanel, setupTalk } from './voice-panel.js';

const token = takeToken();
const api = createApi(token);
const params = new URLSearchParams(location.search);
const INSPECTOR_TABS = ['events', 'channels', 'people', 'voice'];

let me = { userId: '', rooms: [] };
let rooms = [];
let room = new RoomView(params.get('room') ?? '');
let joinedRoom = null;
let outbox;
let conn;
let tab = INSPECTOR_TABS.includes(params.get('tab')) ? params.get('tab') : 'events';

// ---- rendering (coalesced to one pass per frame) -------------------------------------

const dirty = new Set();
function schedule(...parts) {
  if (!dirty.size) requestAnimationFrame(flushRender);
  for (const p of parts) dirty.add(p);
}
function flushRender() {
  const parts = new Set(dirty);
  dirty.clear();
  if (parts.has('chat')) {
    renderChat($('timeline'), $('chat-empty'), chatView(), {
      stop: stopGenerating,
      retry: (id) => {
        outbox.retry(id);
        flushOutbox();
      },
      discard: (id) => outbox.discard(id),
    });
    $('load-earlier').hidden = room.nextBeforeIndex === undefined;
  }
  if (parts.has('events'))
    renderEvents($('panel-events'), { ...room, names: room.names }, { toggle: toggleTrace });
  if (parts.has('channels'))
    renderChannels(
      $('panel-channels'),
      { room: room.room, bindings: room.bindings, operator: me.rooms === '*' },
      { patch: patchChannel, setStatus: setRoomStatus },
    );
  if (parts.has('people'))
    renderPeople($('panel-people'), {
      participants: room.participants,
      user: me.userId,
      voice: new Set(room.voice.live.map((s) => s.participantId)),
    });
  if (parts.has('voice')) renderVoicePanel($('panel-voice'), room.voice);
  if (parts.has('rooms')) renderRooms();
  if (parts.has('header')) renderHeader();
}
const renderAll = () => schedule('chat', 'events', 'channels', 'people', 'voice', 'rooms', 'header');

function chatView() {
  return {
    events: room.events,
    streams: room.streams,
    notices: room.notices,
    pending: outbox?.inRoom(room.roomId) ?? [],
    user: me.userId,
    names: room.names,
    thinking: room.thinking,
    failedEvents: room.failedEvents,
  };
}

function renderRooms() {
  const list = rooms.some((r) => r.id === room.roomId) ? rooms : [...rooms, room.room].filter(Boolean);
  $('rooms').replaceChildren(
    ...list.map((r) =>
      h(
        'li',
        {
          class: r.id === room.roomId ? 'active' : '',
          dataset: { roomId: r.id },
          onclick: () => openRoom(r.id),
        },
        h('span', { class: 'name' }, r.id),
        h(
          'span',
          { class: 'counts' },
          r.status !== 'active' && h('span', { class: `badge room-${r.status}` }, r.status),
          h('span', { class: 'muted' }, `${r.eventCount} event${r.eventCount === 1 ? '' : 's'}`),
        ),
      ),
    ),
  );
}

function renderHeader() {
  $('room-title').textContent = room.roomId || '—';
  const badge = $('room-badge');
  badge.hidden = !room.room;
  if (room.room) {
    badge.textContent = room.room.status;
    badge.className = `badge room-${room.room.status}`;
  }
  const live = room.voice.live.length;
  $('me').textContent = me.userId
    ? `signed in as ${me.userId}${live ? ` · ${live} on a call here` : ''}`
    : '';
}

function setStatus(text, problem = false) {
  $('status').textContent = text;
  $('status').classList.toggle('problem', problem);
}

function notify(data) {
  room.notice(data);
  schedule('chat');
}

// ---- the socket ------------------------------------------------------------------------

function onFrame(frame) {
  switch (frame.type) {
    case 'ready':
      me.userId = frame.userId;
      setStatus(`connected as ${frame.userId}`);
      // Rejoin first; what is pending is sent once the server has us in the room again.
      if (room.roomId) conn.send({ type: 'join', roomId: room.roomId, history: 100 });
      break;
    case 'joined':
      if (frame.roomId !== room.roomId) break;
      joinedRoom = frame.roomId;
      room.addPage(frame, true);
      if (frame.room) room.room = { ...room.room, ...frame.room };
      flushOutbox();
      refreshInspector();
      refreshTraces(Math.min(...room.events.keys()));
      schedule('chat', 'events', 'header');
      break;
    case 'history':
      if (frame.roomId !== room.roomId) break;
      room.addPage(frame, false);
      schedule('chat', 'events');
      break;
    case 'event':
    case 'ack':
      if (frame.type === 'ack' && frame.clientId) outbox.acked(frame.clientId);
      if (frame.event?.roomId === room.roomId) {
        room.addEvent(frame.event, me.userId);
        if (frame.event.content.type === 'system') refreshInspector();
        refreshTraces();
        schedule('chat', 'events', 'rooms', 'header');
      }
      break;
    case 'stream':
      if (frame.roomId !== room.roomId) break;
      room.stream(frame);
      schedule('chat');
      break;
    case 'ephemeral':
      onEphemeral(frame.event ?? {});
      break;
    case 'error':
      onError(frame);
      break;
  }
}

function onEphemeral(event) {
  if (event.roomId !== room.roomId) return;
  if (event.type === 'notice') notify(event.data ?? {});
  if (event.type === 'voice' && event.data && room.voice.apply(event.data)) {
    schedule('voice');
    if (event.data.kind === 'session') schedule('people', 'header');
  }
}

/** Refusals of a message mark it failed; a transient one leaves it pending for the next try. */
function onError(frame) {
  if (frame.clientId) {
    if (['not_joined', 'unavailable', 'rate_limited', 'internal'].includes(frame.code)) {
      outbox.retry(frame.clientId);
      if (frame.code === 'not_joined' && frame.roomId === room.roomId) {
        joinedRoom = null;
        conn.send({ type: 'join', roomId: room.roomId, history: 100 });
      }
    } else {
      outbox.failed(frame.clientId, frame.message);
    }
    return;
  }
  if (frame.code === 'too_large' && frame.roomId === room.roomId)
    return notify({ level: 'warning', code: 'too_large', message: frame.message });
  setStatus(`error: ${frame.message}`, true);
}

/** While the socket is down, the status says so and how many messages wait. */
function showDisconnected() {
  if (!conn || conn.state === 'connected') return;
  const pending = outbox?.inRoom(room.roomId).filter((i) => i.state !== 'failed').length ?? 0;
  setStatus(
    `${conn.state === 'reconnecting' ? 'server unreachable: reconnecting' : 'connecting'}…${pending ? ` (${pending} pending)` : ''}`,
    conn.state === 'reconnecting',
  );
}

async function onConnection(state) {
  if (state === 'connected') return;
  joinedRoom = null;
  outbox?.unsent();
  showDisconnected();
  // A socket that keeps failing may be a token the restarted server no longer takes.
  if (state === 'reconnecting' && conn.failures >= 2) {
    try {
      await api('/info');
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setStatus(err.message, true);
    }
  }
}

function flushOutbox() {
  if (joinedRoom === room.roomId && conn.state === 'connected')
    outbox.flush(room.roomId, (f) => conn.send(f));
}

// ---- the inspector's data --------------------------------------------------------------

let inspectTimer;
async function refreshInspector() {
  clearTimeout(inspectTimer);
  const roomId = room.roomId;
  try {
    const body = await api(`/rooms/${encodeURIComponent(roomId)}/inspect`);
    if (roomId !== room.roomId) return;
    room.inspected(body);
    schedule('channels', 'people', 'voice', 'header', 'chat', 'rooms');
  } catch (err) {
    if (err.status === 404 || err.status === 403) return;
  } finally {
    inspectTimer = setTimeout(refreshInspector, 10_000);
  }
}

let tracesTimer;
let tracesSince = Number.POSITIVE_INFINITY;
/** The traces of the events from `since` on (default: the recent ones, still being delivered). */
function refreshTraces(since = room.traceSince) {
  clearTimeout(tracesTimer);
  tracesSince = Math.min(tracesSince, Number.isFinite(since) ? since : 0);
  // Deliveries finish after the event arrives: ask a moment later, once per burst.
  tracesTimer = setTimeout(async () => {
    const roomId = room.roomId;
    const from = tracesSince;
    tracesSince = Number.POSITIVE_INFINITY;
    try {
      const { traces } = await api(`/rooms/${encodeURIComponent(roomId)}/traces?since=${from}`);
      if (roomId !== room.roomId) return;
      room.addTraces(traces);
      schedule('events', 'chat');
    } catch {
      // the next event asks again
    }
  }, 300);
}

async function toggleTrace(eventId) {
  if (room.expanded.has(eventId)) room.expanded.delete(eventId);
  else room.expanded.add(eventId);
  schedule('events');
  if (!room.expanded.has(eventId) || room.traces.has(eventId)) return;
  try {
    const { trace } = await api(
      `/rooms/${encodeURIComponent(room.roomId)}/events/${encodeURIComponent(eventId)}/trace`,
    );
    room.addTraces([trace]);
    schedule('events');
  } catch {
    // not kept: the panel says so
  }
}

async function patchChannel(channelId, change) {
  try {
    await api(`/rooms/${encodeURIComponent(room.roomId)}/channels/${encodeURIComponent(channelId)}`, {
      method: 'PATCH',
      body: JSON.stringify(change),
    });
  } catch (err) {
    notify({ level: 'warning', code: err.code, message: `channel ${channelId}: ${err.message}` });
  }
  refreshInspector();
}

async function setRoomStatus(status) {
  try {
    const { room: updated } = await api(`/rooms/${encodeURIComponent(room.roomId)}/status`, {
      method: 'POST',
      body: JSON.stringify({ status }),
    });
    room.room = updated;
    await loadRooms();
  } catch (err) {
    notify({ level: 'warning', code: err.code, message: err.message });
  }
  schedule('channels', 'header', 'rooms');
}

async function stopGenerating() {
  room.stopped();
  schedule('chat');
  try {
    await api(`/rooms/${encodeURIComponent(room.roomId)}/stop`, { method: 'POST' });
  } catch (err) {
    notify({ level: 'warning', code: err.code, message: `stop: ${err.message}` });
  }
}

// ---- rooms, views, the composer --------------------------------------------------------

async function loadRooms() {
  try {
    ({ rooms } = await api('/rooms'));
    const current = rooms.find((r) => r.id === room.roomId);
    if (current) room.room = { ...room.room, ...current };
    schedule('rooms', 'header');
  } catch {
    // unreachable for now: the socket's status says so
  }
}

function openRoom(roomId) {
  if (room.roomId && room.roomId !== roomId) conn.send({ type: 'leave', roomId: room.roomId });
  room = new RoomView(roomId);
  joinedRoom = null;
  const query = new URLSearchParams(location.search);
  query.set('room', roomId);
  history.replaceState(null, '', `?${query}`);
  conn.send({ type: 'join', roomId, history: 100 });
  if (document.body.dataset.view === 'rooms') setView('chat');
  refreshInspector().then(applyDisplayName);
  renderAll();
}

function setView(view) {
  document.body.dataset.view = view;
  if (INSPECTOR_TABS.includes(view)) setTab(view);
  for (const b of $('views').querySelectorAll('button'))
    b.classList.toggle('current', b.dataset.view === view);
}

function setTab(name) {
  tab = name;
  for (const el of document.querySelectorAll('[data-tab]'))
    el.classList.toggle('current', el.dataset.tab === name);
}

/** The name the user chose, applied to the room they are in (once per room). */
async function applyDisplayName() {
  const name = localStorage.getItem(`roomkit.name.${me.userId}`);
  if (!name || room.participants.find((p) => p.id === me.userId)?.displayName === name) return;
  try {
    await api(`/rooms/${encodeURIComponent(room.roomId)}/participants/me`, {
      method: 'PUT',
      body: JSON.stringify({ displayName: name }),
    });
    refreshInspector();
  } catch (err) {
    notify({ level: 'warning', code: err.code, message: `display name: ${err.message}` });
  }
}

$('views').onclick = (ev) => ev.target.dataset.view && setView(ev.target.dataset.view);
$('inspector-tabs').onclick = (ev) => ev.target.dataset.tab && setTab(ev.target.dataset.tab);
$('load-earlier').onclick = () => {
  if (room.nextBeforeIndex === undefined) return;
  conn.send({ type: 'history', roomId: room.roomId, beforeIndex: room.nextBeforeIndex, limit: 100 });
};
$('composer').onsubmit = (ev) => {
  ev.preventDefault();
  const body = $('message').value.trim();
  if (!body || !room.roomId) return;
  outbox.add(room.roomId, body);
  $('message').value = '';
  $('message').style.height = '';
  flushOutbox();
};
$('message').onkeydown = (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    $('composer').requestSubmit();
  }
};
$('message').oninput = () => {
  const el = $('message');
  el.style.height = '';
  el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
};
$('new-room').onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    const { room: created } = await api('/rooms', {
      method: 'POST',
      body: JSON.stringify({ roomId: $('new-room-id').value }),
    });
    $('new-room-id').value = '';
    await loadRooms();
    openRoom(created.id);
  } catch (err) {
    setStatus(`error: ${err.message}`, true);
  }
};
$('profile').onsubmit = (ev) => {
  ev.preventDefault();
  const name = $('display-name').value.trim();
  if (!name) return;
  localStorage.setItem(`roomkit.name.${me.userId}`, name);
  applyDisplayName();
};

// ---- start -----------------------------------------------------------------------------

/** The server's /api/info; while it cannot be reached, the page says so and keeps trying. */
async function boot() {
  for (let wait = 1_000; ; wait = Math.min(wait * 2, 10_000)) {
    try {
      return await api('/info');
    } catch (err) {
      setStatus(err.message, true);
      if (err.status !== 0) throw err;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

setView(document.body.dataset.view);
setTab(tab);
const info = await boot();
me = info.me;
$('display-name').value = localStorage.getItem(`roomkit.name.${me.userId}`) ?? '';
$('agent').textContent =
  info.agent.name === 'local-rules'
    ? 'agent: local rule-based (no API key)'
    : `agent: ${info.agent.name} ${info.agent.model}`;
outbox = new Outbox(me.userId, () => {
  schedule('chat');
  showDisconnected();
});
setupTalk({ info, token, params, roomId: () => room.roomId, onNotice: notify });
conn = new Connection({ token, onFrame, onState: onConnection });
conn.open();
await loadRooms();
openRoom(params.get('room') ?? rooms[0]?.id ?? 'lobby');
setInterval(loadRooms, 5_000);
