// The inspector's room panels: every event with what the pipeline did to it (expand one for
// its hook trace and deliveries), the channels attached to the room (editable by operators
// through the channel-ops API), and the participants.
import { fullTime, h, timeLabel } from './dom.js';
import { textOf } from './chat.js';

const ACCESS = ['read_write', 'read_only', 'write_only', 'none'];
const VISIBILITY = ['all', 'none', 'transport', 'intelligence'];

/** The event's status as the inspector shows it: blocked, failed (a delivery failed), delivered. */
export function statusOf(e, trace) {
  if (e.status === 'blocked') return { label: `blocked: ${e.blockedBy ?? 'hook'}`, kind: 'blocked' };
  const failed = trace?.deliveries.filter((d) => d.outcome === 'failed') ?? [];
  if (failed.length) return { label: `failed: ${failed.map((d) => d.channelId).join(', ')}`, kind: 'failed' };
  return { label: e.status, kind: 'delivered' };
}

function visibilityText(v) {
  return Array.isArray(v) ? v.join(', ') : String(v);
}

/** view: { events, traces, expanded, names }; actions: { toggle(eventId) } */
export function renderEvents(root, view, actions) {
  const events = [...view.events.values()].sort((a, b) => b.index - a.index);
  if (!events.length) {
    root.replaceChildren(
      empty('No events yet', 'Messages, system notices and blocked attempts appear here as they happen.'),
    );
    return;
  }
  root.replaceChildren(
    h(
      'ol',
      { class: 'event-list', dataset: { testid: 'event-list' } },
      events.map((e) => eventRow(e, view, actions)),
    ),
  );
}

function eventRow(e, view, actions) {
  const trace = view.traces.get(e.id);
  const status = statusOf(e, trace);
  const open = view.expanded.has(e.id);
  const who = e.source.participantId
    ? (view.names.get(e.source.participantId) ?? e.source.participantId)
    : '';
  return h(
    'li',
    {
      class: `event-row ${status.kind}${open ? ' open' : ''}`,
      dataset: { testid: 'event-row', index: e.index },
    },
    h(
      'button',
      {
        class: 'event-head',
        type: 'button',
        'aria-expanded': String(open),
        onclick: () => actions.toggle(e.id),
      },
      h('span', { class: 'idx' }, `#${e.index}`),
      h('span', { class: 'src' }, h('b', {}, e.source.channelId), who && ` ${who}`),
      h('span', { class: `badge ${status.kind}`, dataset: { testid: 'event-status' } }, status.label),
      h('time', { datetime: e.createdAt, title: fullTime(e.createdAt) }, timeLabel(e.createdAt)),
      h('span', { class: 'preview' }, textOf(e.content)),
      h(
        'span',
        { class: 'facts' },
        `${e.type} · ${e.source.channelType} · visible to ${visibilityText(e.visibility)} · depth ${e.chainDepth}`,
      ),
    ),
    open && traceDetails(trace),
  );
}

function traceDetails(trace) {
  if (!trace) {
    return h(
      'div',
      { class: 'trace', dataset: { testid: 'trace' } },
      h(
        'p',
        { class: 'muted' },
        'No trace kept for this event: traces are kept in memory for recent events only.',
      ),
    );
  }
  const hookRows = (runs) =>
    runs.map((r) =>
      h(
        'tr',
        { class: r.decision },
        h('td', {}, r.hook),
        h('td', {}, h('span', { class: `badge ${r.decision}` }, r.decision)),
        h('td', { class: 'num' }, `${r.durationMs.toFixed(2)} ms`),
        h('td', { class: 'why' }, r.reason ?? r.error ?? ''),
      ),
    );
  return h(
    'div',
    { class: 'trace', dataset: { testid: 'trace' } },
    h('h4', {}, 'Hooks before broadcast'),
    trace.hooks.length
      ? h('table', {}, h('tbody', {}, hookRows(trace.hooks)))
      : h('p', { class: 'muted' }, 'No hook ran.'),
    h('h4', {}, 'Deliveries'),
    trace.deliveries.length
      ? h(
          'table',
          {},
          h(
            'tbody',
            {},
            trace.deliveries.map((d) =>
              h(
                'tr',
                { class: d.outcome },
                h('td', {}, d.channelId),
                h('td', {}, h('span', { class: `badge ${d.outcome}` }, d.outcome)),
                h('td', { class: 'num' }, `${d.durationMs.toFixed(1)} ms`),
                h(
                  'td',
                  { class: 'why' },
                  `${d.attempts} attempt${d.attempts > 1 ? 's' : ''}${d.error ? `: ${d.error}` : ''}`,
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'Delivered to no channel.'),
    trace.afterHooks.length > 0 && [
      h('h4', {}, 'Hooks after broadcast'),
      h('table', {}, h('tbody', {}, hookRows(trace.afterHooks))),
    ],
  );
}

/** view: { room, bindings, operator }; actions: { patch(channelId, change), setStatus(status) } */
export function renderChannels(root, view, actions) {
  const { room, bindings, operator } = view;
  const roomBox = room
    ? h(
        'section',
        { class: 'card room-card' },
        h(
          'div',
          { class: 'row' },
          h('b', {}, room.id),
          h('span', { class: `badge room-${room.status}`, dataset: { testid: 'room-status' } }, room.status),
          h('span', { class: 'muted' }, `${room.eventCount} events`),
        ),
        operator &&
          h(
            'div',
            { class: 'row actions' },
            room.status !== 'active' &&
              h(
                'button',
                { type: 'button', class: 'small', onclick: () => actions.setStatus('active') },
                'Reopen',
              ),
            room.status === 'active' &&
              h(
                'button',
                { type: 'button', class: 'small secondary', onclick: () => actions.setStatus('paused') },
                'Pause',
              ),
            room.status !== 'closed' &&
              h(
                'button',
                { type: 'button', class: 'small danger', onclick: () => actions.setStatus('closed') },
                'Close',
              ),
          ),
      )
    : null;
  if (!bindings.length) {
    root.replaceChildren(
      ...[roomBox, empty('No channels', 'No channel is attached to this room.')].filter(Boolean),
    );
    return;
  }
  root.replaceChildren(
    ...[
      roomBox,
      !operator &&
        h('p', { class: 'muted hint' }, 'Read only: changing channels needs a token for every room.'),
      h(
        'ul',
        { class: 'cards', dataset: { testid: 'channels' } },
        bindings.map((b) => channelCard(b, operator, actions)),
      ),
    ].filter(Boolean),
  );
}

function channelCard(b, operator, actions) {
  const vis = visibilityText(b.visibility);
  const select = (name, options, value) =>
    h(
      'select',
      {
        name,
        disabled: !operator,
        dataset: { testid: `${name}-${b.channelId}` },
        onchange: (ev) => actions.patch(b.channelId, { [name]: ev.target.value }),
      },
      [...new Set([...options, value])].map((o) =>
        h('option', { value: o, selected: o === value }, o.replaceAll('_', ' ')),
      ),
    );
  return h(
    'li',
    {
      class: `card channel${b.muted ? ' muted-channel' : ''}`,
      dataset: { testid: 'channel', channelId: b.channelId },
    },
    h(
      'div',
      { class: 'row' },
      h('b', {}, b.channelId),
      h('span', { class: `badge cat-${b.category}` }, b.category),
      h('span', { class: 'muted' }, b.channelType),
    ),
    h(
      'div',
      { class: 'controls' },
      h(
        'label',
        { class: 'switch' },
        h('input', {
          type: 'checkbox',
          checked: b.muted,
          disabled: !operator,
          dataset: { testid: `muted-${b.channelId}` },
          onchange: (ev) => actions.patch(b.channelId, { muted: ev.target.checked }),
        }),
        ' muted',
      ),
      h('label', {}, 'access ', select('access', ACCESS, b.access)),
      h('label', {}, 'visibility ', select('visibility', VISIBILITY, vis)),
    ),
  );
}

/** view: { participants, user, voice } */
export function renderPeople(root, view) {
  const people = [...view.participants].sort((a, b) => a.joinedAt.localeCompare(b.joinedAt));
  if (!people.length) {
    root.replaceChildren(empty('Nobody here yet', 'People appear once they post in the room or call it.'));
    return;
  }
  root.replaceChildren(
    h(
      'ul',
      { class: 'cards', dataset: { testid: 'people' } },
      people.map((p) =>
        h(
          'li',
          { class: 'card person', dataset: { testid: 'person', participantId: p.id } },
          h(
            'div',
            { class: 'row' },
            h(
              'span',
              { class: 'avatar', 'aria-hidden': 'true' },
              (p.displayName ?? p.id).slice(0, 1).toUpperCase(),
            ),
            h('b', {}, p.displayName ?? p.id),
            p.id === view.user && h('span', { class: 'badge you' }, 'you'),
            view.voice.has(p.id) && h('span', { class: 'badge live' }, 'on a call'),
          ),
          h(
            'div',
            { class: 'muted facts' },
            [
              p.displayName ? `id ${p.id}` : '',
              p.channelId ? `via ${p.channelId}` : '',
              p.role,
              p.identified ? 'identified' : 'not identified',
              `since ${timeLabel(p.joinedAt)}`,
            ]
              .filter(Boolean)
              .join(' · '),
          ),
        ),
      ),
    ),
  );
}

export function empty(title, text) {
  return h('div', { class: 'empty', dataset: { testid: 'empty' } }, h('b', {}, title), h('p', {}, text));
}
